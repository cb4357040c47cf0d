"""Private PostgreSQL and Redis servers for the cluster tests, on free ports of 127.0.0.1 (the Python twin of
Scripts/with-services).

    with postgres_server() as url:   # postgresql://chatd@127.0.0.1:PORT/chatd (superuser chatd, trust on loopback)
        ...
    with redis_server() as url:      # redis://127.0.0.1:PORT
        ...

Each start is a fresh cluster / instance in its own temporary directory, removed on exit. PostgreSQL refuses to run
as root: as root, initdb/pg_ctl run as the unprivileged system user CHATD_PG_USER (default chatd-pg, created if
missing) through runuser; otherwise as the current user. PostgreSQL keeps its default durability (fsync=on,
synchronous_commit=on). Uses the psql / redis-cli binaries (Scripts/install-deps), no Python client packages.
"""
from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

PG_USER_ENV = "CHATD_PG_USER"
DEFAULT_PG_USER = "chatd-pg"


class ServiceError(RuntimeError):
    pass


def pg_bindir() -> Path:
    """The newest /usr/lib/postgresql/N/bin holding initdb (Debian), else pg_config --bindir."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"),
                        key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0, reverse=True)
    for d in candidates:
        if os.access(os.path.join(d, "initdb"), os.X_OK):
            return Path(d)
    if shutil.which("pg_config"):
        d = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, check=True).stdout.strip()
        if os.access(os.path.join(d, "initdb"), os.X_OK):
            return Path(d)
    raise ServiceError("PostgreSQL server binaries not found (run Scripts/install-deps)")


def psql_bin() -> str:
    return shutil.which("psql") or str(pg_bindir() / "psql")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pg_runner() -> tuple[list[str], str | None]:
    """(prefix that runs a command as the PostgreSQL user, that user's name or None for the current user)."""
    if os.geteuid() != 0:
        return [], None
    user = os.environ.get(PG_USER_ENV, DEFAULT_PG_USER)
    if subprocess.run(["id", "-u", user], capture_output=True).returncode != 0:
        subprocess.run(["useradd", "-r", "-M", "-d", "/nonexistent", "-s", "/usr/sbin/nologin", user],
                       check=True, capture_output=True)
    return ["runuser", "-u", user, "--"], user


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def psql(url: str, sql: str, *, check: bool = True, timeout: float = 30) -> str:
    """Runs SQL through the psql binary (ON_ERROR_STOP, unaligned tuples only) and returns its stdout.
    Raises ServiceError carrying psql's stderr when check and psql fails."""
    proc = subprocess.run([psql_bin(), "-X", "-q", "-tA", "-v", "ON_ERROR_STOP=1", url, "-c", sql],
                          capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise ServiceError(f"psql failed ({proc.returncode}): {proc.stderr.strip()}")
    return proc.stdout


def with_database(url: str, database: str) -> str:
    """The same libpq URL naming another database."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + database, parts.query, parts.fragment))


def create_database(url: str, prefix: str = "test") -> str:
    """Creates a fresh empty database on the server of url (connecting to its maintenance database `postgres`)
    and returns the URL naming it."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    psql(with_database(url, "postgres"), f'CREATE DATABASE "{name}"')
    return with_database(url, name)


def drop_database(url: str) -> None:
    """Drops the database named by url, ending its connections (PostgreSQL 13+)."""
    name = urlsplit(url).path.lstrip("/")
    psql(with_database(url, "postgres"), f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def postgres_server(startup_timeout: float = 30):
    """Starts a private PostgreSQL on a free loopback port and yields its URL (database chatd created)."""
    bindir = pg_bindir()
    prefix, user = _pg_runner()
    root = Path(tempfile.mkdtemp(prefix="chatd-pg."))
    os.chmod(root, 0o755)  # the PostgreSQL user must reach its data directory inside
    pgdata, log = root / "pg", root / "pg.log"
    pgdata.mkdir(mode=0o700)
    log.touch()
    if user:
        shutil.chown(pgdata, user)
        shutil.chown(log, user)
    started = False
    try:
        init = subprocess.run(prefix + [str(bindir / "initdb"), "-D", str(pgdata), "-U", "chatd", "--auth=trust",
                                        "-E", "UTF8", "--locale=C.UTF-8"],
                              capture_output=True, text=True, cwd=root)
        if init.returncode != 0:
            raise ServiceError(f"initdb failed: {init.stdout}{init.stderr}")
        port = None
        for _attempt in range(3):
            candidate = free_port()
            start = subprocess.run(
                prefix + [str(bindir / "pg_ctl"), "-D", str(pgdata), "-l", str(log), "-w", "-t", str(int(startup_timeout)),
                          "-o", f"-p {candidate} -c listen_addresses=127.0.0.1 -c unix_socket_directories=''", "start"],
                capture_output=True, text=True, cwd=root)
            if start.returncode != 0:
                continue  # most likely the port was taken meanwhile: try another
            started = True
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                if subprocess.run([str(bindir / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(candidate),
                                   "-d", "postgres", "-U", "chatd"]).returncode == 0:
                    port = candidate
                    break
                time.sleep(0.1)
            if port:
                break
            subprocess.run(prefix + [str(bindir / "pg_ctl"), "-D", str(pgdata), "-m", "immediate", "stop"],
                           capture_output=True, cwd=root)
            started = False
        if port is None:
            raise ServiceError("PostgreSQL did not become ready:\n" + _tail(log))
        url = f"postgresql://chatd@127.0.0.1:{port}/chatd"
        psql(with_database(url, "postgres"), "CREATE DATABASE chatd")
        yield url
    finally:
        if started:
            stop = subprocess.run(prefix + [str(bindir / "pg_ctl"), "-D", str(pgdata), "-m", "fast", "-t", "30", "stop"],
                                  capture_output=True, cwd=root)
            if stop.returncode != 0:
                subprocess.run(prefix + [str(bindir / "pg_ctl"), "-D", str(pgdata), "-m", "immediate", "stop"],
                               capture_output=True, cwd=root)
        shutil.rmtree(root, ignore_errors=True)


def redis_cli(url: str, *args: str, timeout: float = 10, check: bool = True) -> str:
    """Runs one redis-cli command against url and returns its stdout (raw replies, one per line)."""
    proc = subprocess.run(["redis-cli", "-u", url, *args], capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise ServiceError(f"redis-cli failed ({proc.returncode}): {proc.stderr.strip()}")
    return proc.stdout


@contextlib.contextmanager
def redis_server(startup_timeout: float = 10):
    """Starts a private Redis (no persistence) on a free loopback port and yields its URL."""
    redis = shutil.which("redis-server")
    if not redis or not shutil.which("redis-cli"):
        raise ServiceError("redis-server / redis-cli not found (run Scripts/install-deps)")
    root = Path(tempfile.mkdtemp(prefix="chatd-redis."))
    log = root / "redis.log"
    proc = None
    try:
        url = None
        for _attempt in range(3):
            port = free_port()
            proc = subprocess.Popen([redis, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                                     "--daemonize", "no", "--dir", str(root), "--logfile", str(log)],
                                    cwd=root, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL)
            candidate = f"redis://127.0.0.1:{port}"
            deadline = time.monotonic() + startup_timeout
            while time.monotonic() < deadline and proc.poll() is None:
                if redis_cli(candidate, "ping", check=False).strip() == "PONG":
                    url = candidate
                    break
                time.sleep(0.1)
            if url:
                break
            proc.kill()
            proc.wait()
            proc = None
        if url is None:
            raise ServiceError("Redis did not become ready:\n" + _tail(log))
        yield url
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        shutil.rmtree(root, ignore_errors=True)

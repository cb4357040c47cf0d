"""The cluster tests' services work: PostgreSQL through psql, Redis through redis-cli, per-test databases isolated."""
import os
import select
import socket
import subprocess
import time
import uuid
from urllib.parse import urlsplit

import pytest

from services import ServiceError, postgres_server, psql, redis_cli, redis_server


def _port_open(url: str) -> bool:
    parts = urlsplit(url)
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex((parts.hostname, parts.port)) == 0


def test_postgres_create_insert_select(fresh_database):
    psql(fresh_database, "CREATE TABLE events (chat bigint, seq bigint, body text, PRIMARY KEY (chat, seq))")
    psql(fresh_database, "INSERT INTO events VALUES (1, 1, 'hello'), (1, 2, 'héllo ✓'), (2, 1, 'other')")
    rows = psql(fresh_database, "SELECT seq, body FROM events WHERE chat = 1 ORDER BY seq").splitlines()
    assert rows == ["1|hello", "2|héllo ✓"]
    assert psql(fresh_database, "SELECT count(*) FROM events").strip() == "3"
    # constraint violations come back as errors
    with pytest.raises(ServiceError, match="duplicate key"):
        psql(fresh_database, "INSERT INTO events VALUES (1, 1, 'again')")


def test_postgres_defaults_keep_durability(postgres_url):
    assert psql(postgres_url, "SHOW fsync").strip() == "on"
    assert psql(postgres_url, "SHOW synchronous_commit").strip() == "on"
    assert psql(postgres_url, "SHOW listen_addresses").strip() == "127.0.0.1"
    assert psql(postgres_url, "SELECT current_database()").strip() == "chatd"


def test_fresh_databases_are_isolated(make_database):
    a, b = make_database(), make_database()
    assert a != b
    psql(a, "CREATE TABLE only_in_a (x int)")
    assert psql(a, "SELECT to_regclass('only_in_a') IS NOT NULL").strip() == "t"
    assert psql(b, "SELECT to_regclass('only_in_a') IS NOT NULL").strip() == "f"


def test_redis_ping(redis_url):
    assert redis_cli(redis_url, "ping").strip() == "PONG"
    key = f"k-{uuid.uuid4().hex}"
    assert redis_cli(redis_url, "set", key, "v").strip() == "OK"
    assert redis_cli(redis_url, "get", key).strip() == "v"


class _LineReader:
    """Bounded line reads from a pipe (select on the raw descriptor; no buffered reader that select cannot see)."""

    def __init__(self, pipe):
        self.fd, self.buffer = pipe.fileno(), b""

    def lines(self, count: int, timeout: float = 10) -> list[str]:
        deadline = time.monotonic() + timeout
        while self.buffer.count(b"\n") < count:
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"timed out waiting for {count} lines from redis-cli, got {self.buffer!r}"
            ready, _, _ = select.select([self.fd], [], [], remaining)
            if ready:
                chunk = os.read(self.fd, 65536)
                assert chunk, f"redis-cli ended early after {self.buffer!r}"
                self.buffer += chunk
        parts = self.buffer.split(b"\n")
        taken, rest = parts[:count], parts[count:]
        self.buffer = b"\n".join(rest)
        return [line.decode() for line in taken]


def test_redis_publish_reaches_subscriber(redis_url):
    channel = f"chat-{uuid.uuid4().hex[:8]}"
    sub = subprocess.Popen(["redis-cli", "-u", redis_url, "subscribe", channel],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    reader = _LineReader(sub.stdout)
    try:
        assert reader.lines(3) == ["subscribe", channel, "1"]
        assert redis_cli(redis_url, "publish", channel, "first event").strip() == "1"  # one receiver
        assert redis_cli(redis_url, "publish", channel, "second event").strip() == "1"
        assert reader.lines(6) == ["message", channel, "first event", "message", channel, "second event"]
        assert redis_cli(redis_url, "publish", f"{channel}-other", "nobody").strip() == "0"
    finally:
        sub.kill()
        sub.wait()


def test_private_servers_start_and_stop():
    with postgres_server() as pg_url, redis_server() as redis_url:
        assert psql(pg_url, "SELECT 40 + 2").strip() == "42"
        assert redis_cli(redis_url, "ping").strip() == "PONG"
        assert urlsplit(pg_url).hostname == "127.0.0.1" and urlsplit(redis_url).hostname == "127.0.0.1"
    # both are gone afterwards
    assert not _port_open(pg_url)
    assert not _port_open(redis_url)

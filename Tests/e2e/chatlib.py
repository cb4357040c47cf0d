"""End-to-end harness for chatd: a server process wrapper, HTTP helpers, token signing and a WebSocket client.

Every wait is a bounded wait for a condition; nothing here asserts on speed.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import select
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from serialized_tls import SerializedTLSSocket

REPO_ROOT = Path(__file__).resolve().parents[2]
CHATD_BIN = Path(os.environ.get("CHATD_BIN", REPO_ROOT / ".build" / "debug" / "chatd"))
if not CHATD_BIN.is_absolute():
    CHATD_BIN = REPO_ROOT / CHATD_BIN

# When set (a libpq URL of a PostgreSQL server on which it may create databases; Scripts/with-services exports one as
# CHATD_TEST_POSTGRES_URL), the seeded template is a PostgreSQL database and every server made from it by a
# ServerFactory runs on its own clone of it (`CREATE DATABASE ... TEMPLATE ...`), dropped when the factory closes.
# Tests about SQLite files themselves carry the `sqlite_only` marker and are skipped then (conftest.py).
POSTGRES_URL = os.environ.get("CHATD_E2E_POSTGRES_URL") or None


def _services():
    """Tests/cluster/services.py (psql, create_database, drop_database), imported only when PostgreSQL is used."""
    folder = str(REPO_ROOT / "Tests" / "cluster")
    if folder not in sys.path:
        sys.path.append(folder)
    import services
    return services


class DatabaseError(Exception):
    """A statement run by ChatServer.execute/query was refused by the database (SQLite or PostgreSQL)."""


def sql_literal(value) -> str:
    """A Python value as a PostgreSQL literal (for statements sent through psql, which binds no parameters)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return repr(value)
    text = str(value)
    if "\0" in text:
        raise ValueError("PostgreSQL text cannot hold U+0000")
    return "'" + text.replace("'", "''") + "'"


def _bind(query: str, params) -> str:
    """Replaces each `?` of query with the next parameter as a literal (the queries here hold no `?` otherwise)."""
    parts = query.split("?")
    if len(parts) - 1 != len(params):
        raise ValueError(f"{len(parts) - 1} placeholders, {len(params)} parameters: {query}")
    out = parts[0]
    for value, rest in zip(params, parts[1:]):
        out += sql_literal(value) + rest
    return out


PASSWORD = "secret123"
AGENTS = ["ann", "bob", "cat"]
SUPERVISOR = "sue"

# The default policy plus a "tiny" plan (live chat, one authorized contact).
POLICY = {
    "plans": [
        {"id": "basic", "name": "Basic", "rank": 1, "liveChat": False, "authorizedContacts": 2},
        {"id": "business", "name": "Business", "rank": 2, "liveChat": False, "authorizedContacts": 5},
        {"id": "hv", "name": "HV", "rank": 3, "liveChat": True, "authorizedContacts": 10},
        {"id": "enterprise", "name": "Enterprise", "rank": 4, "liveChat": True, "authorizedContacts": 15},
        {"id": "tiny", "name": "Tiny", "rank": 5, "liveChat": True, "authorizedContacts": 1},
    ],
    "products": [
        {"id": "pressero", "name": "Pressero", "chatOffered": True},
        {"id": "edocbuilder", "name": "eDocBuilder", "chatOffered": True},
        {"id": "pjm", "name": "PJM", "chatOffered": False},
        {"id": "tflow", "name": "tFlow", "chatOffered": False},
    ],
    # Tests not about support hours run in an always-open region; "usa" keeps the shipped hours and holidays
    # for the tests that are (they pin the server's clock with clockStart).
    "defaultRegion": "anytime",
    "regions": [
        {"id": "anytime", "name": "Anytime", "timeZone": "UTC",
         "hours": [{"weekday": d, "open": "00:00", "close": "24:00"} for d in range(1, 8)], "holidays": []},
        {"id": "usa", "name": "USA", "timeZone": "America/Chicago",
         "hours": [{"weekday": d, "open": "09:00", "close": "17:00"} for d in range(1, 6)],
         "holidays": [
             {"name": "New Year's Day", "month": 1, "day": 1},
             {"name": "Thanksgiving Day", "month": 11, "weekday": 4, "ordinal": 4},
             {"name": "Friday after Thanksgiving", "relativeTo": "Thanksgiving Day", "offsetDays": 1},
             {"name": "Christmas Day", "month": 12, "day": 25},
         ]},
        {"id": "spain", "name": "Spain", "timeZone": "Europe/Madrid",
         "hours": [{"weekday": d, "open": "09:00", "close": "17:00"} for d in range(1, 6)],
         "holidays": [{"name": "Navidad", "month": 12, "day": 25}]},
    ],
}

# Generous limits by default so that only the rate-limit test meets the limiter.
# Limits that are not under test are set out of the way (tests of limits set their own).
BASE_CONFIG = {"passwordIterations": 1000, "messagesPerSecond": 10000, "messageBurst": 10000,
               "chatRequestBurst": 10000, "ticketBurst": 10000,
               # likewise for the login throttle (every test logs in from 127.0.0.1; test_login_flood.py meets it)
               "loginAttemptsPerAddress": 100000, "loginAttemptsPerUsername": 100000, "loginQueueCapacity": 1000,
               # the event index is written every few events, so reads cross its boundary in every test
               "eventIndexBatch": 5, "eventIndexDelaySeconds": 0.1, "searchIndexIntervalSeconds": 0.1}


# --------------------------------------------------------------------------- tokens

def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def sign_jwt(secret: bytes, claims: dict, header: dict | None = None) -> str:
    header = header or {"alg": "HS256", "typ": "JWT"}
    signing_input = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())
    sig = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + b64url(sig)


def customer_claims(org: str, contact: str, ttl: float = 3600, name: str | None = None,
                    email: str | None = None) -> dict:
    now = int(time.time())
    return {"org": org, "sub": contact, "name": name or f"Customer {contact}",
            "email": email or f"{contact}@{org}.example", "iat": now, "exp": now + int(ttl)}


def wait_for(predicate, timeout=10.0, interval=0.05, what="condition"):
    """Polls `predicate` until it returns something truthy (returned), or fails after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached within {timeout}s")
        time.sleep(interval)


# --------------------------------------------------------------------------- HTTP

def http(port: int, method: str, path: str, token: str | None = None, body=None, timeout: float = 10, tls=None):
    """Returns (status, parsed JSON or None). `tls`: an ssl.SSLContext for a server speaking HTTPS (as localhost)."""
    data = None if body is None else json.dumps(body).encode()
    base = f"https://localhost:{port}" if tls else f"http://127.0.0.1:{port}"
    req = urllib.request.Request(f"{base}{path}", data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=timeout, context=tls) as resp:
            raw = resp.read()
            status = resp.status
    except urllib.error.HTTPError as err:
        raw = err.read()
        status = err.code
    try:
        return status, json.loads(raw) if raw else None
    except ValueError:
        return status, raw


# --------------------------------------------------------------------------- server

class ChatServer:
    """One chatd data directory and (at most) one running server process over it."""

    def __init__(self, root: Path, template: Path | None = None, config: dict | None = None,
                 policy: dict | None = None):
        self.root = root
        self.data = root / "data"
        self.config_path = root / "config.json"
        self.policy_path = root / "policy.json"
        self.policy_path.write_text(json.dumps(policy or POLICY))
        cfg = dict(BASE_CONFIG)
        cfg.update(config or {})
        cfg["policyFile"] = str(self.policy_path)
        self.config_path.write_text(json.dumps(cfg))
        self.proc: subprocess.Popen | None = None
        self.tls = None   # an ssl.SSLContext trusting the server's CA when it speaks HTTPS/WSS
        self.port: int | None = None
        self.stderr_path = root / "chatd.stderr"
        self._stderr = None
        self.clients: list[Client] = []
        storage = cfg.get("storage") or {}
        # The libpq URL of this server's PostgreSQL database, or None when it runs on SQLite (data/chat.sqlite).
        self.database_url: str | None = storage.get("url") if storage.get("kind") == "postgres" else None
        if template is not None:
            shutil.copytree(template, self.data)
        else:
            self.seed()

    # -- the database, whichever the backend
    def query(self, sql: str, params=()) -> list[tuple]:
        """Rows of a SELECT on this server's database (SQLite: data/chat.sqlite; PostgreSQL: through psql).
        Parameters are `?` placeholders. Values come back as Python values (PostgreSQL's through JSON)."""
        if self.database_url is None:
            db = sqlite3.connect(self.data / "chat.sqlite", timeout=10)
            try:
                return [tuple(row) for row in db.execute(sql, params)]
            except sqlite3.DatabaseError as error:
                raise DatabaseError(str(error)) from error
            finally:
                db.close()
        # row_to_json keeps the select list's order; json_agg takes the rows in the subquery's order (ORDER BY).
        statement = f"SELECT coalesce(json_agg(row_to_json(q)), '[]') FROM ({_bind(sql, params)}) q"
        out = self._psql(statement)
        return [tuple(row.values()) for row in json.loads(out)]

    def execute(self, sql: str, params=()) -> None:
        """Runs one statement that returns no rows on this server's database, committed (see query)."""
        if self.database_url is None:
            db = sqlite3.connect(self.data / "chat.sqlite", timeout=10)
            try:
                with db:
                    db.execute(sql, params)
            except sqlite3.DatabaseError as error:
                raise DatabaseError(str(error)) from error
            finally:
                db.close()
            return
        self._psql(_bind(sql, params))

    def _psql(self, statement: str) -> str:
        services = _services()
        try:
            return services.psql(self.database_url, statement)
        except services.ServiceError as error:
            raise DatabaseError(str(error)) from error

    # -- admin CLI
    def admin(self, *args: str) -> str:
        out = subprocess.run([str(CHATD_BIN), "admin", *args, "--data", str(self.data), "--config", str(self.config_path)],
                             capture_output=True, text=True, timeout=30)
        if out.returncode != 0:
            raise RuntimeError(f"chatd admin {args} failed: {out.stderr}")
        return out.stdout.strip()

    def seed(self):
        self.admin("create-org", "--id", "acme", "--name", "Acme", "--plan", "hv")
        self.admin("create-org", "--id", "globex", "--name", "Globex", "--plan", "hv")
        self.admin("create-org", "--id", "basicco", "--name", "Basic Co", "--plan", "basic")
        self.admin("create-org", "--id", "fullco", "--name", "Full Co", "--plan", "tiny")
        for name in AGENTS:
            self.admin("create-staff", "--username", name, "--name", name.capitalize(), "--password", PASSWORD)
        self.admin("create-staff", "--username", SUPERVISOR, "--name", "Sue", "--password", PASSWORD,
                   "--role", "supervisor")
        # Make sure the deployment secret exists before anything signs.
        self.admin("customer-token", "--org", "acme", "--contact", "seed", "--name", "Seed", "--email", "s@x.example")

    @property
    def secret(self) -> bytes:
        return (self.data / "jwt-secret").read_text().strip().encode()

    def token(self, org: str, contact: str, **kw) -> str:
        return sign_jwt(self.secret, customer_claims(org, contact, **kw))

    # -- process
    def start(self, timeout: float = 20, port: int | None = None, args: tuple[str, ...] = ()):
        """Starts chatd; port=None picks a free port, port=P listens on P (e.g. the previous port after a kill,
        so that browser pages reconnect to the same address); `args` are extra `chatd serve` options."""
        assert self.proc is None or self.proc.poll() is not None
        self._stderr = open(self.stderr_path, "ab")
        self.proc = subprocess.Popen(
            [str(CHATD_BIN), "serve", "--data", str(self.data), "--config", str(self.config_path),
             "--port", str(port or 0), *args],
            stdout=subprocess.PIPE, stderr=self._stderr, cwd=str(self.root))
        deadline = time.monotonic() + timeout
        line = b""
        while time.monotonic() < deadline and not line.endswith(b"\n"):
            ready, _, _ = select.select([self.proc.stdout], [], [], 0.2)
            if ready:
                chunk = os.read(self.proc.stdout.fileno(), 1)
                if not chunk:
                    break
                line += chunk
        text = line.decode().strip()
        if not (text.startswith("chatd listening on http://127.0.0.1:")
                or text.startswith("chatd listening on https://127.0.0.1:")):
            self.kill()
            raise RuntimeError(f"chatd did not start: {text!r}\n{self.stderr_path.read_text()[-3000:]}")
        self.port = int(text.rsplit(":", 1)[1])
        return self

    def kill(self):
        """SIGKILL (kill -9); waits for the process to be gone."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)
        self._close_files()

    def terminate(self, timeout: float = 15) -> int:
        """SIGTERM (graceful stop); returns the exit status."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=timeout)
        finally:
            self.kill()
        return code

    def restart(self):
        self.kill()
        return self.start()

    def _close_files(self):
        if self.proc and self.proc.stdout:
            self.proc.stdout.close()
        if self._stderr:
            self._stderr.close()
            self._stderr = None

    # -- conveniences
    @property
    def ws_url(self) -> str:
        if self.tls:
            return f"wss://localhost:{self.port}/ws"
        return f"ws://127.0.0.1:{self.port}/ws"

    def http(self, method: str, path: str, token: str | None = None, body=None):
        return http(self.port, method, path, token, body, tls=self.tls)

    def login(self, username: str, password: str = PASSWORD) -> str:
        status, body = self.http("POST", "/api/login", body={"username": username, "password": password})
        assert status == 200, (status, body)
        return body["token"]

    def monitoring_token(self, username: str = SUPERVISOR) -> str:
        """A staff session token written straight into the database (as a login would store it), so that reading
        the figures never goes through `POST /api/login`: tests of login floods and throttles must not meet it."""
        token = base64.urlsafe_b64encode(os.urandom(32)).rstrip(b"=").decode()
        staff_id = self.query("SELECT id FROM staff WHERE username = ?", (username,))[0][0]
        now = time.time()
        self.execute("INSERT INTO staff_tokens (token_hash, staff_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
                     (hashlib.sha256(token.encode()).hexdigest(), staff_id, now, now + 3600))
        return token

    def health(self) -> dict:
        """The detailed /healthz figures, which only staff get (anonymous callers get liveness only)."""
        if getattr(self, "_health_token", None) is None:
            self._health_token = self.monitoring_token()
        status, body = self.http("GET", "/healthz", self._health_token)
        assert status == 200, (status, body)
        return body

    def client(self) -> "Client":
        c = Client(self.ws_url, ssl=self.tls)
        self.clients.append(c)
        return c

    def customer(self, org: str = "acme", contact: str = "c1", **kw) -> "Client":
        c = self.client()
        c.token = self.token(org, contact, **kw)
        c.hello(c.token)
        return c

    def staff(self, username: str, available: bool = False) -> "Client":
        c = self.client()
        c.token = self.login(username)
        c.hello(c.token)
        if available:
            c.set_available()
        return c

    def transcript(self, sid: int, token: str):
        status, body = self.http("GET", f"/api/transcripts/{sid}", token)
        assert status == 200, (status, body)
        return body


# --------------------------------------------------------------------------- client

class Client:
    """A WebSocket client that never loses a frame: frames read while waiting for something else are buffered."""

    def __init__(self, url: str, ssl=None):
        # Entered as a context manager (websockets >= 17.1 warns otherwise); left in close().
        extra = {}
        if ssl is not None:
            # websockets reads on its own thread while this one writes; serialized_tls.py says why an ssl.SSLSocket
            # cannot be shared that way. The TLS socket is made here and handed over with the ws:// form of the URL.
            parsed = urllib.parse.urlsplit(url)
            extra["sock"] = SerializedTLSSocket.connect(parsed.hostname, parsed.port, ssl, parsed.hostname, 10)
            url = urllib.parse.urlunsplit(("ws",) + tuple(parsed)[1:])
        self.ws = connect(url, open_timeout=10, max_size=None, close_timeout=2, **extra).__enter__()
        self.buffer: list = []          # unconsumed frames (dicts, or bytes for binary)
        self.frames: list = []          # every frame ever received, in order
        self.closed_code: int | None = None
        self.token: str | None = None
        self.welcome: dict | None = None
        self.sent: dict = {}            # clientId -> the last send / note / request_chat frame sent under it

    # -- sending
    def send(self, type_: str, **fields):
        if type_ in ("send", "note", "request_chat") and isinstance(fields.get("clientId"), str):
            self.sent[fields["clientId"]] = {"type": type_, **fields}
        self.ws.send(json.dumps({"type": type_, **fields}))

    def send_raw(self, data):
        self.ws.send(data)

    # -- receiving
    def _read(self, timeout: float):
        raw = self.ws.recv(timeout=timeout)
        frame = json.loads(raw) if isinstance(raw, str) else raw
        self.frames.append(frame)
        return frame

    def expect(self, type_: str, predicate=None, timeout: float = 5.0) -> dict:
        """The first frame (buffered or new) of this type matching predicate; others stay buffered."""
        def matches(f):
            return isinstance(f, dict) and f.get("type") == type_ and (predicate is None or predicate(f))
        for i, f in enumerate(self.buffer):
            if matches(f):
                return self.buffer.pop(i)
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {type_} frame within {timeout}s; buffered: {self.buffer[-10:]}")
            try:
                f = self._read(left)
            except TimeoutError:
                continue
            except ConnectionClosed as e:
                self.closed_code = e.rcvd.code if e.rcvd else None
                raise AssertionError(f"connection closed ({self.closed_code}) while waiting for {type_}; "
                                     f"buffered: {self.buffer[-10:]}") from e
            if matches(f):
                return f
            self.buffer.append(f)

    def expect_event(self, sid: int, kind: str | None = None, seq: int | None = None, timeout: float = 5.0) -> dict:
        def pred(f):
            e = f["event"]
            return e["sessionId"] == sid and (kind is None or e["kind"] == kind) and (seq is None or e["seq"] == seq)
        return self.expect("event", pred, timeout)["event"]

    ACK_FIELDS = {"type", "clientId", "sessionId", "seq", "at"}

    def expect_ack(self, client_id: str, timeout: float = 5.0) -> dict:
        """The ack of `client_id`: exactly clientId, sessionId, seq and at (it never repeats the event)."""
        ack = self.expect("ack", lambda f: f["clientId"] == client_id, timeout)
        assert set(ack) == self.ACK_FIELDS, f"ack with other fields than {sorted(self.ACK_FIELDS)}: {ack}"
        return ack

    def expect_error(self, code: str | None = None, timeout: float = 5.0) -> dict:
        return self.expect("error", (lambda f: f["code"] == code) if code else None, timeout)

    def drain(self, quiet: float = 0.3):
        """Reads whatever arrives until `quiet` seconds pass with nothing new (for negative checks)."""
        while True:
            try:
                self.buffer.append(self._read(quiet))
            except TimeoutError:
                return
            except ConnectionClosed as e:
                self.closed_code = e.rcvd.code if e.rcvd else None
                return

    def expect_closed(self, timeout: float = 5.0) -> int | None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                self.buffer.append(self._read(deadline - time.monotonic()))
            except TimeoutError:
                break
            except ConnectionClosed as e:
                self.closed_code = e.rcvd.code if e.rcvd else None
                return self.closed_code
        raise AssertionError(f"connection not closed within {timeout}s")

    def own_author(self) -> dict:
        """The `author` of this connection's own events (from welcome), as a client renders its own messages."""
        w = self.welcome or {}
        if "customer" in w:
            return {"role": "customer", "id": w["customer"]["contactId"], "name": w["customer"]["name"]}
        return {"role": "supervisor" if w.get("role") == "supervisor" else "agent", "id": str(w["staff"]["id"]),
                "name": w["staff"]["name"]}

    def own_event(self, ack: dict) -> dict | None:
        """The event an ack confirms, rebuilt the way a client must (docs/PROTOCOL.md §4): the ack carries only
        seq and at, the content is the client's own copy of what it sent. None if this client never sent it."""
        sent = self.sent.get(ack["clientId"])
        if sent is None:
            return None
        requested = sent["type"] == "request_chat"
        kind = {"send": "message", "note": "note", "request_chat": "requested"}[sent["type"]]
        return {"sessionId": ack["sessionId"], "seq": ack["seq"], "at": ack["at"], "kind": kind, "author": self.own_author(),
                "text": sent["text"].strip() if requested else sent["text"], "clientId": ack["clientId"]}

    def frame_event(self, f) -> dict | None:
        """The session event a frame stands for: an `event` frame's event, an `ack`'s rebuilt own event, else None."""
        if not isinstance(f, dict):
            return None
        if f.get("type") == "event":
            return f["event"]
        if f.get("type") == "ack":
            return self.own_event(f)
        return None

    def events(self, sid: int) -> list[dict]:
        """All seq'd events of a session seen on this connection, ordered by seq: `event` frames, and for `ack`
        frames the own event rebuilt from what was sent (`own_event`). Fails if the same seq was seen with
        different content (an event and a rebuilt ack of one seq must agree: the ack confirmed what was stored)."""
        by_seq: dict[int, dict] = {}
        for f in self.frames:
            if not isinstance(f, dict):
                continue
            e = None
            if f.get("type") == "event":
                e = f["event"]
            elif f.get("type") == "ack":
                e = self.own_event(f)
            if e is None or e["sessionId"] != sid:
                continue
            if e["seq"] in by_seq:
                assert by_seq[e["seq"]] == e, f"seq {e['seq']} seen with different content"
            by_seq[e["seq"]] = e
        return [by_seq[s] for s in sorted(by_seq)]

    def event_seqs_received(self, sid: int) -> list[int]:
        """Seqs of `event` frames (not acks) for a session, in arrival order, duplicates included."""
        return [f["event"]["seq"] for f in self.frames
                if isinstance(f, dict) and f.get("type") == "event" and f["event"]["sessionId"] == sid]

    # -- protocol steps
    def hello(self, token: str) -> dict:
        self.send("hello", token=token)
        self.welcome = self.expect("welcome")
        return self.welcome

    def set_available(self):
        self.send("set_status", status="available")
        self.expect("status", lambda f: f["status"] == "available")

    def request_chat(self, client_id: str = "r1", text: str = "Hello, I need help", product: str = "pressero",
                     subject: str = "Printing problem") -> dict:
        self.send("request_chat", product=product, subject=subject, text=text, clientId=client_id)
        return self.expect_ack(client_id)

    def say(self, sid: int, client_id: str, text: str) -> dict:
        self.send("send", sessionId=sid, clientId=client_id, text=text)
        return self.expect_ack(client_id)

    def close(self):
        try:
            self.ws.close()
        except Exception:
            pass


def new_root() -> Path:
    return Path(tempfile.mkdtemp(prefix="chatd-e2e-"))


# --------------------------------------------------------------------------- fixtures shared by the e2e and browser suites

def require_binary():
    if not CHATD_BIN.exists():
        raise FileNotFoundError(f"chatd binary not found at {CHATD_BIN}; run swift build or set CHATD_BIN")


class ServerFactory:
    """Makes servers on fresh copies of a seeded data directory: factory(config={...}, policy={...}, start=True).
    `base_config` is merged under every server's config. `close()` closes every client and kills every server.
    When the template was seeded on PostgreSQL, each server gets its own database cloned from the template's
    (unless its config names a storage itself); `close()` drops them."""

    def __init__(self, template: Path, base_config: dict | None = None):
        self.template = template
        self.base_config = base_config or {}
        self.made: list[tuple[Path, ChatServer]] = []
        self.template_database = template_database(template)
        self.databases: list[str] = []

    def __call__(self, config=None, start=True, policy=None):
        root = new_root()
        merged = dict(self.base_config)
        merged.update(config or {})
        if self.template_database and "storage" not in merged:
            url = clone_database(self.template_database)
            self.databases.append(url)
            merged["storage"] = {"kind": "postgres", "url": url}
        server = ChatServer(root, template=self.template, config=merged, policy=policy)
        self.made.append((root, server))
        if start:
            server.start()
        return server

    def close(self):
        for root, server in self.made:
            for client in server.clients:
                client.close()
            server.kill()
            shutil.rmtree(root, ignore_errors=True)
        for url in self.databases:
            _services().drop_database(url)
        self.databases = []


def seed_template() -> tuple[Path, Path]:
    """Seeds a data directory once with the admin CLI; returns (root to remove with remove_template, data
    directory). With CHATD_E2E_POSTGRES_URL set, the seed is written to a new PostgreSQL database (named in the
    template's config.json, see template_database) instead of data/chat.sqlite."""
    require_binary()
    root = new_root()
    config = None
    if POSTGRES_URL:
        config = {"storage": {"kind": "postgres", "url": _services().create_database(POSTGRES_URL, "e2e_template")}}
    return root, ChatServer(root, config=config).data


def template_database(data: Path) -> str | None:
    """The PostgreSQL database a template data directory (from seed_template) was seeded into, or None (SQLite)."""
    try:
        storage = json.loads((data.parent / "config.json").read_text()).get("storage") or {}
    except (OSError, ValueError):
        return None
    return storage.get("url") if storage.get("kind") == "postgres" else None


def clone_database(template_url: str) -> str:
    """A new database created from the template database (no one may be connected to it); returns its URL."""
    import uuid
    services = _services()
    source = template_url.rsplit("/", 1)[1].split("?", 1)[0]
    name = f"e2e_{uuid.uuid4().hex[:12]}"
    services.psql(services.with_database(template_url, "postgres"), f'CREATE DATABASE "{name}" TEMPLATE "{source}"')
    return services.with_database(template_url, name)


def remove_template(root: Path) -> None:
    """Removes what seed_template made: its directory and, on PostgreSQL, its database."""
    url = template_database(root / "data")
    shutil.rmtree(root, ignore_errors=True)
    if url:
        _services().drop_database(url)

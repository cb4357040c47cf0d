"""Issue 9, item 3: sockets that never say hello are closed at a deadline, dead WebSockets are pinged and dropped,
WebSockets per source address are capped, and the open file limit is raised at start."""
import base64
import json
import os
import socket
import time

import pytest
from websockets.exceptions import ConnectionClosed, InvalidHandshake
from websockets.sync.client import connect


def raw_websocket(port, source="127.0.0.1"):
    """A WebSocket handshake on a plain socket that then never answers anything (not even pings)."""
    s = socket.create_connection(("127.0.0.1", port), source_address=(source, 0), timeout=10)
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall((f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = s.recv(4096)
        assert chunk, "closed during the handshake"
        head += chunk
    assert head.startswith(b"HTTP/1.1 101"), head
    return s, head.split(b"\r\n\r\n", 1)[1]


def read_frames(sock, pending=b"", timeout=10):
    """Reads server frames until the TCP connection ends; returns [(opcode, payload)] (unmasked server frames)."""
    sock.settimeout(timeout)
    data = pending
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(65536)
        except (ConnectionResetError, TimeoutError, socket.timeout):
            break
        if not chunk:
            break
        data += chunk
    frames = []
    while len(data) >= 2:
        opcode, length = data[0] & 0x0F, data[1] & 0x7F
        offset = 2
        if length == 126:
            length, offset = int.from_bytes(data[2:4], "big"), 4
        elif length == 127:
            length, offset = int.from_bytes(data[2:10], "big"), 10
        frames.append((opcode, data[offset:offset + length]))
        data = data[offset + length:]
    return frames


def ws_client(server, source="127.0.0.1"):
    return connect(server.ws_url, open_timeout=10, close_timeout=2, source_address=(source, 0)).__enter__()


def close_code(ws, timeout=10):
    """Waits for the server to close `ws`; returns (code, reason, frames received before)."""
    frames = []
    deadline = time.monotonic() + timeout
    while True:
        try:
            frames.append(json.loads(ws.recv(timeout=max(0.01, deadline - time.monotonic()))))
        except ConnectionClosed as closed:
            return closed.rcvd.code, closed.rcvd.reason, frames
        except TimeoutError:
            raise AssertionError(f"not closed within {timeout} s; got {frames}")


def test_websocket_without_hello_is_closed_at_the_deadline(make_server):
    server = make_server({"helloTimeoutSeconds": 1})
    silent = ws_client(server)
    polite = server.customer("acme", "c1")           # says hello at once
    code, reason, frames = close_code(silent)
    assert (code, reason) == (4408, "hello_timeout")
    assert frames[-1]["type"] == "error" and frames[-1]["code"] == "hello_timeout"
    # The connection that said hello outlives the deadline.
    time.sleep(0.5)
    polite.send("ping", nonce="still")
    assert polite.expect("pong")["nonce"] == "still"
    body = server.health()
    assert body["helloTimeouts"] == 1 and body["connections"] == 1


def test_raw_silent_websocket_is_closed_at_the_deadline(make_server):
    server = make_server({"helloTimeoutSeconds": 1})
    sock, pending = raw_websocket(server.port)
    started = time.monotonic()
    frames = read_frames(sock, pending, timeout=10)
    assert time.monotonic() - started < 9, "the server never closed the silent socket"
    closes = [payload for opcode, payload in frames if opcode == 0x8]
    assert closes and int.from_bytes(closes[0][:2], "big") == 4408
    sock.close()


def test_dead_websocket_is_pinged_then_dropped(make_server):
    server = make_server({"helloTimeoutSeconds": 60, "idlePingSeconds": 1, "idleTimeoutSeconds": 3})
    dead, pending = raw_websocket(server.port)       # never answers a ping
    alive = server.client()                           # the websockets library answers pings
    started = time.monotonic()
    frames = read_frames(dead, pending, timeout=15)
    assert time.monotonic() - started < 14, "the dead socket was not dropped"
    assert any(opcode == 0x9 for opcode, _ in frames), f"no ping before the drop: {frames}"
    dead.close()
    # The library client answers pings: it outlives several idle timeouts without sending anything itself.
    time.sleep(4)
    alive.send("ping", nonce="alive")
    assert alive.expect("pong")["nonce"] == "alive"


def test_websockets_per_source_address_are_capped(make_server):
    server = make_server({"maxConnectionsPerAddress": 3})
    first = [ws_client(server) for _ in range(3)]
    for ws in first:
        ws.send(json.dumps({"type": "ping", "nonce": "ok"}))
        assert json.loads(ws.recv(timeout=5))["type"] == "pong"
    extra = ws_client(server)
    code, reason, frames = close_code(extra)
    assert (code, reason) == (1013, "too_many_connections") and frames == []
    # Another address has its own allowance.
    other = ws_client(server, source="127.0.0.2")
    other.send(json.dumps({"type": "ping", "nonce": "other"}))
    assert json.loads(other.recv(timeout=5))["nonce"] == "other"
    # Closing one frees a place.
    first[0].close()
    deadline = time.monotonic() + 5
    while True:
        again = ws_client(server)
        again.send(json.dumps({"type": "ping", "nonce": "again"}))
        try:
            assert json.loads(again.recv(timeout=5))["nonce"] == "again"
            break
        except ConnectionClosed:
            assert time.monotonic() < deadline, "the freed place was never given back"
            time.sleep(0.1)
    for ws in first[1:] + [other, again]:
        ws.close()


def test_open_file_limit_raised_to_the_hard_limit(server):
    limits = open(f"/proc/{server.proc.pid}/limits").read()
    line = next(l for l in limits.splitlines() if l.startswith("Max open files"))
    soft, hard = line.split()[3:5]
    assert soft == hard or int(soft) == 1 << 20, line
    log = server.stderr_path.read_text()
    assert "open file limit" in log and f"os.nofile={soft}" in log, log[-2000:]


def test_tcp_connection_without_a_request_is_dropped_at_the_deadline(make_server):
    server = make_server({"helloTimeoutSeconds": 2})
    silent = socket.create_connection(("127.0.0.1", server.port), timeout=15)
    partial = socket.create_connection(("127.0.0.1", server.port), timeout=15)
    partial.sendall(b"GET /ws HTTP/1.1\r\nHost: x\r\n")          # never finishes its headers
    started = time.monotonic()
    for s in (silent, partial):
        assert s.recv(100) == b""
    # lws's own timeout, set to the hello allowance (it used to fire only after ~28 s on the libev loop).
    assert time.monotonic() - started < 10
    silent.close()
    partial.close()

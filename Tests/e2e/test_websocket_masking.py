"""Hardening (issue 9, item 12): RFC 6455 §5.1, a client frame without the mask bit closes the connection with
1002, through the real server on a raw socket (no WebSocket library would send such a frame)."""
import base64
import json
import os
import socket
import struct


def handshake(port, early: bytes = b"") -> socket.socket:
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall((f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode() + early)
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = s.recv(1)
        assert chunk, head
        head += chunk
    assert head.startswith(b"HTTP/1.1 101"), head
    return s


def frame(payload: bytes, opcode: int = 1, masked: bool = True) -> bytes:
    n = len(payload)
    mask_bit = 0x80 if masked else 0
    header = bytes([0x80 | opcode])
    if n < 126:
        header += bytes([mask_bit | n])
    elif n < 65536:
        header += bytes([mask_bit | 126]) + struct.pack(">H", n)
    else:
        header += bytes([mask_bit | 127]) + struct.pack(">Q", n)
    if not masked:
        return header + payload
    mask = os.urandom(4)
    return header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def read_frame(s) -> tuple[int, bytes]:
    def exactly(n):
        data = b""
        while len(data) < n:
            chunk = s.recv(n - len(data))
            assert chunk, "connection ended before a close frame"
            data += chunk
        return data
    b0, b1 = exactly(2)
    n = b1 & 0x7F
    if n == 126:
        n = struct.unpack(">H", exactly(2))[0]
    elif n == 127:
        n = struct.unpack(">Q", exactly(8))[0]
    return b0 & 0x0F, exactly(n)


def read_until_close(s) -> tuple[int, str, list[bytes]]:
    seen = []
    while True:
        opcode, payload = read_frame(s)
        if opcode == 8:
            return struct.unpack(">H", payload[:2])[0], payload[2:].decode(), seen
        seen.append(payload)


def test_masked_frames_work_and_an_unmasked_one_closes_with_1002(server):
    s = handshake(server.port)
    s.sendall(frame(json.dumps({"type": "ping", "nonce": "masked"}).encode()))
    opcode, payload = read_frame(s)
    assert opcode == 1 and json.loads(payload) == {"type": "pong", "nonce": "masked"}
    s.sendall(frame(json.dumps({"type": "ping", "nonce": "unmasked"}).encode(), masked=False))
    code, reason, seen = read_until_close(s)
    assert (code, reason) == (1002, "unmasked frame")
    assert not any(b"unmasked" in p for p in seen)  # the unmasked request was never answered
    s.close()
    # The server keeps serving.
    status, body = server.http("GET", "/healthz")
    assert (status, body) == (200, {"status": "ok"})


def test_unmasked_control_frame_and_frame_sent_with_the_handshake(server):
    s = handshake(server.port)
    s.sendall(frame(b"are you there", opcode=9, masked=False))  # a ping lws would answer by itself
    assert read_until_close(s)[0] == 1002
    s.close()
    early = frame(json.dumps({"type": "ping", "nonce": "early"}).encode(), masked=False)
    s = handshake(server.port, early=early)
    code, _, seen = read_until_close(s)
    assert code == 1002 and not any(b"early" in p for p in seen)
    s.close()


def test_unmasked_hello_never_authenticates(server):
    s = handshake(server.port)
    token = server.token("acme", "c1")
    s.sendall(frame(json.dumps({"type": "hello", "token": token}).encode(), masked=False))
    code, _, seen = read_until_close(s)
    assert code == 1002 and not any(b"welcome" in p for p in seen)

"""Raw WebSocket frames on a plain or TLS socket, for tests that send what no WebSocket library would (RFC 6455
§5.1: unmasked client frames). One thread per socket, so an ssl.SSLSocket is safe here."""
import base64
import json
import os
import socket
import ssl
import struct


def handshake(port, early: bytes = b"", tls: ssl.SSLContext | None = None) -> socket.socket:
    """A socket past the WebSocket upgrade of /ws (`early` is sent with the request); over TLS with `tls`."""
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    if tls is not None:
        s = tls.wrap_socket(s, server_hostname="localhost")
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


def check_unmasked_ping_refused(port, tls=None) -> None:
    """A masked ping is answered; the same ping unmasked closes the connection with 1002 and is never answered."""
    s = handshake(port, tls=tls)
    s.sendall(frame(json.dumps({"type": "ping", "nonce": "masked"}).encode()))
    opcode, payload = read_frame(s)
    assert opcode == 1 and json.loads(payload) == {"type": "pong", "nonce": "masked"}
    s.sendall(frame(json.dumps({"type": "ping", "nonce": "unmasked"}).encode(), masked=False))
    code, reason, seen = read_until_close(s)
    assert (code, reason) == (1002, "unmasked frame")
    assert not any(b"unmasked" in p for p in seen)  # the unmasked request was never answered
    s.close()

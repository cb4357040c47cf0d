"""Hardening (issue 9, item 12): RFC 6455 §5.1, a client frame without the mask bit closes the connection with
1002, through the real server on a raw socket (no WebSocket library would send such a frame)."""
import json

from rawws import check_unmasked_ping_refused, frame, handshake, read_until_close


def test_masked_frames_work_and_an_unmasked_one_closes_with_1002(server):
    check_unmasked_ping_refused(server.port)
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

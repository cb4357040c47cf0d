"""Scenario 9: malformed input, limits and the rate limiter; the server keeps serving."""
import json
import time

import pytest


def healthy(server):
    status, body = server.http("GET", "/healthz")
    assert status == 200 and body["status"] == "ok"


def test_bad_frames_errors_and_connection_stays_usable(make_server):
    server = make_server({"maxFrameBytes": 4096, "maxMessageLength": 100})
    before = server.client()
    before.send("request_chat", product="pressero", subject="s", text="t", clientId="r0")
    err = before.expect_error("not_authenticated")
    assert err["ref"] == "r0"
    before.send("ping", nonce="n1")
    assert before.expect("pong") == {"type": "pong", "nonce": "n1"}

    cust = server.customer("acme", "c1")
    sid = cust.request_chat("r1")["sessionId"]
    cases = [
        ("{not json", "malformed_json"),
        ("[1,2,3]", "malformed_json"),
        (json.dumps({"type": "launch_rockets"}), "unknown_type"),
        (json.dumps({"notype": 1}), "invalid_field"),
        (json.dumps({"type": 5}), "invalid_field"),
        (json.dumps({"type": "send", "clientId": "x1", "text": "hi"}), "invalid_field"),            # no sessionId
        (json.dumps({"type": "send", "sessionId": "1", "clientId": "x2", "text": "hi"}), "invalid_field"),
        (json.dumps({"type": "send", "sessionId": 1.5, "clientId": "x3", "text": "hi"}), "invalid_field"),
        (json.dumps({"type": "send", "sessionId": True, "clientId": "x4", "text": "hi"}), "invalid_field"),
        (json.dumps({"type": "send", "sessionId": sid, "clientId": 7, "text": "hi"}), "invalid_field"),
        (json.dumps({"type": "send", "sessionId": sid, "clientId": "x5", "text": ""}), "invalid_field"),
        (json.dumps({"type": "send", "sessionId": sid, "clientId": "c" * 65, "text": "hi"}), "invalid_field"),
        (json.dumps({"type": "typing", "sessionId": sid, "active": 1}), "invalid_field"),
        (json.dumps({"type": "sync", "sessionId": sid, "afterSeq": -1}), "invalid_field"),
        (json.dumps({"type": "set_status", "status": "busy"}), "invalid_field"),
        (json.dumps({"type": "send", "sessionId": sid, "clientId": "x6", "text": "y" * 101}), "message_too_long"),
        (json.dumps({"type": "send", "sessionId": 999, "clientId": "x7", "text": "hi"}), "unknown_session"),
        (json.dumps({"type": "hello", "token": "again"}), "already_authenticated"),
        (json.dumps({"type": "take", "sessionId": sid}), "forbidden"),
    ]
    for raw, code in cases:
        cust.send_raw(raw)
        err = cust.expect_error()
        assert err["code"] == code, (raw, err)
        if '"x6"' in raw:
            assert err["ref"] == "x6"

    cust.send_raw(b"\x00\x01binary")
    assert cust.expect_error()["code"] == "binary_not_supported"
    # Still usable, and nothing above created an event.
    m = cust.say(sid, "ok1", "still here")
    assert m["seq"] == 2
    assert [e["seq"] for e in server.transcript(sid, server.login("sue"))["events"]] == [1, 2]

    # An oversized frame closes that connection with 1009; others are unaffected.
    other = server.customer("acme", "c2")
    big = server.customer("acme", "c3")
    big.send_raw(json.dumps({"type": "ping", "nonce": "z" * 5000}))
    assert big.expect_closed() == 1009
    other.send("ping", nonce="after")
    assert other.expect("pong")["nonce"] == "after"
    assert cust.say(sid, "ok2", "after the big one")["seq"] == 3
    healthy(server)


def test_frame_at_the_limit_is_accepted(make_server):
    server = make_server({"maxFrameBytes": 4096})
    c = server.customer("acme", "c1")
    frame = json.dumps({"type": "ping", "nonce": ""})
    nonce = "n" * (4096 - len(frame))
    c.send_raw(json.dumps({"type": "ping", "nonce": nonce}))
    assert c.expect("pong")["nonce"] == nonce


def test_rate_limit_refuses_excess_and_loses_nothing_accepted(make_server):
    server = make_server({"messagesPerSecond": 1, "messageBurst": 10})
    ann = server.staff("ann", available=True)
    started = time.monotonic()
    cust = server.customer("acme", "c1")          # hello took 1 token
    sid = cust.request_chat("r1")["sessionId"]    # 2
    ann.expect_event(sid, "joined")
    n = 30
    for i in range(n):
        cust.send("send", sessionId=sid, clientId=f"m{i}", text=f"burst {i}")
    elapsed = time.monotonic() - started
    outcome = {}
    while len(outcome) < n:
        # Take whichever of ack/error comes next for one of our client ids.
        try:
            f = cust.expect("ack", lambda f: f["clientId"] not in outcome, timeout=0.5)
            outcome[f["clientId"]] = ("ack", f["seq"])
        except AssertionError:
            pass
        for e in [b for b in cust.buffer if b.get("type") == "error" and b.get("ref") not in outcome]:
            cust.buffer.remove(e)
            assert e["code"] == "rate_limited"
            outcome[e["ref"]] = ("error", None)
    acked = {cid: seq for cid, (kind, seq) in outcome.items() if kind == "ack"}
    limited = [cid for cid, (kind, _) in outcome.items() if kind == "error"]
    assert limited, "some messages must be rate limited"
    # Burst of 10 (minus hello and request) plus at most 1 token per second elapsed; no assertion on speed.
    assert 1 <= len(acked) <= 10 + int(elapsed) + 1
    # The accepted ones are in the transcript, in the order sent, with consecutive seqs after the joined event.
    events = server.transcript(sid, server.login("sue"))["events"]
    msgs = [e for e in events if e["kind"] == "message"]
    assert [e["clientId"] for e in msgs] == sorted(acked, key=lambda c: int(c[1:]))
    assert [e["seq"] for e in msgs] == list(range(3, 3 + len(acked)))
    assert all(acked[e["clientId"]] == e["seq"] for e in msgs)
    # The agent received every accepted message exactly once.
    for e in msgs:
        assert ann.expect_event(sid, seq=e["seq"]) == e
    healthy(server)

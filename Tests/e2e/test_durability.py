"""Scenarios 10 and 11: kill -9 mid-stream loses no acked message; SIGTERM closes with 1001 and keeps data."""
import json

from websockets.exceptions import ConnectionClosed

TOTAL = 300
WINDOW = 8
KILL_AFTER = 120


def test_kill_9_mid_stream_loses_no_acked_message(make_server):
    server = make_server({"durability": "full"})
    cust = server.customer("acme", "c1")
    sid = cust.request_chat("r1")["sessionId"]
    ids = [f"m{i:03d}" for i in range(TOTAL)]
    acked: dict[str, int] = {}
    sent = 0
    killed = False
    try:
        while len(acked) < TOTAL:
            while sent < TOTAL and sent - len(acked) < WINDOW:
                cust.send("send", sessionId=sid, clientId=ids[sent], text=f"message {sent}")
                sent += 1
            f = cust.expect("ack", lambda f: f["clientId"] not in acked, timeout=10)
            assert f["clientId"] not in acked
            acked[f["clientId"]] = f["seq"]
            if len(acked) >= KILL_AFTER and not killed:
                server.kill()
                killed = True
    except (AssertionError, ConnectionClosed, OSError):
        assert killed
    assert killed and KILL_AFTER <= len(acked) < TOTAL

    server.start()
    sue = server.login("sue")
    events = server.transcript(sid, sue)["events"]
    by_cid = {}
    for e in events:
        if e["kind"] == "message":
            assert e["clientId"] not in by_cid, f"duplicate {e['clientId']}"
            by_cid[e["clientId"]] = e["seq"]
    for cid, seq in acked.items():
        assert by_cid.get(cid) == seq, f"acked {cid}@{seq} missing after kill -9"
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    # Whatever was stored is a prefix of what was sent (in order).
    assert list(by_cid) == ids[:len(by_cid)]

    print(f"kill -9 after {len(acked)} acks, {sent} sent, {len(by_cid)} stored")
    # Reconnect and resend everything not acked, with the same client ids.
    again = server.customer("acme", "c1")
    again.expect("session", lambda f: f["session"]["id"] == sid)
    for cid in ids:
        if cid not in acked:
            ack = again.say(sid, cid, f"message {int(cid[1:])}")
            acked[cid] = ack["seq"]
            if cid in by_cid:
                assert ack["seq"] == by_cid[cid]      # stored before the kill: acked again, not duplicated
    events = server.transcript(sid, sue)["events"]
    msgs = [e for e in events if e["kind"] == "message"]
    assert [e["clientId"] for e in msgs] == ids
    assert [e["seq"] for e in events] == list(range(1, TOTAL + 2))
    assert all(acked[e["clientId"]] == e["seq"] for e in msgs)
    assert all(e["text"] == f"message {int(e['clientId'][1:])}" for e in msgs)


def test_sigterm_closes_with_1001_and_keeps_data(server):
    ann = server.staff("ann", available=True)
    cust = server.customer("acme", "c1")
    sid = cust.request_chat("r1")["sessionId"]
    ann.expect_event(sid, "joined")
    cust.say(sid, "m1", "before shutdown")
    ann.say(sid, "a1", "noted")
    before = server.transcript(sid, server.login("sue"))

    assert server.terminate() == 0
    assert cust.expect_closed() == 1001
    assert ann.expect_closed() == 1001

    server.start()
    after = server.transcript(sid, server.login("sue"))
    assert after["events"] == before["events"]
    assert [e["seq"] for e in after["events"]] == [1, 2, 3, 4]
    # The chat goes on after the restart.
    again = server.customer("acme", "c1")
    s = again.expect("session", lambda f: f["session"]["id"] == sid)["session"]
    assert s["lastSeq"] == 4
    assert again.say(sid, "m2", "after restart")["seq"] == 5

"""Scenarios 7 and 8: resume after a disconnect without loss or duplicates; idempotent resends."""


def chat(server):
    ann = server.staff("ann", available=True)
    cust = server.customer("acme", "c1")
    sid = cust.request_chat("r1")["sessionId"]
    cust.expect_event(sid, "joined")
    ann.expect_event(sid, "joined")
    return ann, cust, sid


def test_resume_after_disconnect_no_loss_no_duplicate(server):
    ann, cust, sid = chat(server)
    cust.say(sid, "m1", "one")
    a = ann.say(sid, "a1", "two")
    cust.expect_event(sid, seq=a["seq"])
    last_seen = max(e["seq"] for e in cust.events(sid))
    assert last_seen == 4
    cust.close()

    missed = [ann.own_event(ann.say(sid, f"a-missed-{i}", f"while away {i}")) for i in range(5)]
    again = server.customer("acme", "c1")
    s = again.expect("session", lambda f: f["session"]["id"] == sid)["session"]
    assert s["lastSeq"] == 9
    again.send("sync", sessionId=sid, afterSeq=last_seen)
    got = [again.expect_event(sid, seq=m["seq"]) for m in missed]
    assert got == missed
    assert again.expect("synced", lambda f: f["sessionId"] == sid)["lastSeq"] == 9
    # Then live.
    live = ann.say(sid, "a-live", "now live")
    assert again.expect_event(sid, seq=10) == ann.own_event(live)
    mine = again.say(sid, "m2", "back again")
    assert mine["seq"] == 11
    again.drain(0.3)

    def seqs(c):
        return [f["event"]["seq"] if f["type"] == "event" else f["seq"]
                for f in c.frames if isinstance(f, dict) and f.get("type") in ("event", "ack")
                and (f.get("sessionId") or f.get("event", {}).get("sessionId")) == sid]
    both = seqs(cust) + seqs(again)
    assert sorted(both) == list(range(1, 12)), both       # every seq exactly once across both connections
    assert again.events(sid)[-1]["text"] == "back again"
    assert [e["seq"] for e in server.transcript(sid, server.login("sue"))["events"]] == list(range(1, 12))


def test_resend_same_client_id_is_idempotent(server):
    ann, cust, sid = chat(server)
    first = cust.say(sid, "m1", "only once")
    assert first["seq"] == 3
    again = cust.say(sid, "m1", "only once")
    assert again == first
    # Resend of the request itself acks seq 1 again, no second session.
    ack = cust.request_chat("r1")
    assert ack["sessionId"] == sid and ack["seq"] == 1

    cust.close()
    cust2 = server.customer("acme", "c1")
    after = cust2.say(sid, "m1", "only once")
    assert after["seq"] == 3 and after == first
    nxt = cust2.say(sid, "m2", "next")
    assert nxt["seq"] == 4

    ann.expect_event(sid, seq=4)
    ann.drain(0.3)
    assert ann.event_seqs_received(sid).count(3) == 1
    events = server.transcript(sid, server.login("sue"))["events"]
    assert [e["seq"] for e in events] == [1, 2, 3, 4]
    assert [e.get("clientId") for e in events].count("m1") == 1

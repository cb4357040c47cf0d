"""Scenarios 1, 4 and 5: a full chat, one agent with three chats, transfer."""


def staff_id(client):
    return client.welcome["staff"]["id"]


def test_eligible_chat_from_request_to_close(server):
    ann = server.staff("ann", available=True)
    cust = server.customer("acme", "c1")

    ack = cust.request_chat("r1", text="My print job is stuck")
    assert ack["seq"] == 1
    sid = ack["sessionId"]

    s = ann.expect("session", lambda f: f["session"]["id"] == sid)["session"]
    assert s["customer"]["contactId"] == "c1" and s["product"] == "pressero"
    requested = ann.expect_event(sid, "requested")
    assert requested["seq"] == 1 and requested["text"] == "My print job is stuck" and requested["at"] == ack["at"]
    assert requested == cust.own_event(ack)
    joined = ann.expect_event(sid, "joined")
    assert joined["seq"] == 2 and joined["agent"]["id"] == staff_id(ann)
    assert cust.expect_event(sid, "joined") == joined

    # Messages both ways, consecutive seqs; the sender gets an ack, the other side an event.
    a = cust.say(sid, "m1", "Hello?")
    assert a["seq"] == 3
    got = ann.expect_event(sid, seq=3)
    assert got["author"]["role"] == "customer" and got["text"] == "Hello?" and got == cust.own_event(a)
    b = ann.say(sid, "a1", "Hi, looking at it")
    assert b["seq"] == 4
    got = cust.expect_event(sid, seq=4)
    assert got["author"] == {"role": "agent", "id": str(staff_id(ann)), "name": "Ann"} and got == ann.own_event(b)

    # Typing both ways.
    cust.send("typing", sessionId=sid, active=True)
    t = ann.expect("typing")
    assert t == {"type": "typing", "sessionId": sid, "role": "customer", "active": True}
    ann.send("typing", sessionId=sid, active=False)
    t = cust.expect("typing")
    assert t == {"type": "typing", "sessionId": sid, "role": "agent", "active": False}

    # Read receipts both ways.
    cust.send("read", sessionId=sid, seq=4)
    assert ann.expect("read") == {"type": "read", "sessionId": sid, "role": "customer", "seq": 4}
    ann.send("read", sessionId=sid, seq=3)
    assert cust.expect("read") == {"type": "read", "sessionId": sid, "role": "agent", "seq": 3}

    cust.send("close", sessionId=sid)
    closed = cust.expect_event(sid, "closed")
    assert closed["seq"] == 5 and closed["reason"] == "customer"
    assert ann.expect_event(sid, "closed") == closed

    seen = cust.events(sid)
    assert [e["seq"] for e in seen] == [1, 2, 3, 4, 5]
    assert [e["kind"] for e in seen] == ["requested", "joined", "message", "message", "closed"]
    assert ann.events(sid) == seen

    for token in (server.token("acme", "c1"), ann.token, server.login("sue")):
        t = server.transcript(sid, token)
        assert t["events"] == seen
        assert t["session"]["state"] == "closed" and t["session"]["closedAt"] is not None
        assert t["session"]["lastSeq"] == 5
        assert t["session"]["customerReadSeq"] == 4 and t["session"]["agentReadSeq"] == 3

    # Listings agree.
    status, body = server.http("GET", "/api/transcripts", server.token("acme", "c1"))
    assert status == 200 and [x["id"] for x in body["transcripts"]] == [sid]
    status, body = server.http("GET", "/api/transcripts?state=closed", ann.token)
    assert status == 200 and [x["id"] for x in body["transcripts"]] == [sid]


def test_one_agent_three_concurrent_sessions(server):
    ann = server.staff("ann", available=True)
    customers = [server.customer("acme", f"c{i}") for i in range(3)]
    sids = []
    for i, c in enumerate(customers):
        sid = c.request_chat(f"r{i}")["sessionId"]
        sids.append(sid)
        c.expect_event(sid, "joined")
        ann.expect_event(sid, "joined")
    assert len(set(sids)) == 3

    # Interleaved across the three sessions; each message waits for its ack so seqs are predictable.
    for rnd in range(3):
        for i, c in enumerate(customers):
            m = c.say(sids[i], f"c-{rnd}", f"customer {i} round {rnd}")
            assert m["seq"] == 3 + 2 * rnd
            assert ann.expect_event(sids[i], seq=m["seq"]) == c.own_event(m)
        for i, c in enumerate(customers):
            a = ann.say(sids[i], f"a-{i}-{rnd}", f"agent to {i} round {rnd}")
            assert a["seq"] == 4 + 2 * rnd
            assert c.expect_event(sids[i], seq=a["seq"]) == ann.own_event(a)

    for c in customers:
        c.drain()
    ann.drain()
    for i, c in enumerate(customers):
        # Only its own session in anything the customer received.
        others = [f for f in c.frames if isinstance(f, dict) and
                  (f.get("sessionId") or f.get("event", {}).get("sessionId") or f.get("session", {}).get("id"))
                  not in (None, sids[i])]
        assert others == []
        evs = c.events(sids[i])
        assert [e["seq"] for e in evs] == list(range(1, 9))
        assert [e["text"] for e in evs if e["kind"] == "message"] == [
            t for r in range(3) for t in (f"customer {i} round {r}", f"agent to {i} round {r}")]
        assert ann.events(sids[i]) == evs
        # Each seq delivered once.
        assert len(ann.event_seqs_received(sids[i])) == len(set(ann.event_seqs_received(sids[i])))


def test_transfer_moves_chat_and_history(server):
    ann = server.staff("ann", available=True)
    cust = server.customer("acme", "c1")
    sid = cust.request_chat("r1")["sessionId"]
    ann.expect_event(sid, "joined")
    bob = server.staff("bob", available=True)  # transfers go only to connected, Available agents under the cap
    cust.say(sid, "m1", "first")
    ann.say(sid, "a1", "reply")

    ann.send("transfer", sessionId=sid, toAgent=staff_id(bob))
    tr = cust.expect_event(sid, "transferred")
    assert tr["seq"] == 5 and tr["agent"] == {"id": staff_id(bob), "name": "Bob"}
    assert ann.expect_event(sid, "transferred") == tr
    assert bob.expect("session", lambda f: f["session"]["id"] == sid)["session"]["agent"]["id"] == staff_id(bob)
    assert bob.expect_event(sid, "transferred") == tr
    assert bob.events(sid) == cust.events(sid)           # full history 1..5
    assert [e["seq"] for e in bob.events(sid)] == [1, 2, 3, 4, 5]

    m = cust.say(sid, "m2", "still there?")
    assert bob.expect_event(sid, seq=m["seq"]) == cust.own_event(m)
    b = bob.say(sid, "b1", "Bob here")
    assert cust.expect_event(sid, seq=b["seq"]) == bob.own_event(b)
    ann.drain()
    assert max(e["seq"] for e in ann.events(sid)) == 5   # ann stopped at the transfer
    # ann can no longer write to it
    ann.send("send", sessionId=sid, clientId="a2", text="hello?")
    assert ann.expect_error("not_your_session")["ref"] == "a2"
    t = server.transcript(sid, bob.token)
    assert t["session"]["agent"]["id"] == staff_id(bob)
    assert [e["seq"] for e in t["events"]] == [1, 2, 3, 4, 5, 6, 7]
    # Both agents handled it: both may read the transcript.
    assert server.http("GET", f"/api/transcripts/{sid}", ann.token)[0] == 200

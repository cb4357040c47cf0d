"""Scenarios 3 and 6: routing under the per-agent cap; agent disconnect, grace and re-queue."""


def staff_id(client):
    return client.welcome["staff"]["id"]


def latest_position(client, sid, expected, timeout=5):
    """Waits until the latest queue_position for sid equals expected."""
    client.expect("queue_position", lambda f: f["sessionId"] == sid and f["position"] == expected, timeout)
    client.drain(0.2)
    positions = [f["position"] for f in client.frames
                 if isinstance(f, dict) and f.get("type") == "queue_position" and f["sessionId"] == sid]
    assert positions[-1] == expected, positions


def test_routing_respects_cap_and_queue_order(server):
    ann = server.staff("ann", available=True)
    bob = server.staff("bob", available=True)
    customers, sids = [], []
    for i in range(8):
        c = server.customer("acme", f"c{i}")
        sids.append(c.request_chat(f"r{i}")["sessionId"])
        customers.append(c)

    agent_of = {}
    for i in range(6):
        agent_of[i] = customers[i].expect_event(sids[i], "joined")["agent"]["id"]
    counts = {aid: list(agent_of.values()).count(aid) for aid in set(agent_of.values())}
    assert counts == {staff_id(ann): 3, staff_id(bob): 3}
    latest_position(customers[6], sids[6], 1)
    latest_position(customers[7], sids[7], 2)
    for i in (6, 7):
        customers[i].drain(0.2)
        assert not [e for e in customers[i].events(sids[i]) if e["kind"] == "joined"]

    # The agents' board agrees.
    def board_ok(f):
        loads = {a["id"]: len(a["activeSessions"]) for a in f["agents"]}
        return loads.get(staff_id(ann)) == 3 and loads.get(staff_id(bob)) == 3
    ann.expect("agents", board_ok)
    ann.expect("queue", lambda f: [e["sessionId"] for e in f["entries"]] == [sids[6], sids[7]])

    # Closing one active chat routes the first queued one to the freed agent.
    customers[0].send("close", sessionId=sids[0])
    customers[0].expect_event(sids[0], "closed")
    joined = customers[6].expect_event(sids[6], "joined")
    assert joined["agent"]["id"] == agent_of[0]
    latest_position(customers[7], sids[7], 1)
    freed = ann if agent_of[0] == staff_id(ann) else bob
    freed.expect("session", lambda f: f["session"]["id"] == sids[6])


def test_agent_disconnect_requeues_after_grace(make_server):
    server = make_server({"agentGraceSeconds": 2})
    ann = server.staff("ann", available=True)
    cust = server.customer("acme", "c1")
    sid = cust.request_chat("r1")["sessionId"]
    assert cust.expect_event(sid, "joined")["agent"]["id"] == staff_id(ann)
    cust.say(sid, "m1", "hello")
    bob = server.staff("bob", available=True)

    ann.close()
    requeued = cust.expect_event(sid, "requeued", timeout=15)
    assert requeued["seq"] == 4 and requeued["reason"] == "agent_disconnected"
    joined = cust.expect_event(sid, "joined")
    assert joined["seq"] == 5 and joined["agent"]["id"] == staff_id(bob)
    bob.expect("session", lambda f: f["session"]["id"] == sid)
    bob.expect_event(sid, seq=5)
    assert bob.events(sid) == cust.events(sid)
    assert [e["kind"] for e in bob.events(sid)] == ["requested", "joined", "message", "requeued", "joined"]
    m = cust.say(sid, "m2", "are you there")
    assert bob.expect_event(sid, seq=m["seq"]) == cust.own_event(m)


def test_agent_reconnect_within_grace_keeps_session(make_server):
    server = make_server({"agentGraceSeconds": 60})
    ann = server.staff("ann", available=True)
    cust = server.customer("acme", "c1")
    sid = cust.request_chat("r1")["sessionId"]
    cust.expect_event(sid, "joined")
    bob = server.staff("bob", available=True)
    token = ann.token
    ann.close()

    m = cust.say(sid, "m1", "while you were away")
    again = server.client()
    again.hello(token)
    s = again.expect("session", lambda f: f["session"]["id"] == sid)["session"]
    assert s["state"] == "active" and s["agent"]["id"] == staff_id(ann)
    again.send("sync", sessionId=sid, afterSeq=2)
    assert again.expect_event(sid, seq=3) == cust.own_event(m)
    assert again.expect("synced", lambda f: f["sessionId"] == sid)["lastSeq"] == 3
    a = again.say(sid, "a1", "back")
    assert cust.expect_event(sid, seq=a["seq"]) == again.own_event(a)
    cust.drain(0.3)
    assert [e["kind"] for e in cust.events(sid)] == ["requested", "joined", "message", "message"]
    bob.drain(0.3)
    assert bob.events(sid) == []

"""State that must survive a restart: idempotency keys, contact authorizations, ids, agent grace."""


def staff_id(client):
    return client.welcome["staff"]["id"]


def test_restart_keeps_idempotency_contacts_and_ids(make_server):
    server = make_server()
    cust = server.customer("acme", "c1")
    sid = cust.request_chat("r1")["sessionId"]
    first = cust.say(sid, "m1", "before restart")
    f1 = server.customer("fullco", "f1")
    fsid = f1.request_chat("r1")["sessionId"]
    server.restart()  # kill -9

    again = server.customer("acme", "c1")
    assert again.say(sid, "m1", "before restart") == first
    ack = again.request_chat("r1")
    assert ack["sessionId"] == sid and ack["seq"] == 1
    f2 = server.customer("fullco", "f2")
    f2.send("request_chat", product="pressero", subject="s", text="t", clientId="r1")
    assert f2.expect_error()["code"] == "authorized_contacts_exceeded"
    other = server.customer("acme", "c2")
    new_sid = other.request_chat("r1")["sessionId"]
    assert new_sid not in (sid, fsid) and new_sid > max(sid, fsid)
    events = server.transcript(sid, server.login("sue"))["events"]
    assert [e["seq"] for e in events] == [1, 2]


def test_active_session_of_absent_agent_requeued_after_restart(make_server):
    server = make_server({"agentGraceSeconds": 2})
    ann = server.staff("ann", available=True)
    cust = server.customer("acme", "c1")
    sid = cust.request_chat("r1")["sessionId"]
    cust.expect_event(sid, "joined")
    assert server.terminate() == 0

    server.start()
    bob = server.staff("bob", available=True)
    again = server.customer("acme", "c1")
    again.expect("session", lambda f: f["session"]["id"] == sid)
    again.send("sync", sessionId=sid, afterSeq=2)
    again.expect("synced", lambda f: f["sessionId"] == sid)
    requeued = again.expect_event(sid, "requeued", timeout=15)
    assert requeued["seq"] == 3
    joined = again.expect_event(sid, "joined")
    assert joined["seq"] == 4 and joined["agent"]["id"] == staff_id(bob)
    bob.expect("session", lambda f: f["session"]["id"] == sid)

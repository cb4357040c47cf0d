"""Smaller behaviours: queued reconnect, supervisor close, closed-session sync, listing filters."""


def test_queued_customer_reconnect_and_closed_session_sync(server):
    cust = server.customer("acme", "c1")
    sid = cust.request_chat("r1")["sessionId"]
    assert cust.expect("queue_position", lambda f: f["sessionId"] == sid)["position"] == 1
    cust.close()
    again = server.customer("acme", "c1")
    assert again.expect("session", lambda f: f["session"]["id"] == sid)["session"]["state"] == "queued"
    assert again.expect("queue_position", lambda f: f["sessionId"] == sid)["position"] == 1
    again.send("request_chat", product="pressero", subject="s", text="again", clientId="r2")
    assert again.expect_error()["code"] == "already_in_chat"

    # A reconnected client follows the session again only after sync.
    again.send("sync", sessionId=sid, afterSeq=1)
    assert again.expect("synced", lambda f: f["sessionId"] == sid)["lastSeq"] == 1
    # A supervisor may close a queued chat.
    sue = server.staff("sue")
    sue.send("close", sessionId=sid)
    closed = again.expect_event(sid, "closed")
    assert closed["reason"] == "supervisor" and closed["seq"] == 2
    again.send("send", sessionId=sid, clientId="late", text="hello?")
    assert again.expect_error()["code"] == "session_closed"

    # Closed sessions are read back from storage by their owner only.
    third = server.customer("acme", "c1")
    third.send("sync", sessionId=sid, afterSeq=0)
    assert [third.expect_event(sid, seq=s)["seq"] for s in (1, 2)] == [1, 2]
    assert third.expect("synced", lambda f: f["sessionId"] == sid)["lastSeq"] == 2
    stranger = server.customer("acme", "c2")
    stranger.send("sync", sessionId=sid, afterSeq=0)
    assert stranger.expect_error()["code"] == "not_your_session"
    stranger.drain(0.3)
    assert stranger.events(sid) == []


def test_transcript_listing_filters(server):
    ann = server.staff("ann", available=True)
    sids = []
    for i in range(3):
        c = server.customer("acme", f"c{i}")
        sids.append(c.request_chat(f"r{i}")["sessionId"])
        c.expect_event(sids[-1], "joined")
    g = server.customer("globex", "g1")
    gsid = g.request_chat("r1")["sessionId"]
    sue = server.login("sue")
    status, body = server.http("GET", "/api/transcripts?organization=acme", sue)
    assert status == 200 and sorted(t["id"] for t in body["transcripts"]) == sorted(sids)
    status, body = server.http("GET", "/api/transcripts?state=queued", sue)
    assert status == 200 and [t["id"] for t in body["transcripts"]] == [gsid]
    status, body = server.http("GET", "/api/transcripts?limit=2&offset=0", sue)
    assert status == 200 and len(body["transcripts"]) == 2 and body["limit"] == 2
    status, body2 = server.http("GET", "/api/transcripts?limit=2&offset=2", sue)
    assert status == 200 and len(body2["transcripts"]) == 2
    assert {t["id"] for t in body["transcripts"]} | {t["id"] for t in body2["transcripts"]} == set(sids) | {gsid}
    status, body = server.http("GET", f"/api/transcripts?agent={ann.welcome['staff']['id']}", sue)
    assert status == 200 and sorted(t["id"] for t in body["transcripts"]) == sorted(sids)
    status, body = server.http("GET", "/api/transcripts?limit=abc", sue)
    assert status == 400 and body["error"]["code"] == "invalid_field"
    status, body = server.http("GET", "/api/transcripts?agent=2", ann.token)
    assert status == 403


def test_availability_in_welcome_and_the_expected_wait_while_queued(server):
    basic = server.customer("basicco", "b1")
    assert basic.welcome["availability"]["chatOpen"] is False
    assert basic.welcome["availability"]["reason"] == "plan_excludes_chat"
    cust = server.customer("acme", "c1")
    availability = cust.welcome["availability"]
    assert availability["chatOpen"] is True and "pressero" in availability["chatProducts"]
    assert availability["expectedWaitSeconds"] is None, "no agent and the queue never moved"
    sid = cust.request_chat("r1")["sessionId"]
    position = cust.expect("queue_position", lambda f: f["sessionId"] == sid)
    assert position["position"] == 1 and "expectedWaitSeconds" in position
    ann = server.staff("ann", available=True)
    ann.expect_event(sid, "joined")
    assert server.customer("acme", "c2").welcome["availability"]["expectedWaitSeconds"] == 0, "ann has room"

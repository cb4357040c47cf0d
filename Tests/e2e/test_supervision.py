"""Supervisors in live chats over the real server: take over an active chat, assign a queued one to a chosen agent,
barge in without taking the chat."""


def test_take_over_assign_and_barge_in(server):
    ann = server.staff("ann", available=True)
    cust = server.customer("acme", "c1")
    sid = cust.request_chat("r1")["sessionId"]
    ann.expect_event(sid, "joined")
    sue = server.staff("sue")

    # Barge in: the customer sees a supervisor's message; the chat stays with ann.
    seq = sue.say(sid, "s1", "Supervisor here, we are on it")["seq"]
    got = cust.expect_event(sid, "message")
    assert got["seq"] == seq and got["author"]["role"] == "supervisor"
    assert ann.expect_event(sid, "message")["author"]["name"] == "Sue"

    # Take over: the chat moves to sue; ann is told and can no longer write.
    sue.send("take", sessionId=sid)
    moved = cust.expect_event(sid, "transferred")
    assert moved["author"]["role"] == "supervisor" and moved["agent"]["id"] == sue_id(server)
    ann.expect_event(sid, "transferred")
    ann.send("send", sessionId=sid, clientId="a1", text="still mine?")
    assert ann.expect_error()["code"] == "not_your_session"
    sue.say(sid, "s2", "I have taken over")
    assert cust.expect_event(sid, "message")["text"] == "I have taken over"

    # Assign: a queued chat goes to the agent the supervisor chooses, also one who is Away (out of routing).
    ann.send("set_status", status="away")
    ann.expect("status", lambda f: f["status"] == "away")
    bob = server.staff("bob")   # staff start away
    other = server.customer("acme", "c2")
    queued = other.request_chat("r2")["sessionId"]
    sue.send("transfer", sessionId=queued, toAgent=999)
    assert sue.expect_error()["code"] == "agent_unavailable", "nobody by that id is connected"
    sue.send("transfer", sessionId=queued, toAgent=staff_id(server, "bob"))
    joined = other.expect_event(queued, "joined")
    assert joined["agent"]["id"] == staff_id(server, "bob") and joined["author"]["role"] == "supervisor"
    assert bob.expect_event(queued, "joined")["seq"] == joined["seq"]
    bob.say(queued, "b1", "Hello, Bob here")
    assert other.expect_event(queued, "message")["text"] == "Hello, Bob here"


def staff_id(server, username):
    status, body = server.http("GET", "/api/me", server.login(username))
    assert status == 200, body
    return body["staff"]["id"]


def sue_id(server):
    return staff_id(server, "sue")

"""Canned replies over HTTP: personal ones for every staff member, shared ones managed by supervisors, shortcuts
unique per scope, nobody else's replies visible or changeable."""


def test_personal_and_shared_canned_replies(server):
    ann, bob, sue = server.login("ann"), server.login("bob"), server.login("sue")
    status, body = server.http("POST", "/api/canned-replies", ann,
                               {"shortcut": "Hello", "body": "Hi {customer.name}, I am {agent.name}."})
    assert status == 201 and body["cannedReply"]["shortcut"] == "hello" and body["cannedReply"]["shared"] is False
    mine = body["cannedReply"]["id"]
    status, body = server.http("POST", "/api/canned-replies", ann, {"shortcut": "hello", "body": "again"})
    assert status == 409 and body["error"]["code"] == "shortcut_taken"
    status, body = server.http("POST", "/api/canned-replies", ann, {"shortcut": "refund", "body": "x", "shared": True})
    assert status == 403, "agents do not manage shared replies"
    status, body = server.http("POST", "/api/canned-replies", sue,
                               {"shortcut": "hello", "title": "Greeting", "body": "Welcome to {organization.name} support", "shared": True})
    assert status == 201 and body["cannedReply"]["shared"] is True, "a shared /hello next to ann's own"
    shared = body["cannedReply"]["id"]

    status, body = server.http("GET", "/api/canned-replies", ann)
    assert status == 200 and sorted((r["shortcut"], r["shared"]) for r in body["cannedReplies"]) == [("hello", False), ("hello", True)]
    status, body = server.http("GET", "/api/canned-replies", bob)
    assert [r["id"] for r in body["cannedReplies"]] == [shared], "bob sees the shared one, not ann's"

    status, body = server.http("PUT", f"/api/canned-replies/{mine}", bob, {"shortcut": "hello", "body": "mine now"})
    assert status == 404
    status, body = server.http("DELETE", f"/api/canned-replies/{shared}", ann)
    assert status == 403
    status, body = server.http("PUT", f"/api/canned-replies/{mine}", ann, {"shortcut": "hi", "body": "Hi there"})
    assert status == 200 and body["cannedReply"]["shortcut"] == "hi"
    status, body = server.http("DELETE", f"/api/canned-replies/{mine}", ann)
    assert status == 200
    status, body = server.http("GET", "/api/canned-replies", ann)
    assert [r["id"] for r in body["cannedReplies"]] == [shared]

    for bad, field in [({"shortcut": "", "body": "x"}, "shortcut"), ({"shortcut": "a b", "body": "x"}, "shortcut"),
                       ({"shortcut": "ok", "body": "   "}, "body"), ({"shortcut": "ok", "body": "x" * 4001}, "body"),
                       ({"shortcut": "ok", "body": "x", "shared": "yes"}, "shared")]:
        status, body = server.http("POST", "/api/canned-replies", sue, bad)
        assert status == 400 and body["error"]["field"] == field, (bad, body)
    cust = server.customer("acme", "c1")
    status, _ = server.http("GET", "/api/canned-replies", cust.token)
    assert status == 403

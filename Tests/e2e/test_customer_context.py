"""GET /api/transcripts/{id}/context: the customer panel of the console, for staff who may follow the chat."""


def test_context_of_a_chat_names_the_organization_plan_region_and_history(server):
    ann = server.staff("ann", available=True)
    cust = server.customer("acme", "c1")
    first = cust.request_chat("r1", subject="Old question")["sessionId"]
    ann.expect_event(first, "joined")
    cust.send("close", sessionId=first)
    cust.expect_event(first, "closed")
    sid = cust.request_chat("r2", subject="New question")["sessionId"]
    ann.expect_event(sid, "joined")

    status, body = server.http("GET", f"/api/transcripts/{sid}/context", ann.token)
    assert status == 200, body
    assert body["customer"]["contactId"] == "c1"
    assert body["organization"]["name"] == "Acme" and body["organization"]["plan"]["id"] == "hv"
    assert body["organization"]["contacts"]["used"] >= 1 and body["organization"]["contacts"]["allowed"] >= 1
    assert body["region"] is None or isinstance(body["region"]["openNow"], bool)
    assert [c["id"] for c in body["earlierChats"]] == [first] and body["earlierChats"][0]["subject"] == "Old question"
    assert body["openTickets"] == []

    bob = server.login("bob")
    status, _ = server.http("GET", f"/api/transcripts/{sid}/context", bob)
    assert status == 404, "bob may not follow ann's active chat"
    status, _ = server.http("GET", f"/api/transcripts/{sid}/context", cust.token)
    assert status == 403
    status, _ = server.http("GET", f"/api/transcripts/{sid}/context", server.login("sue"))
    assert status == 200

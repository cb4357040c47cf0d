"""Full-text search over HTTP (GET /api/search): words said in a chat, accents, phrases, the role rules of the
transcript listing, cursor paging, and refusals of bad parameters."""
from urllib.parse import quote

from chatlib import wait_for


def search(server, token, q, **params):
    query = "&".join([f"q={quote(q)}"] + [f"{k}={quote(str(v))}" for k, v in params.items()])
    return server.http("GET", f"/api/search?{query}", token)


def found(server, token, q, **params):
    status, body = search(server, token, q, **params)
    assert status == 200, (status, body)
    return [r["id"] for r in body["results"]]


def test_a_supervisor_finds_chats_by_what_was_said_and_each_role_finds_only_its_own(server):
    agent = server.staff("ann", available=True)
    cust = server.customer("acme", "c1")
    sid1 = cust.request_chat("r1", text="My crème brûlée printer is on fire")["sessionId"]
    agent.expect_event(sid1, "joined")
    agent.send("set_status", status="away")   # the next chat stays queued: ann handles only this one
    agent.expect("status", lambda f: f["status"] == "away")
    cust.say(sid1, "m1", "The invoice failed to print twice")
    gus = server.customer("globex", "g1")
    sid2 = gus.request_chat("r2", text="Invoice failed at Globex")["sessionId"]
    sue = server.login("sue")

    # Indexed within eventIndexDelaySeconds (0.1 s in these tests).
    wait_for(lambda: found(server, sue, "invoice") == [sid2, sid1], what="both chats searchable")
    assert found(server, sue, "creme brulee") == [sid1], "accents and case do not matter"
    assert found(server, sue, "brul*") == [sid1]
    assert found(server, sue, '"failed to print"') == [sid1]
    assert found(server, sue, '"print failed"') == []
    assert found(server, sue, "invoice", organization="globex") == [sid2]
    assert found(server, sue, "Globex") == [sid2], "the organization's name is searchable"

    status, body = search(server, sue, "invoice failed")
    hit = body["results"][0]
    assert hit["id"] == sid2 and hit["organizationId"] == "globex"
    assert [p["text"] for p in hit["hit"]["snippet"] if p["hit"]] == ["Invoice", "failed"]
    assert body["total"] == 2 and body["totalExact"] is True and body["nextCursor"] is None

    # Customers find their own chats only; agents the chats they handled.
    assert found(server, cust.token, "invoice") == [sid1]
    assert found(server, gus.token, "invoice") == [sid2]
    status, body = search(server, gus.token, "invoice", organization="acme")
    assert status == 403
    assert found(server, agent.token, "invoice") == [sid1], "ann handled only the acme chat"
    bob = server.login("bob")
    assert found(server, bob, "invoice") == []


def test_pages_follow_the_cursor_and_bad_parameters_are_refused(server):
    agent = server.staff("ann", available=True)
    sids = []
    for n in range(5):
        cust = server.customer("acme", f"p{n}")
        sids.append(cust.request_chat(f"r{n}", text=f"zebra question number {n}")["sessionId"])
        cust.close()
    sue = server.login("sue")
    wait_for(lambda: len(found(server, sue, "zebra")) == 5, what="five chats searchable")
    pages, before = [], None
    while True:
        params = {"limit": 2} if before is None else {"limit": 2, "before": before}
        status, body = search(server, sue, "zebra", **params)
        assert status == 200 and body["total"] == len(sids) - sum(len(p) for p in pages)
        pages.append([r["id"] for r in body["results"]])
        before = body["nextCursor"]
        if before is None:
            break
    assert pages == [sorted(sids, reverse=True)[i:i + 2] for i in (0, 2, 4)]

    for params, field in [({"q": ""}, "q"), ({"q": "-- **"}, "q"), ({"q": "x" * 201}, "q"),
                          ({"q": "zebra", "before": "abc"}, "before"), ({"q": "zebra", "offset": "2"}, "offset"),
                          ({"q": "zebra", "limit": "0"}, "limit")]:
        query = "&".join(f"{k}={quote(v)}" for k, v in params.items())
        status, body = server.http("GET", f"/api/search?{query}", sue)
        assert status == 400 and body["error"]["code"] == "invalid_field" and body["error"]["field"] == field, (params, body)
    status, body = server.http("GET", "/api/search", sue)
    assert status == 400 and body["error"]["field"] == "q"
    status, _ = server.http("GET", "/api/search?q=zebra")
    assert status == 401
    # FTS5 syntax typed by a person is just text.
    for q in ['zebra OR', 'NEAR(zebra)', '"zebra', 'zebra -question', 'col:zebra', '(((zebra']:
        status, body = search(server, sue, q)
        assert status == 200, (q, body)

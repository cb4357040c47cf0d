"""CSAT ratings and analytics through the real server: the customer rates their closed chat (once, changeable in
the window), the transcript shows it, supervisors read the figures as JSON and CSV, nobody else does."""
import csv
import io

from chatlib import wait_for


def test_rating_a_chat_and_the_analytics_that_count_it(server):
    ann = server.staff("ann", available=True)
    cust = server.customer("acme", "c1")
    sid = cust.request_chat("r1")["sessionId"]
    ann.expect_event(sid, "joined")
    ann.say(sid, "a1", "How can I help?")
    status, body = server.http("POST", f"/api/transcripts/{sid}/rating", cust.token, {"rating": 5})
    assert status == 409 and body["error"]["code"] == "chat_not_closed"
    cust.send("close", sessionId=sid)
    cust.expect_event(sid, "closed")

    for bad in [{"rating": 0}, {"rating": 6}, {"rating": "5"}, {"rating": True}, {"rating": 4, "comment": 7},
                {"rating": 4, "comment": "x" * 1001}, {}]:
        status, body = server.http("POST", f"/api/transcripts/{sid}/rating", cust.token, bad)
        assert status == 400 and body["error"]["code"] == "invalid_field", (bad, body)
    other = server.customer("acme", "c2")
    status, body = server.http("POST", f"/api/transcripts/{sid}/rating", other.token, {"rating": 1})
    assert status == 404, ("another customer's chat is not theirs to rate", body)
    status, body = server.http("POST", f"/api/transcripts/{sid}/rating", server.login("sue"), {"rating": 1})
    assert status == 403

    status, body = server.http("POST", f"/api/transcripts/{sid}/rating", cust.token, {"rating": 2, "comment": "slow"})
    assert status == 200 and body["rating"]["rating"] == 2
    status, body = server.http("POST", f"/api/transcripts/{sid}/rating", cust.token, {"rating": 4, "comment": "ok after all"})
    assert status == 200 and body["rating"] == {**body["rating"], "rating": 4, "comment": "ok after all"}
    csat = server.transcript(sid, ann.token)["csat"]
    assert csat["rating"] == 4 and csat["comment"] == "ok after all"

    sue = server.login("sue")
    def report():
        status, body = server.http("GET", "/api/analytics", sue)
        assert status == 200, body
        return body
    body = wait_for(lambda: (lambda r: r if r["firstReplySeconds"]["count"] == 1 else None)(report()), what="indexed")
    assert body["chats"] == 1 and body["ended"] == 1 and body["converted"] == 0
    assert body["csat"] == {"average": 4, "distribution": [0, 0, 0, 1, 0]}
    assert body["waitSeconds"]["count"] == 1 and body["handleSeconds"]["count"] == 1
    assert sum(sum(row) for row in body["hourOfWeek"]) == 1 and len(body["chatsPerDay"]) == 1
    assert [a["name"] for a in body["perAgent"]] == ["Ann"] and body["perOrganization"][0]["key"] == "acme"
    assert [(p["key"], p["name"]) for p in body["perProduct"]] == [("pressero", "Pressero")], "the policy's name"
    status, body = server.http("GET", "/api/analytics?organization=globex", sue)
    assert status == 200 and body["chats"] == 0 and body["csat"]["average"] is None

    status, raw = server.http("GET", "/api/analytics.csv", sue)
    assert status == 200
    rows = list(csv.DictReader(io.StringIO(raw if isinstance(raw, str) else raw.decode())))
    summary = {r["key"]: r["value"] for r in rows if r["section"] == "summary"}
    assert summary["chats"] == "1" and summary["csat_4"] == "1"
    assert [r["name"] for r in rows if r["section"] == "agent"] == ["Ann"]
    assert [(r["key"], r["name"]) for r in rows if r["section"] == "product"] == [("pressero", "Pressero")]

    for token in (ann.token, cust.token):
        status, _ = server.http("GET", "/api/analytics", token)
        assert status == 403
    status, body = server.http("GET", "/api/analytics?from=2026-13-01", sue)
    assert status == 400 and body["error"]["field"] == "from"

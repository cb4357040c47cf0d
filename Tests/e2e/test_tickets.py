"""Tickets through the real server: open, list, read, reply, status workflow, access rules and filters."""
from datetime import datetime, timedelta, timezone

import pytest


def iso(dt: datetime) -> str:
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)


def new_ticket(server, token, **fields):
    body = {"subject": "Orders fail at checkout", "product": "pressero", "category": "incident", "severity": 2,
            "description": "Customers see an error when they pay."}
    body.update(fields)
    status, reply = server.http("POST", "/api/tickets", token, body)
    assert status == 201, (status, reply)
    return reply["ticket"]


def error_code(status_and_body):
    status, body = status_and_body
    return status, body["error"]["code"]


def test_customer_opens_lists_and_reads_a_ticket(server):
    acme = server.token("acme", "c1", name="Cathy", email="cathy@acme.example")
    ticket = new_ticket(server, acme, severity=1, urgent=True, subject="  Cannot order  ")
    assert ticket["number"] >= 1
    assert ticket["organizationId"] == "acme"
    assert ticket["customer"] == {"contactId": "c1", "name": "Cathy", "email": "cathy@acme.example"}
    assert ticket["subject"] == "Cannot order"
    assert (ticket["product"], ticket["category"], ticket["severity"], ticket["urgent"]) == ("pressero", "incident", 1, True)
    assert ticket["status"] == "new"
    assert ticket["sessionId"] is None and ticket["convertedBy"] is None
    assert ticket["firstRespondedAt"] is None and ticket["firstResponseMet"] is None
    assert parse(ticket["firstResponseDue"]) > parse(ticket["createdAt"])
    second = new_ticket(server, acme, severity=4, category="request")
    assert second["number"] > ticket["number"]

    status, body = server.http("GET", "/api/tickets", acme)
    assert status == 200 and [t["number"] for t in body["tickets"]] == [second["number"], ticket["number"]]

    status, body = server.http("GET", f"/api/tickets/{ticket['number']}", acme)
    assert status == 200 and body["ticket"] == ticket
    assert [(e["seq"], e["kind"], e["actor"]["role"], e["actor"]["id"], e.get("toStatus")) for e in body["history"]] \
        == [(1, "created", "customer", "c1", "new")]

    # Another contact of the same organization sees the organization's tickets.
    colleague = server.token("acme", "c2")
    assert server.http("GET", f"/api/tickets/{ticket['number']}", colleague)[0] == 200

    # Another organization does not.
    globex = server.token("globex", "g1")
    assert error_code(server.http("GET", f"/api/tickets/{ticket['number']}", globex)) == (403, "forbidden")
    assert error_code(server.http("GET", "/api/tickets?organization=acme", globex)) == (403, "forbidden")
    status, body = server.http("GET", "/api/tickets", globex)
    assert status == 200 and body["tickets"] == []
    assert error_code(server.http("POST", f"/api/tickets/{ticket['number']}/replies", globex, {"text": "hi"})) \
        == (403, "forbidden")

    # Tickets survive a restart.
    server.restart()
    status, body = server.http("GET", f"/api/tickets/{ticket['number']}", acme)
    assert status == 200 and body["ticket"] == ticket


def test_refusals_when_opening_or_reading(server):
    acme = server.token("acme", "c1")
    assert error_code(server.http("POST", "/api/tickets", None, {})) == (401, "not_authenticated")
    for bad in [{"severity": 9}, {"product": "nope"}, {"category": "question"}, {"subject": "  "},
                {"description": ""}, {"urgent": "yes"}, {"severity": "1"}]:
        body = {"subject": "S", "product": "pressero", "category": "request", "severity": 3, "description": "D"}
        body.update(bad)
        assert error_code(server.http("POST", "/api/tickets", acme, body)) == (400, "invalid_field"), bad
    sue = server.login("sue")
    assert error_code(server.http("POST", "/api/tickets", sue, {"subject": "S", "product": "pressero",
                                                                 "category": "request", "severity": 3,
                                                                 "description": "D"})) == (403, "forbidden")
    assert error_code(server.http("GET", "/api/tickets/999999", sue)) == (404, "unknown_ticket")
    assert error_code(server.http("POST", "/api/tickets/999999/status", sue, {"status": "open"})) \
        == (404, "unknown_ticket")
    assert error_code(server.http("POST", "/api/tickets/999999/replies", acme, {"text": "hi"})) \
        == (404, "unknown_ticket")
    assert error_code(server.http("GET", "/api/tickets/abc", sue)) == (400, "invalid_field")
    assert error_code(server.http("DELETE", "/api/tickets/1", sue)) == (405, "method_not_allowed")
    # An organization that is not registered cannot open tickets.
    stranger = server.token("nowhere", "x1")
    assert error_code(server.http("POST", "/api/tickets", stranger, {"subject": "S", "product": "pressero",
                                                                      "category": "request", "severity": 3,
                                                                      "description": "D"})) \
        == (404, "unknown_organization")


def test_replies_record_the_first_response_and_move_the_status(server):
    acme = server.token("acme", "c1")
    number = new_ticket(server, acme)["number"]
    ann = server.login("ann")

    status, body = server.http("POST", f"/api/tickets/{number}/replies", ann, {"text": "Looking into it."})
    assert status == 200, body
    assert body["entry"]["kind"] == "reply" and body["entry"]["text"] == "Looking into it."
    assert body["entry"]["actor"]["role"] == "agent"
    ticket = body["ticket"]
    assert ticket["status"] == "open"
    assert ticket["firstRespondedAt"] is not None and ticket["firstResponseMet"] is True
    first_response = ticket["firstRespondedAt"]

    status, body = server.http("POST", f"/api/tickets/{number}/status", ann, {"status": "awaiting_reply"})
    assert status == 200 and body["ticket"]["status"] == "awaiting_reply"
    assert (body["entry"]["fromStatus"], body["entry"]["toStatus"]) == ("open", "awaiting_reply")

    status, body = server.http("POST", f"/api/tickets/{number}/replies", acme, {"text": "Here is the log."})
    assert status == 200 and body["ticket"]["status"] == "open"

    # A later staff reply does not move the first response.
    status, body = server.http("POST", f"/api/tickets/{number}/replies", server.login("sue"), {"text": "Fixed."})
    assert status == 200 and body["ticket"]["firstRespondedAt"] == first_response
    assert body["entry"]["actor"]["role"] == "supervisor"

    status, body = server.http("GET", f"/api/tickets/{number}", acme)
    assert [(e["seq"], e["kind"], e.get("fromStatus"), e.get("toStatus")) for e in body["history"]] == [
        (1, "created", None, "new"),
        (2, "reply", None, None),
        (3, "status_changed", "new", "open"),
        (4, "status_changed", "open", "awaiting_reply"),
        (5, "reply", None, None),
        (6, "status_changed", "awaiting_reply", "open"),
        (7, "reply", None, None),
    ]
    assert error_code(server.http("POST", f"/api/tickets/{number}/replies", acme, {"text": "   "})) \
        == (400, "invalid_field")


def test_status_workflow_and_closed_tickets(server):
    acme = server.token("acme", "c1")
    number = new_ticket(server, acme)["number"]
    ann = server.login("ann")

    assert error_code(server.http("POST", f"/api/tickets/{number}/status", acme, {"status": "closed"})) \
        == (403, "forbidden")
    for to in ["on_hold", "open", "on_hold"]:
        status, body = server.http("POST", f"/api/tickets/{number}/status", ann, {"status": to})
        assert status == 200 and body["ticket"]["status"] == to, body
    status, body = server.http("POST", f"/api/tickets/{number}/status", ann, {"status": "new"})
    assert (status, body["error"]["code"]) == (409, "illegal_transition")
    assert "On-Hold" in body["error"]["message"] and "New" in body["error"]["message"]
    assert error_code(server.http("POST", f"/api/tickets/{number}/status", ann, {"status": "on_hold"})) \
        == (409, "illegal_transition")
    assert error_code(server.http("POST", f"/api/tickets/{number}/status", ann, {"status": "reopened"})) \
        == (400, "invalid_field")

    assert server.http("POST", f"/api/tickets/{number}/status", ann, {"status": "closed"})[0] == 200
    status, body = server.http("POST", f"/api/tickets/{number}/replies", acme, {"text": "It is back!"})
    assert (status, body["error"]["code"]) == (409, "ticket_closed")
    assert body["error"]["alternative"] == "ticket" and "new ticket" in body["error"]["message"]
    assert error_code(server.http("POST", f"/api/tickets/{number}/replies", ann, {"text": "x"})) \
        == (409, "ticket_closed")
    assert error_code(server.http("POST", f"/api/tickets/{number}/status", ann, {"status": "open"})) \
        == (409, "illegal_transition")
    status, body = server.http("GET", f"/api/tickets/{number}", acme)
    assert body["ticket"]["status"] == "closed"
    assert [e["kind"] for e in body["history"]] == ["created"] + ["status_changed"] * 4


def test_filters(server):
    acme = server.token("acme", "c1")
    globex = server.token("globex", "g1")
    a_urgent = new_ticket(server, acme, severity=1, urgent=True)["number"]
    a_low = new_ticket(server, acme, severity=4)["number"]
    g_mid = new_ticket(server, globex, severity=2)["number"]
    g_top = new_ticket(server, globex, severity=1)["number"]
    sue = server.login("sue")

    def numbers(query, token=sue):
        status, body = server.http("GET", f"/api/tickets{query}", token)
        assert status == 200, body
        return [t["number"] for t in body["tickets"]]

    assert numbers("") == [g_top, g_mid, a_low, a_urgent]
    assert numbers("?organization=acme") == [a_low, a_urgent]
    assert numbers("?severity=1") == [g_top, a_urgent]
    assert numbers("?urgent=true") == [a_urgent]
    assert numbers("?limit=1&offset=1") == [g_mid]
    assert numbers("?severity=1", acme) == [a_urgent]

    # due: unanswered and due before the instant. Severity 1 is due first, severity 4 last.
    soon = iso(datetime.now(timezone.utc) + timedelta(hours=5))
    assert numbers(f"?due={soon}") == [g_top, a_urgent]
    assert server.http("POST", f"/api/tickets/{g_top}/replies", sue, {"text": "On it"})[0] == 200
    assert numbers(f"?due={soon}") == [a_urgent]
    assert numbers(f"?due={iso(datetime.now(timezone.utc) - timedelta(hours=1))}") == []
    assert numbers("?status=open") == [g_top]
    assert numbers("?status=new&organization=globex") == [g_mid]

    for bad in ["?status=bogus", "?severity=x", "?urgent=maybe", "?due=tomorrow", "?limit=0"]:
        assert error_code(server.http("GET", f"/api/tickets{bad}", sue)) == (400, "invalid_field"), bad


def test_admin_regions(server):
    assert "region spain" in server.admin("create-org", "--id", "iberia", "--name", "Iberia", "--plan", "hv",
                                          "--region", "spain")
    assert "region anytime" in server.admin("create-org", "--id", "plain", "--name", "Plain", "--plan", "hv")
    with pytest.raises(RuntimeError, match="Unknown region"):
        server.admin("create-org", "--id", "mars", "--name", "Mars", "--plan", "hv", "--region", "mars")
    assert "region usa" in server.admin("set-region", "--id", "iberia", "--region", "usa")
    with pytest.raises(RuntimeError, match="Unknown region"):
        server.admin("set-region", "--id", "iberia", "--region", "atlantis")
    # An organization created while the server runs can open tickets at once.
    ticket = new_ticket(server, server.token("iberia", "i1"))
    assert ticket["organizationId"] == "iberia"


def test_ticket_frames_reach_staff_and_the_organizations_customers_only(server):
    ann = server.staff("ann")
    watcher = server.customer("acme", "c2")            # same organization, another contact: sees the org's tickets
    outsider = server.customer("globex", "g1")
    author = server.customer("acme", "c1")
    ticket = new_ticket(server, author.token)
    frame = ann.expect("ticket", lambda f: f["ticket"]["number"] == ticket["number"])
    assert frame["change"] == "created" and frame["ticket"]["status"] == "new"
    assert watcher.expect("ticket")["ticket"]["number"] == ticket["number"]

    status, _ = server.http("POST", f"/api/tickets/{ticket['number']}/replies", ann.token, {"text": "Looking into it"})
    assert status == 200
    reply = author.expect("ticket", lambda f: f["change"] == "reply")
    assert reply["ticket"]["number"] == ticket["number"]
    status, _ = server.http("POST", f"/api/tickets/{ticket['number']}/status", ann.token, {"status": "on_hold"})
    assert status == 200
    assert author.expect("ticket", lambda f: f["change"] == "status")["ticket"]["status"] == "on_hold"
    outsider.drain()
    assert [f for f in outsider.buffer if f.get("type") == "ticket"] == [], "another organization hears nothing"

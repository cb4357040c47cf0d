"""Internal work on tickets (issue 12): staff-only notes, assignment, the staff list, and that customers never
see internal entries (not in GET /api/tickets/{n}, not as `ticket` frames)."""
import time

from test_tickets import error_code, new_ticket


def test_internal_notes_are_for_staff_only(server):
    cathy = server.token("acme", "c1", name="Cathy")
    ticket = new_ticket(server, cathy)
    number = ticket["number"]
    ann = server.login("ann")
    watcher = server.customer("acme", "c2")  # a contact of the same organization, watching its tickets
    staff_ws = server.staff("bob")

    status, body = server.http("POST", f"/api/tickets/{number}/notes", ann, {"text": "  Customer is on v5.2; check logs.  "})
    assert status == 200, body
    entry = body["entry"]
    assert (entry["kind"], entry["text"], entry["actor"]["role"], entry["actor"]["name"]) \
        == ("note", "Customer is on v5.2; check logs.", "agent", "Ann")
    assert body["ticket"]["status"] == "new", "a note changes nothing on the ticket"
    frame = staff_ws.expect("ticket", lambda f: f["change"] == "note" and f["ticket"]["number"] == number)
    assert frame["ticket"]["number"] == number

    # Staff see the note in the history; the customer's read of the same ticket leaves it out.
    staff_history = server.http("GET", f"/api/tickets/{number}", ann)[1]["history"]
    assert [e["kind"] for e in staff_history] == ["created", "note"]
    status, body = server.http("GET", f"/api/tickets/{number}", cathy)
    assert status == 200 and [e["kind"] for e in body["history"]] == ["created"]
    assert "v5.2" not in str(body)

    # A staff reply after the note: the customer sees the reply, still not the note.
    assert server.http("POST", f"/api/tickets/{number}/replies", ann, {"text": "We are on it."})[0] == 200
    body = server.http("GET", f"/api/tickets/{number}", cathy)[1]
    assert [e["kind"] for e in body["history"]] == ["created", "reply", "status_changed"]
    assert [e["kind"] for e in server.http("GET", f"/api/tickets/{number}", ann)[1]["history"]] \
        == ["created", "note", "reply", "status_changed"]

    # Customers cannot write notes; empty notes are refused.
    assert error_code(server.http("POST", f"/api/tickets/{number}/notes", cathy, {"text": "hi"})) == (403, "forbidden")
    assert error_code(server.http("POST", f"/api/tickets/{number}/notes", ann, {"text": "   "})) == (400, "invalid_field")
    assert error_code(server.http("POST", "/api/tickets/999999/notes", ann, {"text": "x"})) == (404, "unknown_ticket")

    # The customer watching the organization's tickets heard the reply, never the note.
    watcher.expect("ticket", lambda f: f["change"] == "reply" and f["ticket"]["number"] == number)
    watcher.drain()
    assert [f["change"] for f in watcher.buffer if f.get("type") == "ticket"] in ([], ["created"]), \
        "no note notice reaches a customer"
    assert all("v5.2" not in str(f) for f in watcher.buffer)


def test_assignment_and_staff_list(server):
    cathy = server.token("acme", "c1", name="Cathy")
    number = new_ticket(server, cathy)["number"]
    ann, sue = server.login("ann"), server.login("sue")
    watcher = server.customer("acme", "c2")
    staff_ws = server.staff("bob")

    status, body = server.http("GET", "/api/staff", ann)
    assert status == 200
    by_name = {m["name"]: m for m in body["staff"]}
    assert {"Ann", "Bob", "Sue"} <= set(by_name) and by_name["Sue"]["role"] == "supervisor"
    assert error_code(server.http("GET", "/api/staff", cathy)) == (403, "forbidden")

    ann_id = by_name["Ann"]["id"]
    status, body = server.http("POST", f"/api/tickets/{number}/assignee", sue, {"staffId": ann_id})
    assert status == 200, body
    assert body["ticket"]["assignee"] == {"id": ann_id, "name": "Ann"}
    assert (body["entry"]["kind"], body["entry"]["text"], body["entry"]["actor"]["name"]) == ("assigned", "Assigned to Ann.", "Sue")
    frame = staff_ws.expect("ticket", lambda f: f["change"] == "assignee")
    assert frame["ticket"]["assignee"]["id"] == ann_id

    # The same assignee again writes nothing.
    status, body = server.http("POST", f"/api/tickets/{number}/assignee", ann, {"staffId": ann_id})
    assert status == 200 and "entry" not in body

    # The filter by assignee, and unassigned.
    other = new_ticket(server, cathy, subject="Second")["number"]
    mine = server.http("GET", f"/api/tickets?assignee={ann_id}", ann)[1]["tickets"]
    assert [t["number"] for t in mine] == [number]
    nobody = server.http("GET", "/api/tickets?assignee=none", ann)[1]["tickets"]
    assert other in [t["number"] for t in nobody] and number not in [t["number"] for t in nobody]
    assert error_code(server.http("GET", "/api/tickets?assignee=ann", ann)) == (400, "invalid_field")

    # Unassign; refusals.
    status, body = server.http("POST", f"/api/tickets/{number}/assignee", ann, {"staffId": None})
    assert status == 200 and body["ticket"]["assignee"] is None and body["entry"]["text"] == "Unassigned."
    assert error_code(server.http("POST", f"/api/tickets/{number}/assignee", ann, {"staffId": 99999})) == (404, "unknown_agent")
    assert error_code(server.http("POST", f"/api/tickets/{number}/assignee", ann, {})) == (400, "invalid_field")
    assert error_code(server.http("POST", f"/api/tickets/{number}/assignee", ann, {"staffId": "1"})) == (400, "invalid_field")
    assert error_code(server.http("POST", f"/api/tickets/{number}/assignee", cathy, {"staffId": ann_id})) == (403, "forbidden")

    # Customers see the assignee on the ticket but not the assignment entries, and hear no assignment notices.
    body = server.http("GET", f"/api/tickets/{number}", cathy)[1]
    assert [e["kind"] for e in body["history"]] == ["created"]
    time.sleep(0.3)
    watcher.drain()
    assert [f for f in watcher.buffer if f.get("type") == "ticket" and f["change"] == "assignee"] == []


def test_assignment_survives_a_restart(server):
    cathy = server.token("acme", "c1")
    number = new_ticket(server, cathy)["number"]
    ann = server.login("ann")
    ann_id = [m for m in server.http("GET", "/api/staff", ann)[1]["staff"] if m["name"] == "Ann"][0]["id"]
    assert server.http("POST", f"/api/tickets/{number}/assignee", ann, {"staffId": ann_id})[0] == 200
    assert server.http("POST", f"/api/tickets/{number}/notes", ann, {"text": "kept"})[0] == 200
    server.restart()
    ann = server.login("ann")
    body = server.http("GET", f"/api/tickets/{number}", ann)[1]
    assert body["ticket"]["assignee"]["name"] == "Ann"
    assert [e["kind"] for e in body["history"]] == ["created", "assigned", "note"]

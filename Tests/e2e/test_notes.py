"""Staff-only notes (internal notes and supervisors' whispers): staff following the chat get them live and in
replays; the customer never does: not live, not in a sync replay, not in the HTTP transcript, not by search."""
from urllib.parse import quote

from chatlib import wait_for


def test_a_whisper_and_a_note_never_reach_the_customer(server):
    agent = server.staff("ann", available=True)
    cust = server.customer("acme", "c1")
    sid = cust.request_chat("r1", text="My invoices do not print")["sessionId"]
    agent.expect_event(sid, "joined")
    sue = server.staff("sue")
    sue.send("sync", sessionId=sid, afterSeq=0)
    sue.expect("synced", lambda f: f["sessionId"] == sid)

    sue.send("note", sessionId=sid, clientId="w1", text="Offer the zanzibar refund")
    ack = sue.expect_ack("w1")
    note_seq = ack["seq"]
    note = agent.expect_event(sid, "note")
    assert note["seq"] == note_seq and note["author"]["role"] == "supervisor" and note["text"] == "Offer the zanzibar refund"
    agent.send("note", sessionId=sid, clientId="n1", text="VIP, zanzibar account")
    agent_note = agent.expect_ack("n1")["seq"]
    assert sue.expect_event(sid, "note")["seq"] == agent_note
    msg = agent.say(sid, "a1", "We can refund it")["seq"]

    # Live: the customer gets the message, with a seq after both notes, and nothing about them.
    got = cust.expect_event(sid, "message")
    assert got["seq"] == msg == agent_note + 1
    cust.drain()
    assert all(seq not in (note_seq, agent_note) for seq in cust.event_seqs_received(sid))

    # A replay from the start skips them; synced still names the last seq.
    again = server.customer("acme", "c1")
    again.send("sync", sessionId=sid, afterSeq=0)
    synced = again.expect("synced", lambda f: f["sessionId"] == sid)
    assert synced["lastSeq"] == msg
    assert [e["kind"] for e in again.events(sid)] == ["requested", "joined", "message"]

    # The HTTP transcript: staff see the notes, the customer does not.
    kinds = [e["kind"] for e in server.transcript(sid, cust.token)["events"]]
    assert "note" not in kinds and kinds[-1] == "message"
    assert [e["kind"] for e in server.transcript(sid, agent.token)["events"]].count("note") == 2

    # Search never finds a chat by a note's words (for anyone).
    sue_token = server.login("sue")
    wait_for(lambda: server.http("GET", "/api/search?q=refund", sue_token)[1]["total"] == 1, what="indexed")
    status, body = server.http("GET", "/api/search?q=zanzibar", cust.token)
    assert status == 200 and body["results"] == []

    # Customers cannot write notes.
    cust.send("note", sessionId=sid, clientId="x1", text="let me in")
    assert cust.expect_error()["code"] == "not_your_session"

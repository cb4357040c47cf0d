"""Limits hold per principal, across all of its connections (issue 9.6): messages per contact, chat requests per
contact, tickets per organization. Each refusal has a stable code; nothing refused is stored."""
import time

from chatlib import http


def test_message_rate_is_shared_by_all_connections_of_one_contact(make_server):
    server = make_server(config={"messagesPerSecond": 1, "messageBurst": 10})
    ann = server.staff("ann", available=True)
    first = server.customer("acme", "c1")
    sid = first.request_chat("r1")["sessionId"]
    ann.expect_event(sid, "joined")
    conns = [first] + [server.customer("acme", "c1") for _ in range(3)]
    sent = []
    for round_ in range(8):
        for n, c in enumerate(conns):
            client_id = f"m-{n}-{round_}"
            sent.append((c, client_id))
            c.send("send", sessionId=sid, clientId=client_id, text=client_id)
    time.sleep(1.0)
    acked, limited = 0, 0
    for c in conns:
        c.drain(0.3)
        acked += sum(1 for f in c.buffer if f.get("type") == "ack" and f["clientId"].startswith("m-"))
        limited += sum(1 for f in c.buffer if f.get("type") == "error" and f["code"] == "rate_limited")
    # 32 frames from four connections of one contact: about the burst (10) plus ~1/s get through, not 4 x 10.
    assert acked + limited == len(sent)
    assert 8 <= acked <= 14, (acked, limited)
    transcript = server.transcript(sid, ann.token)
    assert sum(1 for e in transcript["events"] if e["kind"] == "message") == acked


def test_a_request_close_loop_is_limited_per_contact(make_server):
    server = make_server(config={"chatRequestBurst": 3, "chatRequestsPerHour": 1})
    for n in range(3):
        c = server.customer("acme", "c1")     # a new connection each time does not reset the budget
        sid = c.request_chat(f"r{n}")["sessionId"]
        c.send("close", sessionId=sid)
        c.expect_event(sid, "closed")
    c = server.customer("acme", "c1")
    c.send("request_chat", product="pressero", subject="Again", text="Again", clientId="r9")
    error = c.expect_error("rate_limited")
    assert error["ref"] == "r9"
    # Another contact of the same organization is not affected.
    other = server.customer("acme", "c2")
    assert other.request_chat("r1")["sessionId"] > 0


def test_tickets_are_limited_per_organization_with_retry_after(make_server):
    server = make_server(config={"ticketBurst": 2, "ticketsPerOrganizationPerHour": 1})
    body = {"subject": "Printer", "product": "pressero", "category": "request", "severity": 3, "description": "x" * 100}
    tokens = [server.token("acme", "c1"), server.token("acme", "c2")]
    assert http(server.port, "POST", "/api/tickets", tokens[0], body)[0] == 201
    assert http(server.port, "POST", "/api/tickets", tokens[1], body)[0] == 201
    import urllib.request, urllib.error, json
    req = urllib.request.Request(f"http://127.0.0.1:{server.port}/api/tickets", data=json.dumps(body).encode(),
                                 method="POST", headers={"Authorization": f"Bearer {tokens[0]}",
                                                         "Content-Type": "application/json"})
    try:
        urllib.request.urlopen(req, timeout=10)
        raise AssertionError("the third ticket of the organization was accepted")
    except urllib.error.HTTPError as error:
        assert error.code == 429
        assert int(error.headers["Retry-After"]) >= 1
        assert json.loads(error.read())["error"]["code"] == "rate_limited"
    # Another organization is not affected.
    assert http(server.port, "POST", "/api/tickets", server.token("globex", "g1"), body)[0] == 201
    status, listing = http(server.port, "GET", "/api/tickets", server.login("sue"))
    assert len(listing["tickets"]) == 3


def test_keys_are_structured_not_joined_strings(make_server):
    """Issue 9.7: contact "x" with client id "y|cid" and contact "x|y" with client id "cid" made the same key
    "acme|x|y|cid" when keys were joined with "|": the second got the first one's chat. Now they are two requests."""
    server = make_server()
    first = server.customer("acme", "x")
    second = server.customer("acme", "x|y")
    a = first.request_chat("y|cid", text="from x")
    b = second.request_chat("cid", text="from x|y")
    assert a["sessionId"] != b["sessionId"]
    # What each stored, as a second connection of each customer replays it.
    for who, ack, text in (("x", a, "from x"), ("x|y", b, "from x|y")):
        reader = server.customer("acme", who)
        reader.send("sync", sessionId=ack["sessionId"], afterSeq=0)
        stored = reader.expect_event(ack["sessionId"], seq=1)
        assert (stored["author"]["id"], stored["text"], stored["at"]) == (who, text, ack["at"]), stored
        reader.close()
    # Each may read only its own chat.
    second.send("sync", sessionId=a["sessionId"], afterSeq=0)
    assert second.expect_error("not_your_session")

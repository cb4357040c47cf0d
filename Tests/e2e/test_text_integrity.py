"""Hardening (issue 9, item 8): the transcript never differs from what was shown.

SQLite receives Swift strings as C strings, so text after a NUL used to be acknowledged and delivered in full but
stored cut short. C0 control characters other than tab, line feed and carriage return are now refused with
`invalid_field` when a frame or body is decoded, for every text field; what is accepted is stored byte for byte.
"""
CONTROL_TEXTS = ["before\u0000after", "bell\u0007", "esc\u001b[31mred", "\u0001"]


def stored_texts(server, sid):
    return [row[0] for row in server.query(
        "SELECT text FROM events WHERE session_id = ? AND kind = 'message' ORDER BY seq", (sid,))]


def test_message_with_nul_is_refused_and_nothing_is_stored(server):
    cust = server.customer("acme", "c1")
    sid = cust.request_chat("r1")["sessionId"]
    for i, text in enumerate(CONTROL_TEXTS):
        cust.send("send", sessionId=sid, clientId=f"bad-{i}", text=text)
        err = cust.expect_error("invalid_field")
        assert err["ref"] == f"bad-{i}" and "control character" in err["message"]

    # Tab, line feed and carriage return are text; every other byte of what is acknowledged is stored as is.
    kept = "line one\r\nline two\tcolumn \u00e9\u20ac\U0001F600 end"
    ack = cust.say(sid, "good", kept)

    transcript = server.transcript(sid, cust.token)
    messages = [e for e in transcript["events"] if e["kind"] == "message"]
    assert [e["text"] for e in messages] == [kept]
    assert messages[0]["seq"] == ack["seq"] and messages[0]["at"] == ack["at"]
    assert stored_texts(server, sid) == [kept]
    # The connection stays usable.
    cust.send("ping", nonce="still-here")
    assert cust.expect("pong")["nonce"] == "still-here"


def test_every_websocket_text_field_refuses_controls(server):
    cust = server.customer("acme", "c2")
    for field in ["subject", "text", "product", "clientId", "timeZone"]:
        frame = {"product": "pressero", "subject": "Stock", "text": "Where?", "clientId": f"rc-{field}",
                 "timeZone": "Europe/Madrid"}
        frame[field] = frame[field] + "\u0000tail"
        cust.send("request_chat", **frame)
        err = cust.expect_error("invalid_field")
        assert f'"{field}"' in err["message"]
    status, body = server.http("GET", "/api/transcripts", cust.token)
    assert status == 200 and body["transcripts"] == []


def test_ticket_fields_and_replies_refuse_controls(server):
    acme = server.token("acme", "c1")
    good = {"subject": "Orders fail", "product": "pressero", "category": "incident", "severity": 2,
            "description": "Checkout errors.\nSince this morning."}
    for field in ["subject", "description", "product"]:
        body = dict(good)
        body[field] = body[field] + "\u0000hidden"
        status, reply = server.http("POST", "/api/tickets", acme, body)
        assert (status, reply["error"]["code"]) == (400, "invalid_field"), field
        assert field in reply["error"]["message"]
    status, reply = server.http("GET", "/api/tickets", acme)
    assert status == 200 and reply["tickets"] == []

    status, reply = server.http("POST", "/api/tickets", acme, good)
    assert status == 201
    number = reply["ticket"]["number"]
    assert reply["ticket"]["description"] == good["description"]
    status, reply = server.http("POST", f"/api/tickets/{number}/replies", acme, {"text": "more\u0000secret"})
    assert (status, reply["error"]["code"]) == (400, "invalid_field")
    [(subject, description)] = server.query("SELECT subject, description FROM tickets WHERE number = ?", (number,))
    assert (subject, description) == (good["subject"], good["description"])


def test_query_parameters_refuse_controls(server):
    sue = server.login("sue")
    # (lws itself drops a request whose URI holds %00 before it reaches the routes.)
    for path in ["/api/transcripts?organization=acme%01x", "/api/tickets?organization=acme%1b"]:
        status, reply = server.http("GET", path, sue)
        assert (status, reply["error"]["code"]) == (400, "invalid_field"), path


def test_customer_token_claims_with_controls_are_malformed(server):
    token = server.token("acme", "c3", name="Cathy\u0000Admin")
    c = server.client()
    c.send("hello", token=token)
    assert c.expect_error("token_malformed")


def test_healthz_is_liveness_for_anonymous_and_figures_for_staff(server):
    status, body = server.http("GET", "/healthz")
    assert (status, body) == (200, {"status": "ok"})
    # A customer is not staff: liveness only.
    status, body = server.http("GET", "/healthz", server.token("acme", "c1"))
    assert (status, body) == (200, {"status": "ok"})
    # A bad token is refused as on every other route.
    status, body = server.http("GET", "/healthz", "not-a-session-token")
    assert (status, body["error"]["code"]) == (401, "session_token_invalid")
    for staff in ["ann", "sue"]:
        status, body = server.http("GET", "/healthz", server.login(staff))
        assert status == 200 and body["status"] == "ok"
        assert {"connections", "openSessions", "queued", "writerQueue", "commits", "meanBatch", "largestBatch",
                "meanCommitMillis"} <= body.keys()

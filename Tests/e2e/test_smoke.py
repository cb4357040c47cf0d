def test_healthz(server):
    status, body = server.http("GET", "/healthz")
    assert status == 200 and body["status"] == "ok"
    c = server.customer()
    assert c.welcome["role"] == "customer"
    a = server.staff("ann", available=True)
    ack = c.request_chat()
    print(ack)
    print(c.expect("event"))
    print(a.expect("session"))

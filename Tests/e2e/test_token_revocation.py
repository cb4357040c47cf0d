"""Issue 9, item 11: customer token lifetime and iat checks; `chatd admin disable-staff` and `revoke-sessions`
reach the running server (another process) and close the staff member's WebSockets with 4401."""
import time

from chatlib import PASSWORD, customer_claims, sign_jwt

FAST_POLL = {"revocationPollSeconds": 0.2}


def refused(server, token, code):
    c = server.client()
    c.send("hello", token=token)
    assert c.expect_error()["code"] == code
    assert c.expect_closed() == 4401
    status, body = server.http("GET", "/api/me", token)
    assert (status, body["error"]["code"]) == (401, code)


def test_customer_token_lifetime_capped(make_server):
    server = make_server({"customerTokenMaxLifetimeSeconds": 3600, "tokenLeewaySeconds": 30})
    now = int(time.time())
    claims = customer_claims("acme", "c1")
    refused(server, sign_jwt(server.secret, dict(claims, iat=now, exp=now + 3600 + 120)), "token_lifetime_exceeded")
    refused(server, sign_jwt(server.secret, dict(claims, iat=now, exp=now + 30 * 86400)), "token_lifetime_exceeded")
    ok = server.client()
    ok.hello(sign_jwt(server.secret, dict(claims, iat=now, exp=now + 3500)))
    assert ok.welcome["role"] == "customer"


def test_default_lifetime_is_a_day(server):
    now = int(time.time())
    claims = customer_claims("acme", "c1")
    refused(server, sign_jwt(server.secret, dict(claims, exp=now + 25 * 3600)), "token_lifetime_exceeded")
    server.client().hello(sign_jwt(server.secret, dict(claims, exp=now + 23 * 3600)))


def test_customer_token_issued_in_the_future_refused(make_server):
    server = make_server({"tokenLeewaySeconds": 30})
    now = int(time.time())
    claims = customer_claims("acme", "c1")
    refused(server, sign_jwt(server.secret, dict(claims, iat=now + 300)), "token_issued_in_future")
    # Within the leeway it is clock skew, accepted.
    server.client().hello(sign_jwt(server.secret, dict(claims, iat=now + 10)))


def wait_closed(client, timeout=5.0):
    err = client.expect_error("session_token_invalid", timeout=timeout)
    return err, client.expect_closed(timeout=timeout)


def test_revoke_sessions_closes_sockets_and_tokens(make_server):
    server = make_server(FAST_POLL)
    ann1 = server.staff("ann")
    ann2 = server.client()
    ann2.hello(server.login("ann"))                     # a second tab with its own login
    bob = server.staff("bob")
    out = server.admin("revoke-sessions", "--username", "ann")
    assert "revoked" in out
    started = time.monotonic()
    for c in (ann1, ann2):
        _, code = wait_closed(c)
        assert code == 4401
    assert time.monotonic() - started < 3
    # The tokens are dead for HTTP and WebSocket alike; the account may log in again.
    status, body = server.http("GET", "/api/me", ann1.token)
    assert (status, body["error"]["code"]) == (401, "session_token_invalid")
    again = server.client()
    again.hello(server.login("ann"))
    assert again.welcome["staff"]["username"] == "ann"
    # Others are untouched.
    bob.send("ping", nonce="b")
    assert bob.expect("pong")["nonce"] == "b"
    body = server.health()
    assert body["revocationsApplied"] == 2


def test_disable_staff_blocks_login_and_closes_sockets(make_server):
    server = make_server(FAST_POLL)
    ann = server.staff("ann", available=True)
    server.admin("disable-staff", "--username", "ann")
    err, code = wait_closed(ann)
    assert code == 4401 and "disabled" in err["message"]
    status, body = server.http("POST", "/api/login", body={"username": "ann", "password": PASSWORD})
    assert (status, body["error"]["code"]) == (401, "invalid_credentials")
    status, body = server.http("GET", "/api/me", ann.token)
    assert status == 401


def test_revocation_reaches_a_server_started_later_only_for_new_ones(make_server):
    server = make_server(FAST_POLL, start=False)
    server.admin("revoke-sessions", "--username", "bob")     # before the server runs: nothing to close
    server.start()
    bob = server.staff("bob")
    bob.drain(0.8)
    assert bob.closed_code is None
    bob.send("ping", nonce="still")
    assert bob.expect("pong")["nonce"] == "still"


def test_unknown_username_is_an_admin_error(server):
    try:
        server.admin("disable-staff", "--username", "nobody")
    except RuntimeError as error:
        assert "No staff member" in str(error)
    else:
        raise AssertionError("disable-staff of an unknown username succeeded")


def test_admin_refuses_to_sign_a_token_the_server_would_refuse(server):
    try:
        server.admin("customer-token", "--org", "acme", "--contact", "c1", "--name", "C", "--email", "c@a.x",
                     "--ttl", str(2 * 86400))
    except RuntimeError as error:
        assert "customerTokenMaxLifetimeSeconds" in str(error)
    else:
        raise AssertionError("a token longer-lived than the maximum was signed")
    token = server.admin("customer-token", "--org", "acme", "--contact", "c1", "--name", "C", "--email", "c@a.x",
                         "--ttl", "86400")
    server.client().hello(token)

"""Scenario 2: eligibility refusals, token checks, HTTP access control, login/logout."""
import json

import pytest

from chatlib import b64url, customer_claims, sign_jwt


def test_basic_plan_refused_with_ticket_alternative(server):
    c = server.customer("basicco", "b1")
    assert c.welcome["organization"] == {"id": "basicco", "name": "Basic Co", "plan": "basic", "liveChat": False}
    c.send("request_chat", product="pressero", subject="Help", text="hi", clientId="r1")
    err = c.expect_error()
    assert err["code"] == "plan_excludes_chat" and err["alternative"] == "ticket" and err["ref"] == "r1"
    status, body = server.http("GET", "/api/transcripts", server.token("basicco", "b1"))
    assert status == 200 and body["transcripts"] == []


def test_product_without_chat_refused(server):
    c = server.customer("acme", "c1")
    c.send("request_chat", product="pjm", subject="Help", text="hi", clientId="r1")
    err = c.expect_error()
    assert err["code"] == "product_excludes_chat" and err["alternative"] == "ticket" and err["ref"] == "r1"
    c.send("request_chat", product="nosuch", subject="Help", text="hi", clientId="r2")
    assert c.expect_error()["code"] == "unknown_product"
    # The connection is still usable and an eligible request works.
    assert c.request_chat("r3")["seq"] == 1


def test_authorized_contacts_limit(server):
    first = server.customer("fullco", "f1")
    sid = first.request_chat("r1")["sessionId"]
    second = server.customer("fullco", "f2")
    second.send("request_chat", product="pressero", subject="Help", text="hi", clientId="r1")
    err = second.expect_error()
    assert err["code"] == "authorized_contacts_exceeded" and err["alternative"] == "ticket"
    # The first contact stays authorized: after closing, a new chat is accepted.
    first.send("close", sessionId=sid)
    first.expect_event(sid, "closed")
    assert first.request_chat("r2")["seq"] == 1


def _hello_refused(server, token):
    c = server.client()
    c.send("hello", token=token)
    err = c.expect_error()
    code = c.expect_closed()
    return err["code"], code


def test_bad_tokens_refused_and_closed_4401(server):
    good = customer_claims("acme", "c1")
    forged = sign_jwt(b"x" * 32, good)
    expired_cli = server.admin("customer-token", "--org", "acme", "--contact", "c1", "--name", "N",
                               "--email", "n@example.com", "--ttl=-100")
    expired = sign_jwt(server.secret, dict(good, exp=good["iat"] - 3600))
    alg_none = b64url(json.dumps({"alg": "none", "typ": "JWT"}).encode()) + "." + \
        b64url(json.dumps(good).encode()) + "."
    alg_none_sig = b64url(json.dumps({"alg": "none", "typ": "JWT"}).encode()) + "." + \
        b64url(json.dumps(good).encode()) + "." + b64url(b"sig")
    cases = {
        "garbage.with.dots": "token_malformed",
        "garbage": "session_token_invalid",   # no dots: read as a staff session token
        "": "token_missing",
        forged: "token_invalid_signature",
        expired_cli: "token_expired",
        expired: "token_expired",
        alg_none: "token_malformed",
        alg_none_sig: "token_malformed",
    }
    for token, expected in cases.items():
        assert _hello_refused(server, token) == (expected, 4401), token
    # A tampered payload with the original signature.
    real = server.token("acme", "c1")
    h, p, s = real.split(".")
    tampered = h + "." + b64url(json.dumps(dict(good, org="globex")).encode()) + "." + s
    assert _hello_refused(server, tampered) == ("token_invalid_signature", 4401)
    # And the server still accepts a good one.
    assert server.customer("acme", "c1").welcome["role"] == "customer"


def test_unknown_organization(server):
    assert _hello_refused(server, server.token("nosuchorg", "c1")) == ("unknown_organization", 4401)


def test_http_access_control(server):
    ann = server.staff("ann", available=True)
    cust = server.customer("acme", "c1")
    sid = cust.request_chat("r1")["sessionId"]
    ann.expect_event(sid, "joined")

    globex = server.token("globex", "g1")
    status, body = server.http("GET", f"/api/transcripts/{sid}", globex)
    assert status == 403 and body["error"]["code"] == "forbidden"
    # Same organization, another contact: also forbidden.
    status, body = server.http("GET", f"/api/transcripts/{sid}", server.token("acme", "c2"))
    assert status == 403 and body["error"]["code"] == "forbidden"
    status, body = server.http("GET", "/api/transcripts?organization=globex", server.token("acme", "c1"))
    assert status == 403 and body["error"]["code"] == "forbidden"
    bob = server.login("bob")
    status, body = server.http("GET", f"/api/transcripts/{sid}", bob)
    assert status == 403 and body["error"]["code"] == "forbidden"
    status, body = server.http("GET", "/api/transcripts", bob)
    assert status == 200 and body["transcripts"] == []
    status, body = server.http("GET", f"/api/transcripts/{sid}")
    assert status == 401
    status, body = server.http("GET", "/api/transcripts/999", server.login("sue"))
    assert status == 404 and body["error"]["code"] == "not_found"
    assert server.http("GET", f"/api/transcripts/{sid}", ann.token)[0] == 200


def test_login_wrong_password_and_logout(server):
    for user, pw in (("ann", "wrong-password"), ("nobody", "secret123")):
        status, body = server.http("POST", "/api/login", body={"username": user, "password": pw})
        assert status == 401 and body["error"]["code"] == "invalid_credentials"
    ann = server.staff("ann")
    status, me = server.http("GET", "/api/me", ann.token)
    assert status == 200 and me["role"] == "agent" and me["staff"]["username"] == "ann"
    status, body = server.http("POST", "/api/logout", ann.token)
    assert status == 200
    assert ann.expect_error()["code"] == "session_token_invalid"
    assert ann.expect_closed() == 4401
    status, body = server.http("GET", "/api/me", ann.token)
    assert status == 401 and body["error"]["code"] == "session_token_invalid"
    assert _hello_refused(server, ann.token) == ("session_token_invalid", 4401)

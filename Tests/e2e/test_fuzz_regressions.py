"""Inputs the fuzzers found, through the real server: each gets its clear refusal and the server stays up."""
from chatlib import http


def test_a_date_with_a_long_fraction_is_refused_not_a_crash(server):
    # ICU's date parser raised SIGFPE on this (HTTPRouteFuzzer); the query is parsed before authentication.
    long_fraction = "2520-11-21T09:00:00.1" + "9" * 60 + "Z"
    status, body = http(server.port, "GET", f"/api/transcripts?to={long_fraction}", server.login("sue"))
    assert status == 400 and body["error"]["code"] == "invalid_field"
    status, body = http(server.port, "GET", f"/api/transcripts?from={long_fraction}")
    assert status in (400, 401)
    status, body = http(server.port, "GET", f"/api/tickets?due={long_fraction}", server.login("sue"))
    assert status == 400 and body["error"]["code"] == "invalid_field"
    assert http(server.port, "GET", "/healthz")[0] == 200

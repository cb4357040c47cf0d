"""Places where the server once disagreed with docs/PROTOCOL.md, checked through the real server: times with
milliseconds (§0), `--clock-start`/`clockStart` with fractional seconds, `malformed_json` for HTTP bodies that are
not JSON objects (§5), `invalid_field` naming the parameter for bad query values (§7), and a demo clock that keeps
moving forward across restarts (README, clock options).

Every wait is a bounded wait for a condition.
"""
import json
import re
import subprocess
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone

import pytest

from chatlib import CHATD_BIN

MILLIS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
SATURDAY = "2026-11-21T18:00:00Z"      # noon in Chicago: the "usa" region is closed
UTC = timezone.utc


def parse(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def raw_http(port: int, method: str, path: str, data: bytes, token: str | None = None):
    """Sends `data` as the body, byte for byte; returns (status, parsed JSON body)."""
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"null")


def server_time(server) -> datetime:
    """The domain clock's now, from a staff welcome."""
    client = server.staff("ann")
    try:
        return parse(client.welcome["serverTime"])
    finally:
        client.close()


# --------------------------------------------------------------------------- times with milliseconds

def test_chat_offline_next_opening_has_milliseconds(make_server):
    server = make_server({"clockStart": SATURDAY}, start=False)
    server.admin("set-region", "--id", "acme", "--region", "usa")
    server.start()
    cust = server.customer("acme", "c1", ttl=3600)
    cust.send("request_chat", product="pressero", subject="Help", text="Hello", clientId="r1")
    err = cust.expect_error("chat_offline")
    assert MILLIS.match(err["nextOpening"]), err
    assert err["nextOpening"] == "2026-11-23T15:00:00.000Z"   # Monday 09:00 in Chicago
    # The same format as every other time on the wire.
    assert MILLIS.match(cust.welcome["serverTime"])


# --------------------------------------------------------------------------- clockStart with fractional seconds

@pytest.mark.parametrize("instant", ["2026-11-21T18:00:00.250Z", "2026-11-21T18:00:00Z", "2026-11-21T19:00:00.5+01:00"])
def test_clock_start_on_the_command_line_accepts_fractional_seconds(make_server, instant):
    server = make_server(start=False)
    server.start(args=("--clock-start", instant))
    now = server_time(server)
    start = datetime(2026, 11, 21, 18, 0, tzinfo=UTC)
    assert start <= now < start + timedelta(minutes=5), now


def test_clock_start_in_the_config_file_accepts_fractional_seconds(make_server):
    server = make_server({"clockStart": "2026-11-21T18:00:00.750Z"})
    now = server_time(server)
    start = datetime(2026, 11, 21, 18, 0, 0, 750_000, tzinfo=UTC)
    assert start <= now < start + timedelta(minutes=5), now


@pytest.mark.parametrize("instant", ["2026-11-21", "yesterday", "2026-11-21T18:00:00"])
def test_clock_start_that_is_not_an_instant_is_refused_at_start(make_server, instant):
    server = make_server(start=False)
    out = subprocess.run([str(CHATD_BIN), "serve", "--data", str(server.data), "--config", str(server.config_path),
                          "--port", "0", "--clock-start", instant], capture_output=True, text=True, timeout=30)
    assert out.returncode != 0
    assert "clockStart" in out.stderr and instant in out.stderr, out.stderr


# --------------------------------------------------------------------------- malformed_json on every JSON-body route

NOT_OBJECTS = [b"{not json", b"", b"[1, 2]", b"\"text\"", b"\xff\xfe"]


def test_http_bodies_that_are_not_json_objects_are_malformed_json(server):
    cust = server.customer("acme", "c1")
    sue = server.login("sue")
    status, body = server.http("POST", "/api/tickets", cust.token,
                               {"subject": "Orders fail", "product": "pressero", "category": "incident",
                                "severity": 2, "description": "Checkout errors."})
    assert status == 201, body
    number = body["ticket"]["number"]
    routes = [("/api/login", None), ("/api/tickets", cust.token), (f"/api/tickets/{number}/replies", sue),
              (f"/api/tickets/{number}/replies", cust.token), (f"/api/tickets/{number}/status", sue)]
    for path, token in routes:
        for data in NOT_OBJECTS:
            status, body = raw_http(server.port, "POST", path, data, token)
            assert (status, body["error"]["code"]) == (400, "malformed_json"), (path, data, body)


def test_json_objects_with_bad_fields_are_still_invalid_field(server):
    cust = server.customer("acme", "c1")
    assert raw_http(server.port, "POST", "/api/login", b"{}")[1]["error"]["code"] == "invalid_field"
    status, body = raw_http(server.port, "POST", "/api/login", b'{"username": 5, "password": "x"}')
    assert (status, body["error"]["code"]) == (400, "invalid_field")
    status, body = raw_http(server.port, "POST", "/api/tickets", b'{"subject": "S"}', cust.token)
    assert (status, body["error"]["code"]) == (400, "invalid_field")


# --------------------------------------------------------------------------- query parameters

BAD_TICKET_QUERIES = [
    ("severity", "9"), ("severity", "0"), ("severity", "x"), ("severity", "1.5"), ("status", "bogus"),
    ("status", "Open"), ("urgent", "yes"), ("urgent", "1"), ("due", "soon"), ("due", "2026-13-01"),
    ("limit", "0"), ("limit", "501"), ("limit", "ten"), ("offset", "-1"), ("offset", "x"),
]


@pytest.mark.parametrize("name,value", BAD_TICKET_QUERIES)
def test_bad_ticket_query_values_are_invalid_field_naming_the_parameter(server, name, value):
    status, body = server.http("GET", f"/api/tickets?{name}={value}", server.login("sue"))
    assert status == 400, body
    assert body["error"]["code"] == "invalid_field" and body["error"]["field"] == name, body
    assert body["error"]["message"].startswith(name), body


def test_ticket_severity_follows_the_policy_levels(make_server):
    import copy

    from chatlib import POLICY
    policy = copy.deepcopy(POLICY)
    policy["severities"] = [
        {"level": 1, "name": "Critical", "description": "Down", "firstResponseBusinessHours": 2},
        {"level": 5, "name": "Low", "description": "Question", "firstResponseBusinessHours": 40},
    ]
    server = make_server(policy=policy)
    sue = server.login("sue")
    for level in (1, 5):
        status, body = server.http("GET", f"/api/tickets?severity={level}", sue)
        assert status == 200 and body["tickets"] == [], body
    status, body = server.http("GET", "/api/tickets?severity=2", sue)
    assert (status, body["error"]["field"]) == (400, "severity"), body
    assert "1, 5" in body["error"]["message"]


def test_good_ticket_query_values_are_accepted(server):
    sue = server.login("sue")
    for query in ("severity=1", "status=open", "urgent=false", "due=2026-11-21T09:00:00.000Z", "limit=500",
                  "offset=0", "severity="):
        status, body = server.http("GET", f"/api/tickets?{query}", sue)
        assert status == 200, (query, body)


BAD_TRANSCRIPT_QUERIES = [
    ("agent", "x"), ("agent", "-1"), ("from", "soon"), ("to", "2026-11-31"), ("state", "bogus"),
    ("outcome", "lost"), ("limit", "0"), ("limit", "501"), ("offset", "-5"),
]


@pytest.mark.parametrize("name,value", BAD_TRANSCRIPT_QUERIES)
def test_bad_transcript_query_values_are_invalid_field_naming_the_parameter(server, name, value):
    status, body = server.http("GET", f"/api/transcripts?{name}={value}", server.login("sue"))
    assert status == 400, body
    assert body["error"]["code"] == "invalid_field" and body["error"]["field"] == name, body


# --------------------------------------------------------------------------- the demo clock across restarts

def test_a_pinned_clock_keeps_moving_forward_across_restarts(make_server):
    # 60x: one real second is a domain minute, so a restart that put the clock back would show at once.
    server = make_server({"clockStart": SATURDAY, "clockSpeed": 60})
    cust = server.customer("acme", "c1", ttl=3600)
    sid = cust.request_chat("r1")["sessionId"]
    first = parse(cust.events(sid)[0]["at"])
    anchor = json.loads((server.data / "clock.json").read_text())
    assert anchor["clockStart"] == SATURDAY and anchor["clockSpeed"] == 60

    time.sleep(1)
    server.restart()
    assert server_time(server) > first + timedelta(seconds=30)
    cust = server.customer("acme", "c1", ttl=3600)
    cust.send("sync", sessionId=sid, afterSeq=0)
    cust.expect("synced", lambda f: f["sessionId"] == sid)
    later = parse(cust.say(sid, "m1", "Still there?")["at"])
    assert later > first, (first, later)

    # A graceful stop keeps it too.
    assert server.terminate() == 0
    server.start()
    assert server_time(server) > later


def test_a_new_clock_start_starts_a_new_anchor(make_server):
    server = make_server({"clockStart": SATURDAY, "clockSpeed": 60})
    assert server_time(server) >= datetime(2026, 11, 21, 18, 0, tzinfo=UTC)
    server.kill()
    config = json.loads(server.config_path.read_text())
    config["clockStart"] = "2026-12-01T10:00:00.000Z"
    server.config_path.write_text(json.dumps(config))
    server.start()
    now = server_time(server)
    assert datetime(2026, 12, 1, 10, 0, tzinfo=UTC) <= now < datetime(2026, 12, 1, 11, 0, tzinfo=UTC), now
    assert json.loads((server.data / "clock.json").read_text())["clockStart"] == "2026-12-01T10:00:00.000Z"


# --------------------------------------------------------------------------- the per-agent cap in the staff welcome

def test_staff_welcome_limits_carry_the_agent_session_cap(make_server):
    server = make_server({"agentSessionCap": 2})
    assert server.staff("ann").welcome["limits"]["agentSessionCap"] == 2
    assert server.staff("sue").welcome["limits"]["agentSessionCap"] == 2
    assert "agentSessionCap" not in server.customer("acme", "c1").welcome["limits"]

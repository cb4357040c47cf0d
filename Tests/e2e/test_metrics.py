"""GET /metrics: Prometheus text for the metrics token or a supervisor; figures move with traffic."""
import re

TOKEN = "metrics-token-0123456789abcdef"


def metric(text, name, **labels):
    selector = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    pattern = "^" + re.escape(name) + (r"\{" + re.escape(selector) + r"\}" if labels else "") + r" (\S+)$"
    found = re.search(pattern, text, re.M)
    return float(found.group(1)) if found else None


def test_metrics_for_the_scraper_token_and_supervisors_only(make_server):
    server = make_server(config={"metricsToken": TOKEN})
    status, _ = server.http("GET", "/metrics")
    assert status == 401
    status, _ = server.http("GET", "/metrics", "wrong-token-0123456789")
    assert status == 401
    status, _ = server.http("GET", "/metrics", server.login("ann"))
    assert status == 403

    ann = server.staff("ann", available=True)
    cust = server.customer("acme", "c1")
    sid = cust.request_chat("r1")["sessionId"]
    ann.expect_event(sid, "joined")
    cust.say(sid, "m1", "hello")
    cust.send("send", sessionId=sid, clientId="m2", text="")
    cust.expect_error("invalid_field")

    status, raw = server.http("GET", "/metrics", TOKEN)
    assert status == 200, raw
    text = raw.decode() if isinstance(raw, bytes) else raw
    assert "# TYPE chatd_commit_seconds histogram" in text
    assert metric(text, "chatd_connections", role="customer") == 1
    assert metric(text, "chatd_connections", role="agent") == 1
    assert metric(text, "chatd_open_chats", state="active") == 1
    assert metric(text, "chatd_events_delivered_total") >= 4
    assert metric(text, "chatd_refusals_total", code="invalid_field") == 1
    assert metric(text, "chatd_commits_total") >= 1
    assert metric(text, "chatd_commit_seconds_count") == metric(text, "chatd_commits_total")
    assert metric(text, "chatd_logins_total", outcome="accepted") >= 2
    status, raw2 = server.http("GET", "/metrics", server.login("sue"))
    assert status == 200 and b"chatd_queue_length 0" in (raw2 if isinstance(raw2, bytes) else raw2.encode())


def test_json_logs_are_one_object_per_line_with_the_metadata_keys(make_server):
    import json
    server = make_server(start=False)
    server.start(args=("--log-format", "json", "--log-level", "debug"))
    cust = server.customer("acme", "c1")
    cust.send("send", sessionId=999, clientId="x", text="hi")
    cust.expect_error()
    server.terminate()
    lines = [line for line in server.stderr_path.read_text().splitlines() if line.strip()]
    assert lines, "something was logged"
    records = [json.loads(line) for line in lines]   # every line parses on its own
    for record in records:
        assert {"time", "level", "label", "message"} <= set(record), record
        assert record["time"].endswith("Z")
    assert any(record["level"] in ("info", "notice") for record in records)
    assert any(key.startswith(("storage.", "server.", "connection.", "ticket.", "login.")) or key == "source"
               for record in records for key in record), "metadata keys are kept"

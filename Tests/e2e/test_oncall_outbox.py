"""On-call alerts live in an outbox in SQLite (issue 9.5): one organization cannot suppress another's pages, a
flood beyond an organization's daily limit is still tickets (supervisors are told, the history says so), and a
pending alert survives a crash and is delivered after the restart."""
import json
import socket

from test_policy import (LONG_TTL, SECRET, WebhookReceiver, customer, history_kinds, oncall_config, receiver_factory,  # noqa: F401
                         start_server, ticket, verify_post, wait_for)

URGENT = {"subject": "Jobs stuck", "product": "pressero", "category": "incident", "severity": 1,
          "description": "No job can be produced.", "urgent": True}


def test_a_flood_from_one_organization_does_not_suppress_anothers_page(make_server, receiver_factory):
    receiver = receiver_factory()
    server = start_server(make_server, oncall_config(receiver, onCallAlertsPerOrganizationPerDay=3),
                          regions={"acme": "usa", "globex": "usa"})
    sue = server.staff("sue")
    flood = customer(server)
    answers = [server.http("POST", "/api/tickets", flood.token, URGENT) for _ in range(6)]
    assert [status for status, _ in answers] == [201] * 6, "every urgent request is still a ticket"
    assert [body["onCallNotified"] for _, body in answers] == [True] * 3 + [False] * 3
    suppressed = answers[3][1]["ticket"]["number"]
    alert = sue.expect("alert", lambda f: f["ticketNumber"] == suppressed)
    assert alert["kind"] == "oncall_limit_reached" and alert["organizationId"] == "acme"
    staff_token = server.login("sue")
    assert "oncall_suppressed" in [e["kind"] for e in ticket(server, suppressed, staff_token)["history"]]

    other = customer(server, org="globex", contact="g1")
    status, body = server.http("POST", "/api/tickets", other.token, URGENT)
    assert status == 201 and body["onCallNotified"] is True
    posted = [json.loads(receiver.next_post()["body"])["ticket"]["number"] for _ in range(4)]
    assert body["ticket"]["number"] in posted, "the second organization's page went out"
    assert sorted(posted) == sorted([a[1]["ticket"]["number"] for a in answers[:3]] + [body["ticket"]["number"]])

    # /metrics counts the webhook outcomes (the receiver answered each of the four).
    def delivered():
        status, raw = server.http("GET", "/metrics", staff_token)
        text = raw.decode() if isinstance(raw, bytes) else raw
        line = [l for l in text.splitlines() if l.startswith('chatd_oncall_webhook_outcomes_total{outcome="delivered"}')]
        return float(line[0].split()[-1]) if line else 0
    wait_for(lambda: delivered() == 4, what="four delivered webhooks counted")


def test_a_pending_alert_survives_a_crash_and_is_delivered_after_the_restart(make_server):
    # The receiver's port is reserved but nobody listens yet: every attempt fails, with a long backoff.
    placeholder = socket.socket()
    placeholder.bind(("127.0.0.1", 0))
    port = placeholder.getsockname()[1]
    placeholder.close()
    url = f"http://127.0.0.1:{port}/hooks/oncall"
    server = start_server(make_server, {"clockStart": "2026-11-21T18:00:00Z", "onCallWebhookURL": url,
                                        "onCallWebhookSecret": SECRET, "onCallInitialBackoffSeconds": 60,
                                        "onCallMaxAttempts": 5}, regions={"acme": "usa"})
    cust = customer(server)
    status, body = server.http("POST", "/api/tickets", cust.token, URGENT)
    assert status == 201 and body["onCallNotified"] is True
    number = body["ticket"]["number"]
    staff_token = server.login("sue")
    history_kinds(server, number, staff_token, lambda k: "oncall_failed" in k)
    server.kill()

    receiver = WebhookReceiver()
    receiver.httpd.server_close()
    from http.server import ThreadingHTTPServer
    receiver.httpd = ThreadingHTTPServer(("127.0.0.1", port), receiver.httpd.RequestHandlerClass)
    import threading
    threading.Thread(target=receiver.httpd.serve_forever, daemon=True).start()
    try:
        server.start()
        verify_post(receiver.next_post(timeout=20), number, 1)
        kinds = history_kinds(server, number, server.login("sue"), lambda k: "oncall_notified" in k)
        assert kinds[0] == "created" and kinds[-1] == "oncall_notified"
    finally:
        receiver.close()

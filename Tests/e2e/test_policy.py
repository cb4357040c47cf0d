"""The support policy through the real server (docs/PROTOCOL.md §6a): the quick-question budget and conversion
to a ticket, professional services, support hours, urgent requests reaching on-call staff over the webhook, and
queued chats that wait for the region to open.

Tests about hours pin the server's domain clock with `clockStart`; budget tests also speed it up (`clockSpeed`)
and shorten the budget in a custom policy. Every wait is a bounded wait for a condition.
"""
import copy
import hashlib
import hmac
import json
import queue
import threading
import time as walltime
from datetime import date, datetime, time, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from zoneinfo import ZoneInfo

import pytest

from chatlib import POLICY, wait_for

LONG_TTL = 3600                # customer tokens are checked against real time, not the pinned domain clock
CHICAGO = ZoneInfo("America/Chicago")
UTC = timezone.utc
# The harness policy's "usa" holidays that fall in the weeks these tests use.
USA_HOLIDAYS = {date(2026, 11, 26), date(2026, 11, 27), date(2026, 12, 25), date(2027, 1, 1)}

# Wednesday 2026-11-25 15:00 Chicago: two business hours before the Thanksgiving weekend.
WEDNESDAY_AFTERNOON = "2026-11-25T21:00:00Z"
SATURDAY = "2026-11-21T18:00:00Z"


# --------------------------------------------------------------------------- helpers

def parse(text: str) -> datetime:
    for fmt in ("%Y-%m-%dT%H:%M:%S.%fZ", "%Y-%m-%dT%H:%M:%SZ"):
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=UTC)
        except ValueError:
            pass
    raise ValueError(text)


def usa_business_due(start: datetime, hours: float) -> datetime:
    """`hours` of usa business time (Mon-Fri 9-17 Chicago, minus holidays) added to `start`."""
    remaining = timedelta(hours=hours)
    cursor = start.astimezone(CHICAGO)
    while True:
        day = cursor.date()
        if day.weekday() < 5 and day not in USA_HOLIDAYS:
            opens = datetime.combine(day, time(9), CHICAGO).astimezone(UTC)
            closes = datetime.combine(day, time(17), CHICAGO).astimezone(UTC)
            begin = max(cursor.astimezone(UTC), opens)
            if begin < closes:
                if remaining <= closes - begin:
                    return begin + remaining
                remaining -= closes - begin
        cursor = datetime.combine(day + timedelta(days=1), time(0), CHICAGO)


def short_budget_policy(minutes=2, warning=1):
    policy = copy.deepcopy(POLICY)
    policy["chat"] = {"quickQuestionMinutes": minutes, "warningMinutesLeft": warning, "routeOutsideHours": False}
    return policy


def start_server(make_server, config=None, policy=None, regions=None):
    """A server whose organizations are moved to `regions` ({org: region}) before it starts."""
    server = make_server(config=config, policy=policy, start=False)
    for org, region in (regions or {}).items():
        server.admin("set-region", "--id", org, "--region", region)
    return server.start()


def customer(server, org="acme", contact="c1", **kw):
    return server.customer(org, contact, ttl=LONG_TTL, **kw)


def open_chat(server, cust, agent, client_id="r1"):
    """Customer requests, the (available) agent is routed the chat; returns the session id."""
    sid = cust.request_chat(client_id)["sessionId"]
    cust.expect_event(sid, "joined", timeout=10)
    agent.expect_event(sid, "joined", timeout=10)
    return sid


def budget(client, sid, stage, timeout=20.0):
    return client.expect("budget", lambda f: f["sessionId"] == sid and f["stage"] == stage, timeout)


def kinds(events):
    return [e["kind"] for e in events]


def arrival_kinds(client, sid):
    """Kinds of the session's events in the order they arrived on this connection (events, and acks with the
    client's own copy of what it sent)."""
    out = []
    for f in client.frames:
        e = client.frame_event(f)
        if e is not None and e["sessionId"] == sid:
            out.append(e["kind"])
    return out



def ticket(server, number, token):
    status, body = server.http("GET", f"/api/tickets/{number}", token)
    assert status == 200, (status, body)
    return body


def request(cust, client_id="r1", **fields):
    body = {"product": "pressero", "subject": "Printing problem", "text": "Hello, I need help", "clientId": client_id}
    body.update(fields)
    cust.send("request_chat", **body)


# --------------------------------------------------------------------------- 1. budget, offer, conversion

def test_budget_runs_warns_offers_and_conversion_makes_a_ticket(make_server):
    server = start_server(make_server, {"clockSpeed": 60, "clockStart": WEDNESDAY_AFTERNOON},
                          short_budget_policy(), {"acme": "usa"})
    ann = server.staff("ann", available=True)
    cust = customer(server)
    sid = open_chat(server, cust, ann)

    # Both sides learn that the 2-minute budget started.
    for side in (cust, ann):
        started = side.expect("budget", lambda f: f["sessionId"] == sid and f["running"], 10)
        assert started["limitSeconds"] == 120
        assert 110 <= started["remainingSeconds"] <= 120, started
        assert started["stage"] == "running"
    cust.say(sid, "m1", "Where is the paper stock setting?")
    ann.expect_event(sid, "message")
    ann.say(sid, "m2", "Settings > Stocks.")
    cust.expect_event(sid, "message")

    # One minute left: the warning reaches both; then the offer reaches the customer, the stage reaches the agent.
    for side in (cust, ann):
        warning = side.expect_event(sid, "budget_warning", timeout=30)
        assert warning["author"]["role"] == "system"
    offer = cust.expect_event(sid, "conversion_offered", timeout=30)
    pending = budget(ann, sid, "offer_pending")
    assert pending["remainingSeconds"] == 0 and pending["limitSeconds"] == 120
    assert budget(cust, sid, "offer_pending")["remainingSeconds"] == 0

    cust.send("respond_offer", sessionId=sid, accept=True)
    closed = cust.expect_event(sid, "closed", timeout=10)
    assert closed["reason"] == "converted"
    assert arrival_kinds(cust, sid)[-3:] == ["offer_accepted", "converted", "closed"]
    seen = cust.events(sid)
    assert kinds(seen)[-4:] == ["conversion_offered", "offer_accepted", "converted", "closed"]
    assert [e["seq"] for e in seen] == list(range(1, len(seen) + 1))
    number = seen[-2]["ticketNumber"]
    assert isinstance(number, int) and number >= 1
    assert seen[-4]["seq"] == offer["seq"]
    ann.expect_event(sid, "closed")
    assert ann.events(sid)[-2]["ticketNumber"] == number

    # The ticket exists for the customer and for the agent, and points at the chat.
    for token in (cust.token, ann.token):
        body = ticket(server, number, token)
        t = body["ticket"]
        assert t["sessionId"] == sid and t["organizationId"] == "acme"
        assert (t["category"], t["severity"], t["urgent"], t["status"]) == ("request", 3, False, "new")
        assert t["convertedBy"] is None
        assert t["subject"] == "Printing problem"
        assert [e["kind"] for e in body["history"]] == ["created"]

    # The transcript holds every event, the conversion included.
    transcript = server.transcript(sid, cust.token)
    assert kinds(transcript["events"]) == ["requested", "joined", "message", "message", "budget_warning",
                                           "conversion_offered", "offer_accepted", "converted", "closed"]
    assert transcript["events"] == seen
    assert transcript["events"][7]["ticketNumber"] == number
    session = transcript["session"]
    assert session["state"] == "closed" and session["ticketNumber"] == number
    assert transcript["serviceOrders"] == []

    # First response due: 16 business hours (severity 3) of the usa calendar from the chat's start, which was
    # Wednesday 15:00 Chicago: 2 h on Wednesday, Thanksgiving and the Friday after skipped, the weekend skipped,
    # 8 h on Monday, 6 h on Tuesday.
    created = parse(session["createdAt"])
    due = parse(t["firstResponseDue"])
    expected = usa_business_due(created, 16)
    assert abs((due - expected).total_seconds()) < 0.002, (t["firstResponseDue"], expected)
    assert expected.astimezone(CHICAGO).date() == date(2026, 12, 1)


# --------------------------------------------------------------------------- 2. decline

def test_declined_offer_then_continue_or_close(make_server):
    server = start_server(make_server, {"clockSpeed": 60, "clockStart": WEDNESDAY_AFTERNOON},
                          short_budget_policy(), {"acme": "usa"})
    ann = server.staff("ann", available=True)
    first = customer(server, contact="c1")
    second = customer(server, contact="c2")
    sid1 = open_chat(server, first, ann, "r1")
    sid2 = open_chat(server, second, ann, "r2")

    # Nothing to answer or continue yet.
    first.send("respond_offer", sessionId=sid1, accept=False)
    assert first.expect_error("no_pending_offer")
    ann.send("continue_chat", sessionId=sid1)
    assert ann.expect_error("no_pending_offer")

    for cust, sid in ((first, sid1), (second, sid2)):
        cust.expect_event(sid, "conversion_offered", timeout=30)
        budget(ann, sid, "offer_pending")
        # Only the chat's customer answers.
        ann.send("respond_offer", sessionId=sid, accept=True)
        assert ann.expect_error("not_your_session")
        cust.send("respond_offer", sessionId=sid, accept=False)
        declined = ann.expect_event(sid, "offer_declined")
        assert declined["author"]["role"] == "customer"
        budget(ann, sid, "declined")
        budget(cust, sid, "declined")

    # Chat 1: the agent carries on.
    first.send("continue_chat", sessionId=sid1)
    assert first.expect_error("not_your_session")
    ann.send("continue_chat", sessionId=sid1)
    continued = first.expect_event(sid1, "chat_continued")
    assert continued["author"]["role"] == "agent"
    budget(first, sid1, "continued")
    budget(ann, sid1, "continued")
    ann.send("continue_chat", sessionId=sid1)
    assert ann.expect_error("no_pending_offer")

    # Messages keep flowing while more than another whole budget of domain time passes: no second warning or
    # offer. The acks' stored times say how much domain time has passed.
    continued_at = parse(continued["at"])
    n = 0
    while True:
        n += 1
        ack = first.say(sid1, f"more-{n}", f"Another question {n}")
        got = ann.expect_event(sid1, "message")
        assert got["text"] == f"Another question {n}" and got["at"] == ack["at"]
        if (parse(ack["at"]) - continued_at).total_seconds() > 150:
            break
        assert n < 200, "domain clock did not advance"
        walltime.sleep(0.1)
    ann.say(sid1, "answer", "Here you go.")
    first.expect_event(sid1, "message")
    for side in (first, ann):
        assert kinds(side.events(sid1)).count("conversion_offered") == 1
        assert kinds(side.events(sid1)).count("budget_warning") == 1

    # Chat 2: the agent closes after the decline; no ticket.
    ann.send("close", sessionId=sid2)
    closed = second.expect_event(sid2, "closed")
    assert closed["reason"] == "agent"
    t2 = server.transcript(sid2, second.token)
    assert kinds(t2["events"])[-3:] == ["conversion_offered", "offer_declined", "closed"]
    assert t2["session"]["ticketNumber"] is None

    t1 = server.transcript(sid1, first.token)
    assert t1["session"]["state"] == "active"
    assert kinds(t1["events"])[:6] == ["requested", "joined", "budget_warning", "conversion_offered",
                                       "offer_declined", "chat_continued"]
    assert set(kinds(t1["events"])[6:]) == {"message"}
    status, body = server.http("GET", "/api/tickets", server.login("sue"))
    assert status == 200 and [t for t in body["tickets"] if t["sessionId"] in (sid1, sid2)] == []


# --------------------------------------------------------------------------- 3. agent converts

def test_agent_converts_early_with_category_and_severity(server):
    ann = server.staff("ann", available=True)
    cust = customer(server)
    sid = open_chat(server, cust, ann)
    ann_id = ann.welcome["staff"]["id"]

    cust.send("convert", sessionId=sid, category="incident", severity=2)
    assert cust.expect_error("not_your_session")
    bob = server.staff("bob")
    bob.send("convert", sessionId=sid)
    assert bob.expect_error("not_your_session")
    ann.send("convert", sessionId=sid, category="incident", severity=9)
    assert ann.expect_error("invalid_field")

    ann.send("convert", sessionId=sid, category="incident", severity=2)
    closed = cust.expect_event(sid, "closed", timeout=10)
    assert closed["reason"] == "converted"
    assert arrival_kinds(cust, sid)[-2:] == ["converted", "closed"]
    converted = cust.events(sid)[-2]
    number = converted["ticketNumber"]
    assert converted["kind"] == "converted" and isinstance(number, int)
    assert "budget_warning" not in kinds(cust.events(sid)) and "conversion_offered" not in kinds(cust.events(sid))
    ann.expect_event(sid, "closed")

    body = ticket(server, number, ann.token)
    t = body["ticket"]
    assert (t["category"], t["severity"], t["urgent"], t["sessionId"]) == ("incident", 2, False, sid)
    assert t["convertedBy"] == {"id": ann_id, "name": "Ann"}
    assert [(e["kind"], e["actor"]["role"], e["actor"]["id"]) for e in body["history"]] \
        == [("created", "agent", str(ann_id))]
    assert ticket(server, number, cust.token)["ticket"] == t
    # Always-open region: 8 business hours are 8 hours.
    session = server.transcript(sid, cust.token)["session"]
    assert session["ticketNumber"] == number
    assert abs((parse(t["firstResponseDue"]) - parse(session["createdAt"])).total_seconds() - 8 * 3600) < 0.002

    # The chat is over: its own agent is told so (a stranger would hear only not_your_session).
    ann.send("convert", sessionId=sid)
    assert ann.expect_error("session_closed")


# --------------------------------------------------------------------------- 4. professional services

def test_professional_services_only_acceptance_is_billable(server):
    ann = server.staff("ann", available=True)
    cust = customer(server)
    sid = open_chat(server, cust, ann)
    ann_id = ann.welcome["staff"]["id"]

    ann.send("propose_services", sessionId=sid, rate="platinum", description="Rebuild the calculator", estimateHours=2)
    assert ann.expect_error("unknown_rate")
    cust.send("propose_services", sessionId=sid, rate="technical", description="x", estimateHours=1)
    assert cust.expect_error("not_your_session")
    cust.send("respond_services", sessionId=sid, accept=True)
    assert cust.expect_error("no_pending_proposal")

    ann.send("propose_services", sessionId=sid, rate="technical", description="Rebuild the pricing calculator",
             estimateHours=2.5)
    proposed = cust.expect_event(sid, "services_proposed")
    assert proposed["proposal"] == {"description": "Rebuild the pricing calculator", "rate": "technical",
                                    "hourlyRate": 150, "currency": "USD", "estimateHours": 2.5,
                                    "estimatedAmount": 375, "proposedBy": {"id": ann_id, "name": "Ann"}}
    ann.send("propose_services", sessionId=sid, rate="standard", description="Another", estimateHours=1)
    assert ann.expect_error("proposal_pending")
    ann.send("respond_services", sessionId=sid, accept=True)
    assert ann.expect_error("not_your_session")

    cust.send("respond_services", sessionId=sid, accept=False)
    declined = ann.expect_event(sid, "services_declined")
    assert declined["proposal"] == proposed["proposal"]
    assert server.transcript(sid, cust.token)["serviceOrders"] == []
    cust.send("respond_services", sessionId=sid, accept=False)
    assert cust.expect_error("no_pending_proposal")

    ann.send("propose_services", sessionId=sid, rate="standard", description="Set up three paper stocks",
             estimateHours=1.5)
    second = cust.expect_event(sid, "services_proposed")
    cust.send("respond_services", sessionId=sid, accept=True)
    accepted = ann.expect_event(sid, "services_accepted")
    assert accepted["proposal"] == second["proposal"]
    assert (second["proposal"]["hourlyRate"], second["proposal"]["estimatedAmount"]) == (125, 187.5)

    transcript = server.transcript(sid, cust.token)
    assert kinds(transcript["events"]) == ["requested", "joined", "services_proposed", "services_declined",
                                           "services_proposed", "services_accepted"]
    orders = transcript["serviceOrders"]
    assert len(orders) == 1, orders
    order = orders[0]
    assert (order["description"], order["rate"], order["hourlyRate"], order["currency"], order["estimateHours"],
            order["proposedBy"]) == ("Set up three paper stocks", "standard", 125, "USD", 1.5, ann_id)
    assert order["acceptedAt"] == accepted["at"]
    # The order is on disk: it survives a restart, and staff see it too.
    server.restart()
    assert server.transcript(sid, server.login("sue"))["serviceOrders"] == orders


# --------------------------------------------------------------------------- 5. support hours

def offline_error(cust, client_id, **fields):
    request(cust, client_id, **fields)
    err = cust.expect_error("chat_offline")
    assert err["ref"] == client_id and err["alternative"] == "ticket"
    return err


def test_support_hours_saturday_offline_then_a_ticket(make_server):
    server = start_server(make_server, {"clockStart": SATURDAY}, regions={"acme": "usa"})
    cust = customer(server)
    # Told up front, before typing anything: closed until Monday.
    availability = cust.welcome["availability"]
    assert availability["chatOpen"] is False and availability["reason"] == "outside_hours"
    assert availability["nextOpening"] == "2026-11-23T15:00:00.000Z"

    err = offline_error(cust, "r1")
    assert (err["nextOpening"], err["region"], err["timeZone"]) == ("2026-11-23T15:00:00.000Z", "usa", "America/Chicago")
    assert err["nextOpeningText"].startswith("Monday, November 23 at 9:00 AM"), err

    err = offline_error(cust, "r2", timeZone="Europe/Madrid")
    assert (err["nextOpening"], err["timeZone"]) == ("2026-11-23T15:00:00.000Z", "Europe/Madrid")
    assert err["nextOpeningText"].startswith("Monday, November 23 at 4:00 PM"), err

    err = offline_error(cust, "r3", timeZone="Not/AZone")
    assert err["timeZone"] == "America/Chicago"

    # Another organization, always open, chats as usual at the same instant.
    other = customer(server, org="globex", contact="g1")
    assert other.request_chat("g-r1")["sessionId"] >= 1

    assert server.health()["openSessions"] == 1

    # The alternative: a ticket over HTTP. Its first response (severity 2: 8 business hours) is due when Monday's
    # hours are used up.
    status, body = server.http("POST", "/api/tickets", cust.token,
                               {"subject": "Orders fail", "product": "pressero", "category": "incident",
                                "severity": 2, "description": "Checkout errors since this morning."})
    assert status == 201, body
    t = body["ticket"]
    assert t["organizationId"] == "acme" and t["sessionId"] is None
    assert parse(t["createdAt"]).date() == date(2026, 11, 21)
    assert t["firstResponseDue"] == "2026-11-23T23:00:00.000Z"


def test_support_hours_thanksgiving_and_a_weekday(make_server):
    thanksgiving = start_server(make_server, {"clockStart": "2026-11-26T16:00:00Z"}, regions={"acme": "usa"})
    err = offline_error(customer(thanksgiving), "r1")
    assert err["nextOpening"] == "2026-11-30T15:00:00.000Z"
    assert err["nextOpeningText"].startswith("Monday, November 30 at 9:00 AM"), err

    # Tuesday 10:00 Chicago (17:00 Madrid, just closed there).
    weekday = start_server(make_server, {"clockStart": "2026-11-24T16:00:00Z"},
                           regions={"acme": "usa", "globex": "spain"})
    ann = weekday.staff("ann", available=True)
    cust = customer(weekday)
    sid = open_chat(weekday, cust, ann)
    assert weekday.transcript(sid, cust.token)["session"]["state"] == "active"

    err = offline_error(customer(weekday, org="globex", contact="g1"), "g-r1")
    assert (err["region"], err["timeZone"], err["nextOpening"]) == ("spain", "Europe/Madrid", "2026-11-25T08:00:00.000Z")


# --------------------------------------------------------------------------- 6. urgent, on-call webhook

SECRET = "oncall-shared-secret-0123456789"


class WebhookReceiver:
    """A local HTTP receiver: records every POST and answers with the next status of `statuses` (then 200)."""

    def __init__(self, statuses=()):
        self.statuses = list(statuses)
        self.posts: "queue.Queue[dict]" = queue.Queue()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                receiver.posts.put({"path": self.path, "headers": dict(self.headers), "body": body})
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/hooks/oncall"

    def next_post(self, timeout=15):
        return self.posts.get(timeout=timeout)

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def receiver_factory():
    made = []

    def factory(statuses=()):
        r = WebhookReceiver(statuses)
        made.append(r)
        return r

    yield factory
    for r in made:
        r.close()


def verify_post(post, number, attempt):
    headers = {k.lower(): v for k, v in post["headers"].items()}
    assert post["path"] == "/hooks/oncall"
    assert headers["content-type"] == "application/json"
    assert headers["x-chatd-event"] == "urgent_ticket"
    assert headers["x-chatd-delivery"] == f"{number}-{attempt}"
    timestamp = headers["x-chatd-timestamp"]
    expected = "sha256=" + hmac.new(SECRET.encode(), timestamp.encode() + b"." + post["body"], hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers["x-chatd-signature"], expected)
    wrong = "sha256=" + hmac.new(b"not-the-secret", timestamp.encode() + b"." + post["body"], hashlib.sha256).hexdigest()
    assert headers["x-chatd-signature"] != wrong
    # A receiver rejects stale timestamps: the signed timestamp is the sender's real time.
    assert abs(int(timestamp) - walltime.time()) < 300
    body = json.loads(post["body"])
    assert body["event"] == "urgent_ticket" and body["attempt"] == attempt
    return body


def oncall_config(receiver, **extra):
    cfg = {"clockStart": SATURDAY, "onCallWebhookURL": receiver.url, "onCallWebhookSecret": SECRET}
    cfg.update(extra)
    return cfg


def history_kinds(server, number, token, until):
    def ready():
        kinds_ = [e["kind"] for e in ticket(server, number, token)["history"]]
        return kinds_ if until(kinds_) else None
    return wait_for(ready, timeout=15, what=f"ticket {number} history")


def test_urgent_request_after_hours_opens_a_ticket_and_alerts_on_call(make_server, receiver_factory):
    receiver = receiver_factory()
    server = start_server(make_server, oncall_config(receiver), regions={"acme": "usa"})
    cust = customer(server, name="Cathy", email="cathy@acme.example")
    request(cust, "u1", urgent=True, subject="Cannot take orders", text="The storefront checkout is down.")
    created = cust.expect("ticket_created", timeout=10)
    assert created["urgent"] is True and created["onCallNotified"] is True
    number = created["ticketNumber"]

    body = verify_post(receiver.next_post(), number, 1)
    assert body["ticket"]["number"] == number
    assert (body["ticket"]["organizationId"], body["ticket"]["organizationName"]) == ("acme", "Acme")
    assert body["ticket"]["severity"] == 1
    assert (body["ticket"]["subject"], body["ticket"]["product"], body["ticket"]["reason"]) \
        == ("Cannot take orders", "pressero", "outside_hours")
    assert (body["ticket"]["contactName"], body["ticket"]["contactEmail"]) == ("Cathy", "cathy@acme.example")

    sue = server.login("sue")
    assert history_kinds(server, number, sue, lambda k: "oncall_notified" in k) == ["created", "oncall_notified"]
    t = ticket(server, number, sue)["ticket"]
    assert (t["category"], t["severity"], t["urgent"], t["sessionId"]) == ("incident", 1, True, None)
    assert t["description"] == "The storefront checkout is down."
    assert t["createdAt"] == body["ticket"]["createdAt"]
    # No chat was opened.
    assert server.health()["openSessions"] == 0


def test_on_call_alert_is_retried_after_a_failure(make_server, receiver_factory):
    receiver = receiver_factory(statuses=[500])
    server = start_server(make_server, oncall_config(receiver, onCallInitialBackoffSeconds=0.2, onCallMaxAttempts=3),
                          regions={"acme": "usa"})
    cust = customer(server)
    request(cust, "u1", urgent=True)
    number = cust.expect("ticket_created", timeout=10)["ticketNumber"]

    first = verify_post(receiver.next_post(), number, 1)
    second = verify_post(receiver.next_post(), number, 2)
    assert first["ticket"] == second["ticket"]
    sue = server.login("sue")
    assert history_kinds(server, number, sue, lambda k: "oncall_notified" in k) \
        == ["created", "oncall_failed", "oncall_notified"]
    failed = ticket(server, number, sue)["history"][1]
    assert "HTTP 500" in failed["text"]
    assert receiver.posts.empty()


def test_urgent_ticket_opened_directly_after_hours_alerts_on_call(make_server, receiver_factory):
    receiver = receiver_factory()
    server = start_server(make_server, oncall_config(receiver), regions={"acme": "usa"})
    cust = customer(server)
    status, body = server.http("POST", "/api/tickets", cust.token, {
        "subject": "Jobs stuck in production", "product": "pressero", "category": "incident", "severity": 1,
        "description": "No job can be produced since this morning.", "urgent": True})
    assert status == 201 and body["onCallNotified"] is True
    number = body["ticket"]["number"]
    posted = verify_post(receiver.next_post(), number, 1)
    assert posted["ticket"]["subject"] == "Jobs stuck in production"
    sue = server.login("sue")
    assert history_kinds(server, number, sue, lambda k: "oncall_notified" in k) == ["created", "oncall_notified"]
    # A non-urgent ticket after hours wakes nobody.
    status, body = server.http("POST", "/api/tickets", cust.token, {
        "subject": "How do I add a stock?", "product": "pressero", "category": "request", "severity": 4,
        "description": "Question for Monday."})
    assert status == 201 and body["onCallNotified"] is False
    assert receiver.posts.empty()


# --------------------------------------------------------------------------- 7. queued chats wait for opening

def test_queued_chat_is_not_routed_after_closing_time(make_server):
    # Friday 16:58 Chicago, one domain minute per real second.
    server = start_server(make_server, {"clockSpeed": 60, "clockStart": "2026-11-20T22:58:00Z"},
                          regions={"acme": "usa"})
    cust = customer(server)
    sid = cust.request_chat("r1")["sessionId"]
    assert cust.expect("queue_position", lambda f: f["sessionId"] == sid)["position"] == 1

    closing = datetime(2026, 11, 20, 23, 0, tzinfo=UTC)

    def agent_after_closing():
        ann = server.staff("ann")
        if parse(ann.welcome["serverTime"]) >= closing:
            return ann
        ann.close()
        return None
    ann = wait_for(agent_after_closing, timeout=30, interval=0.2, what="17:00 Chicago on the server's clock")

    ann.set_available()
    agents = ann.expect("agents", lambda f: any(a["name"] == "Ann" and a["status"] == "available"
                                                 for a in f["agents"]))
    assert [a["activeSessions"] for a in agents["agents"] if a["name"] == "Ann"] == [[]]
    health = server.health()
    assert (health["queued"], health["openSessions"]) == (1, 1)
    session = server.transcript(sid, cust.token)["session"]
    assert session["state"] == "queued" and session["agent"] is None
    assert not any(isinstance(f, dict) and f.get("type") == "session" and f["session"]["id"] == sid
                   and f["session"]["state"] == "active" for f in ann.frames)
    queue_frames = [f for f in ann.frames if isinstance(f, dict) and f.get("type") == "queue"]
    assert queue_frames and [e["sessionId"] for e in queue_frames[-1]["entries"]] == [sid]

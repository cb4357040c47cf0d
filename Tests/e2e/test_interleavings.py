"""Issue 8, correctness under every interleaving, through the real server (docs/PROTOCOL.md §3-§6a): client ids
scoped by author, request/urgent ledgers that outlive a chat and a restart, resends to closed chats, paged
replays of long chats, followers re-checked when a chat changes hands, read markers and availability recovered
after a restart, budget pauses announced, error precedence (identity before state), transfers only to someone
who can answer, routing after a restart, and the long-wait offer.

Each test names the defect it pins down. Every wait is a bounded wait for a condition.
"""
import copy
import json
import queue
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from chatlib import POLICY, wait_for

LONG_TTL = 3600                # customer tokens are checked against real time, not the pinned domain clock
SATURDAY = "2026-11-21T18:00:00Z"   # Saturday noon in Chicago: the "usa" region is closed


# --------------------------------------------------------------------------- helpers

def staff_id(client) -> int:
    return client.welcome["staff"]["id"]


def login_id(server, username) -> int:
    status, body = server.http("POST", "/api/login", body={"username": username, "password": "secret123"})
    assert status == 200, (status, body)
    return body["staff"]["id"]


def open_chat(server, cust, agent, client_id="r1"):
    """The customer requests a chat and the (available) agent is routed it; returns the session id."""
    sid = cust.request_chat(client_id)["sessionId"]
    cust.expect_event(sid, "joined", timeout=10)
    agent.expect_event(sid, "joined", timeout=10)
    return sid


def refusal(client, type_, **fields) -> dict:
    """Sends one request that must be refused; returns the error frame (errors answer in request order)."""
    client.send(type_, **fields)
    return client.expect("error", timeout=5)


def session_events_after(client, sid, seq):
    """Event and ack frames of a session after `seq` (an ack names its session and seq at the top level)."""
    def position(f):
        return (f["event"]["sessionId"], f["event"]["seq"]) if f["type"] == "event" else (f["sessionId"], f["seq"])
    return [f for f in client.frames if isinstance(f, dict) and f.get("type") in ("event", "ack")
            and position(f)[0] == sid and position(f)[1] > seq]


def stop_and_start(server):
    """A graceful stop (SIGTERM) and a start on the same data directory."""
    assert server.terminate() == 0
    server.start()


class WebhookReceiver:
    """A local HTTP receiver for the on-call webhook: records every POST, answers 200."""

    def __init__(self):
        self.posts: "queue.Queue[dict]" = queue.Queue()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                receiver.posts.put({"headers": {k.lower(): v for k, v in self.headers.items()},
                                    "body": json.loads(body)})
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/hooks/oncall"

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def receiver():
    r = WebhookReceiver()
    yield r
    r.close()


# --------------------------------------------------------------------------- 1. client ids are scoped by author

def test_agent_reusing_the_customers_client_id_gets_its_own_message(server):
    """Old: the agent's `send` with a clientId the customer had used was answered with the customer's ack."""
    ann = server.staff("ann", available=True)
    cust = server.customer("acme", "c1")
    sid = open_chat(server, cust, ann)

    mine = cust.say(sid, "m-1", "customer text")
    got = ann.expect_event(sid, seq=mine["seq"])
    assert got["author"]["role"] == "customer" and got == cust.own_event(mine)

    theirs = ann.say(sid, "m-1", "agent text")
    assert theirs["sessionId"] == sid
    assert theirs["seq"] == mine["seq"] + 1, (mine, theirs)
    event = cust.expect_event(sid, seq=theirs["seq"])
    assert event["seq"] == theirs["seq"] and event["kind"] == "message" and event["at"] == theirs["at"]
    assert (event["author"]["role"], event["author"]["id"]) == ("agent", str(staff_id(ann)))
    assert event["text"] == "agent text"
    assert event == ann.own_event(theirs)

    # Each side's resend still gets its own ack back.
    assert cust.say(sid, "m-1", "customer text") == mine
    assert ann.say(sid, "m-1", "agent text") == theirs

    messages = [e for e in server.transcript(sid, cust.token)["events"] if e["kind"] == "message"]
    assert [(e["author"]["role"], e["text"], e["clientId"]) for e in messages] == [
        ("customer", "customer text", "m-1"), ("agent", "agent text", "m-1")]

    # After a restart (kill -9) the ids recovered from disk are still per author.
    server.restart()
    ann = server.staff("ann")
    cust = server.customer("acme", "c1")
    assert ann.say(sid, "m-1", "agent text") == theirs
    assert cust.say(sid, "m-1", "customer text") == mine
    third = ann.say(sid, "m-2", "agent again")
    assert third["seq"] == theirs["seq"] + 1
    assert cust.say(sid, "m-2", "customer again")["seq"] == third["seq"] + 1


def test_agent_reusing_the_previous_agents_client_id_after_a_transfer(server):
    """Old: after a transfer, the new agent's clientId matched the previous agent's message and got its ack."""
    ann = server.staff("ann", available=True)
    cust = server.customer("acme", "c1")
    sid = open_chat(server, cust, ann)
    first = ann.say(sid, "a-1", "from ann")

    bob = server.staff("bob", available=True)
    ann.send("transfer", sessionId=sid, toAgent=staff_id(bob))
    moved = ann.expect_event(sid, "transferred")
    assert moved["agent"]["id"] == staff_id(bob)
    bob.expect_event(sid, "transferred")

    second = bob.say(sid, "a-1", "from bob")
    assert second["seq"] > first["seq"] and second["seq"] != first["seq"]
    got = cust.expect_event(sid, seq=second["seq"])
    assert (got["author"]["id"], got["text"]) == (str(staff_id(bob)), "from bob") and got == bob.own_event(second)

    messages = [e for e in server.transcript(sid, server.login("sue"))["events"] if e["kind"] == "message"]
    assert [(e["author"]["id"], e["text"]) for e in messages] == [
        (str(staff_id(ann)), "from ann"), (str(staff_id(bob)), "from bob")]


# --------------------------------------------------------------------------- 2. request_chat ledger

def _resend_request_of_closed_chat(cust, sid, first_ack):
    cust.drain(0.1)
    cust.buffer.clear()          # only frames answering the resend count below
    mark = len(cust.frames)
    cust.send("request_chat", product="pressero", subject="Printing problem", text="Hello, I need help",
              clientId="r1")
    ack = cust.expect_ack("r1")
    assert (ack["sessionId"], ack["seq"]) == (sid, 1), ack
    assert ack == first_ack          # the same stored request: same seq and time
    summary = cust.expect("session", lambda f: f["session"]["id"] == sid)["session"]
    assert summary["state"] == "closed"
    cust.drain(0.2)
    assert not [f for f in cust.frames[mark:] if isinstance(f, dict) and (
        (f.get("type") == "session" and f["session"]["id"] != sid) or f.get("type") == "error")], cust.frames[mark:]


def test_request_resent_after_the_chat_closed_returns_the_same_chat(make_server):
    """Old: once the chat closed (and after a restart), a resent request_chat opened a second chat."""
    server = make_server()
    cust = server.customer("acme", "c1")
    ack = cust.request_chat("r1")
    sid = ack["sessionId"]
    cust.send("close", sessionId=sid)
    cust.expect_event(sid, "closed")

    _resend_request_of_closed_chat(cust, sid, ack)
    again = server.customer("acme", "c1")
    _resend_request_of_closed_chat(again, sid, ack)

    server.restart()          # kill -9, same data directory
    after = server.customer("acme", "c1")
    _resend_request_of_closed_chat(after, sid, ack)
    stop_and_start(server)    # graceful stop, same data directory
    last = server.customer("acme", "c1")
    _resend_request_of_closed_chat(last, sid, ack)

    status, health = 200, server.health()
    assert status == 200 and (health["openSessions"], health["queued"]) == (0, 0), health
    status, listing = server.http("GET", "/api/transcripts", last.token)
    assert status == 200 and [t["id"] for t in listing["transcripts"]] == [sid], listing
    # A new clientId is a new chat; with it open, the old request still answers with the old (closed) chat,
    # not `already_in_chat`.
    second = last.request_chat("r2")["sessionId"]
    assert second > sid
    _resend_request_of_closed_chat(last, sid, ack)
    status, health = 200, server.health()
    assert (health["openSessions"], health["queued"]) == (1, 1), health


def test_resend_older_than_the_in_memory_tail_gets_its_original_ack(make_server):
    """An ack needs only seq and at: the resend of a message (or of the request) that has left the open chat's
    in-memory tail (256 events) is answered from storage with the very same ack, also after a restart."""
    server = make_server(config={"durability": "normal"})
    cust = server.customer("acme", "c1")
    request = cust.request_chat("r1")
    sid = request["sessionId"]
    first = cust.say(sid, "m-first", "the oldest message")
    for start in range(0, 300, 100):
        for i in range(start, start + 100):
            cust.send("send", sessionId=sid, clientId=f"m{i}", text=f"filler {i}")
        for i in range(start, start + 100):
            cust.expect_ack(f"m{i}", timeout=20)
    for attempt in ("live", "after a restart"):
        if attempt == "after a restart":
            server.restart()
            cust = server.customer("acme", "c1")
        assert cust.say(sid, "m-first", "the oldest message") == first, attempt
        assert cust.request_chat("r1") == request, attempt
        cust.drain(0.2)
        assert not [f for f in cust.buffer if f.get("type") == "error"], cust.buffer
    events = server.transcript(sid, server.login("sue"))["events"]
    assert [e["seq"] for e in events[:2]] == [1, 2] and events[1] == cust.own_event(first)


# --------------------------------------------------------------------------- 3. sends resent to a closed chat

def test_send_resent_on_two_connections_at_once_stores_one_message(server):
    cust = server.customer("acme", "c1")
    sid = cust.request_chat("r1")["sessionId"]
    other = server.customer("acme", "c1")
    other.send("sync", sessionId=sid, afterSeq=1)
    other.expect("synced", lambda f: f["sessionId"] == sid)
    for c in (cust, other, cust, other):
        c.send("send", sessionId=sid, clientId="m1", text="only once")
    for c in (cust, other):
        c.drain(0.5)
    seen = [(c, f, c.frame_event(f)) for c in (cust, other) for f in c.frames
            if (c.frame_event(f) or {}).get("seq") == 2]
    assert seen and all(e["clientId"] == "m1" and e["author"]["id"] == "c1" for _, _, e in seen), seen
    assert any(f["type"] == "ack" for _, f, _ in seen)
    assert {c for c, _, _ in seen} == {cust, other}     # each connection learns it is stored
    for c in (cust, other):
        assert not [f for f in c.frames if isinstance(f, dict) and f.get("type") == "error"], c.frames
        assert c.say(sid, "m1", "only once")["seq"] == 2
    events = server.transcript(sid, cust.token)["events"]
    assert [e["seq"] for e in events] == [1, 2] and events[1]["text"] == "only once"
    # What each connection holds for seq 2 (an event, or an ack plus its own copy) is what was stored.
    assert all(e == events[1] for _, _, e in seen), (seen, events[1])




def _check_closed_chat_answers(server, sid, first, agent_first, new_id):
    cust = server.customer("acme", "c1")
    stranger = server.customer("globex", "g1")
    again = cust.say(sid, "m1", "stored before the close")
    assert (again["sessionId"], again["seq"]) == (sid, first["seq"]), again
    assert again == first            # the original acknowledgement: same seq and time
    err = refusal(cust, "send", sessionId=sid, clientId=new_id, text="too late")
    assert err["code"] == "session_closed", err
    # Another organization's customer, with the same clientId or a new one: not theirs (no ack, no state).
    err = refusal(stranger, "send", sessionId=sid, clientId="m1", text="stored before the close")
    assert err["code"] == "not_your_session", err
    err = refusal(stranger, "send", sessionId=sid, clientId=new_id, text="hi")
    assert err["code"] == "not_your_session", err
    # The agent who handled it gets the original ack of her own message, not the customer's "m1".
    ann = server.staff("ann")
    mine = ann.say(sid, "m1", "agent line")
    assert (mine["seq"], mine["sessionId"]) == (agent_first["seq"], sid), mine
    assert mine == agent_first
    # An agent who never handled the chat gets nothing of it.
    bob = server.staff("bob")
    err = refusal(bob, "send", sessionId=sid, clientId="m1", text="agent line")
    assert err["code"] == "not_your_session", err
    for client in (cust, stranger, ann, bob):
        client.close()


def test_send_resent_after_the_chat_closed_gets_the_original_ack(make_server):
    """Old: a resend of a stored message arriving after the close got `session_closed` instead of its ack."""
    server = make_server()
    ann = server.staff("ann", available=True)
    cust = server.customer("acme", "c1")
    sid = open_chat(server, cust, ann)
    first = cust.say(sid, "m1", "stored before the close")
    agent_first = ann.say(sid, "m1", "agent line")
    assert agent_first["seq"] == first["seq"] + 1
    ann.send("close", sessionId=sid)
    cust.expect_event(sid, "closed")
    ann.close()

    _check_closed_chat_answers(server, sid, first, agent_first, "m2")
    server.restart()          # kill -9: the chat is only in storage now
    _check_closed_chat_answers(server, sid, first, agent_first, "m3")

    events = server.transcript(sid, server.login("sue"))["events"]
    assert [e["text"] for e in events if e["kind"] == "message"] == ["stored before the close", "agent line"]
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))


def test_request_resent_on_two_connections_at_once_makes_one_chat(make_server):
    """The ledger lookup is asynchronous: resends arriving while it answers must join the first, on every
    connection that sent one."""
    server = make_server()
    conns = [server.customer("acme", "c1") for _ in range(3)]
    for c in conns:
        c.send("request_chat", product="pressero", subject="Printing problem", text="Hello, I need help",
               clientId="r1")
    # While the request is being stored, its ack goes once, to the newest connection that sent it; every
    # connection sees seq 1 of the same chat (the others as an event carrying their clientId and author).
    for c in conns:
        c.drain(0.5)
    sids = set()
    acks = 0
    seen_first = []
    for c in conns:
        firsts = [(f, c.frame_event(f)) for c in [c] for f in c.frames if (c.frame_event(f) or {}).get("seq") == 1]
        assert firsts, c.frames
        for f, e in firsts:
            assert (e["clientId"], e["author"]["role"], e["author"]["id"]) == ("r1", "customer", "c1"), f
            sids.add(e["sessionId"])
            acks += f["type"] == "ack"
            seen_first.append((f["type"], e))
        assert not [f for f in c.frames if isinstance(f, dict) and f.get("type") == "error"], c.frames
    assert len(sids) == 1 and acks >= 1, (sids, acks)
    # Connections that got an event for seq 1 saw the stored request; an ack plus its own copy says the same.
    stored = [e for kind, e in seen_first if kind == "event"]
    assert stored and all(e == stored[0] for _, e in seen_first), seen_first
    # A resend on each connection now gets the ack of that chat.
    for c in conns:
        again = c.request_chat("r1")
        assert (again["sessionId"], again["seq"]) == (next(iter(sids)), 1)
    status, health = 200, server.health()
    assert (health["openSessions"], health["queued"]) == (1, 1), health


# --------------------------------------------------------------------------- 4. urgent ledger

def test_urgent_request_resent_after_a_restart_gets_the_same_ticket(make_server, receiver):
    """Old: the urgent-request ledger lived in memory: a resend after a restart opened (and paged) a second ticket."""
    server = make_server(config={"clockStart": SATURDAY, "onCallWebhookURL": receiver.url,
                                 "onCallWebhookSecret": "oncall-shared-secret-0123456789"}, start=False)
    server.admin("set-region", "--id", "acme", "--region", "usa")
    server.start()

    def urgent(cust):
        cust.send("request_chat", product="pressero", subject="Cannot take orders", text="Checkout is down.",
                  clientId="u1", urgent=True)
        return cust.expect("ticket_created", timeout=10)

    cust = server.customer("acme", "c1", ttl=LONG_TTL)
    created = urgent(cust)
    number = created["ticketNumber"]
    assert created["urgent"] is True and created["clientId"] == "u1"
    post = receiver.posts.get(timeout=15)
    assert post["body"]["ticket"]["number"] == number
    sue = server.login("sue")

    def notified():
        status, body = server.http("GET", f"/api/tickets/{number}", sue)
        return status == 200 and "oncall_notified" in [e["kind"] for e in body["history"]]
    wait_for(notified, timeout=15, what="oncall_notified in the ticket history")
    # A resend before the restart: same ticket.
    assert urgent(cust)["ticketNumber"] == number

    server.restart()          # kill -9
    again = server.customer("acme", "c1", ttl=LONG_TTL)
    assert urgent(again)["ticketNumber"] == number
    stop_and_start(server)
    last = server.customer("acme", "c1", ttl=LONG_TTL)
    assert urgent(last)["ticketNumber"] == number

    sue = server.login("sue")
    status, body = server.http("GET", "/api/tickets", sue)
    assert status == 200
    assert [t["number"] for t in body["tickets"]] == [number], body["tickets"]
    time.sleep(1.0)
    assert receiver.posts.empty(), "the on-call webhook was paged more than once"
    assert server.health()["openSessions"] == 0


def test_urgent_request_sent_on_two_connections_at_once_makes_one_ticket(make_server, receiver):
    server = make_server(config={"clockStart": SATURDAY, "onCallWebhookURL": receiver.url,
                                 "onCallWebhookSecret": "oncall-shared-secret-0123456789"}, start=False)
    server.admin("set-region", "--id", "acme", "--region", "usa")
    server.start()
    conns = [server.customer("acme", "c1", ttl=LONG_TTL) for _ in range(3)]
    for c in conns:
        c.send("request_chat", product="pressero", subject="Cannot take orders", text="Checkout is down.",
               clientId="u1", urgent=True)
    # While the ticket is being stored the answer goes once, to the newest connection that sent the request;
    # a resend afterwards (on any connection) gets the same ticket.
    receiver.posts.get(timeout=15)
    for c in conns:
        c.drain(0.5)
    numbers = {f["ticketNumber"] for c in conns for f in c.frames
               if isinstance(f, dict) and f.get("type") == "ticket_created"}
    assert len(numbers) == 1, numbers
    for c in conns:
        c.send("request_chat", product="pressero", subject="Cannot take orders", text="Checkout is down.",
               clientId="u1", urgent=True)
        c.buffer = [f for f in c.buffer if f.get("type") != "ticket_created"]
        assert c.expect("ticket_created", timeout=10)["ticketNumber"] in numbers
        assert not [f for f in c.frames if isinstance(f, dict) and f.get("type") == "error"], c.frames
    status, body = server.http("GET", "/api/tickets", server.login("sue"))
    assert [t["number"] for t in body["tickets"]] == list(numbers), body["tickets"]
    time.sleep(1.0)
    assert receiver.posts.empty(), "the on-call webhook was paged more than once"


# --------------------------------------------------------------------------- 5. long replays

def _replay_everything(server, sid, last_seq, what, pause=0.0):
    """A new connection of the customer replays the whole chat; `pause`: seconds it waits before reading
    (a slow reader: flow control must hold the pages back rather than overflow its queue)."""
    reader = server.customer("acme", "c1")
    reader.send("sync", sessionId=sid, afterSeq=0)
    time.sleep(pause)
    seqs = []
    deadline = time.monotonic() + 40
    synced = None
    while synced is None:
        assert time.monotonic() < deadline, f"{what}: replay incomplete after {len(seqs)} events"
        try:
            f = reader._read(max(0.1, deadline - time.monotonic()))
        except TimeoutError:
            continue
        except Exception as e:  # ConnectionClosed
            code = getattr(getattr(e, "rcvd", None), "code", None)
            reason = getattr(getattr(e, "rcvd", None), "reason", None)
            raise AssertionError(f"{what}: connection closed ({code} {reason}) after {len(seqs)} events") from e
        if not isinstance(f, dict):
            continue
        if f.get("type") == "event" and f["event"]["sessionId"] == sid:
            seqs.append(f["event"]["seq"])
        elif f.get("type") == "synced" and f["sessionId"] == sid:
            synced = f
        elif f.get("type") == "error":
            raise AssertionError(f"{what}: {f}")
    assert seqs == list(range(1, last_seq + 1)), (what, seqs[:5], len(seqs))
    assert synced["lastSeq"] == last_seq
    # Still open: it answers a ping.
    reader.send("ping", nonce="after-replay")
    assert reader.expect("pong", timeout=5)["nonce"] == "after-replay"
    reader.close()


def _long_chat(make_server, total=600):
    """A chat (queued, nobody else following) with `total` messages of 4000 characters, sent pipelined in batches;
    returns (server, customer connection, session id, last seq)."""
    server = make_server(config={"durability": "normal"})
    cust = server.customer("acme", "c1")
    sid = cust.request_chat("r1")["sessionId"]
    batch = 50
    for start in range(0, total, batch):
        for i in range(start, start + batch):
            cust.send("send", sessionId=sid, clientId=f"m{i}", text=(f"{i:04d}" + "x" * 3996))
        for i in range(start, start + batch):
            cust.expect_ack(f"m{i}", timeout=20)
    return server, cust, sid, total + 1


@pytest.mark.parametrize("total", [300, 600])
def test_replay_of_a_long_open_chat_is_paged_not_a_slow_consumer(make_server, total):
    """Old: `sync afterSeq:0` queued the whole chat at once (1.2 or 2.4 MB > the 1 MB per-connection cap) and
    closed the reader with 1008 slow_consumer. 300 messages are all in the chat's in-memory tail; of 600, the first
    ones are read from storage and the rest from the tail."""
    server, cust, sid, last_seq = _long_chat(make_server, total)
    _replay_everything(server, sid, last_seq, "open chat")
    _replay_everything(server, sid, last_seq, "open chat, slow reader", pause=1.5)


def test_replay_of_a_long_closed_chat_is_paged_not_a_slow_consumer(make_server):
    server, cust, sid, last_seq = _long_chat(make_server)
    cust.send("close", sessionId=sid)
    cust.expect_event(sid, "closed", timeout=10)
    _replay_everything(server, sid, last_seq + 1, "closed chat")
    _replay_everything(server, sid, last_seq + 1, "closed chat, slow reader", pause=1.5)
    # Also once the chat is only in storage (after a restart).
    server.restart()
    _replay_everything(server, sid, last_seq + 1, "closed chat after a restart")


def test_replay_in_pages_while_new_messages_arrive_delivers_each_event_once_in_order(make_server):
    """A replay longer than the in-memory tail is read from storage page by page while the chat goes on: every
    event exactly once, in seq order, `synced` in between, live events after it."""
    server = make_server(config={"durability": "normal"})
    cust = server.customer("acme", "c1")
    sid = cust.request_chat("r1")["sessionId"]
    before, during, batch = 700, 150, 100
    for start in range(0, before, batch):
        for i in range(start, start + batch):
            cust.send("send", sessionId=sid, clientId=f"m{i}", text=f"message {i} " + "y" * 200)
        for i in range(start, start + batch):
            cust.expect_ack(f"m{i}", timeout=20)

    reader = server.customer("acme", "c1")
    reader.send("sync", sessionId=sid, afterSeq=0)
    for i in range(before, before + during):
        cust.send("send", sessionId=sid, clientId=f"m{i}", text=f"live {i}")
    last = 1 + before + during
    order = []
    deadline = time.monotonic() + 30
    while last not in order or not any(isinstance(x, tuple) for x in order):
        assert time.monotonic() < deadline, f"stopped after {order[-3:]}"
        f = reader._read(max(0.1, deadline - time.monotonic()))
        if isinstance(f, dict) and f.get("type") == "event" and f["event"]["sessionId"] == sid:
            order.append(f["event"]["seq"])
        elif isinstance(f, dict) and f.get("type") == "synced" and f["sessionId"] == sid:
            order.append(("synced", f["lastSeq"]))
    synced = [x for x in order if isinstance(x, tuple)]
    assert len(synced) == 1, synced
    seqs = [x for x in order if not isinstance(x, tuple)]
    assert seqs == list(range(1, last + 1)), [x for x in order if isinstance(x, tuple) or x % 100 == 0]
    position = order.index(synced[0])
    assert synced[0][1] == position, (synced, position)       # synced after exactly lastSeq events
    for i in range(before, before + during):
        cust.expect_ack(f"m{i}", timeout=20)
    reader.drain(0.3)
    assert len(reader.event_seqs_received(sid)) == last


# --------------------------------------------------------------------------- 6. followers re-checked

def test_staff_following_a_queued_chat_stop_when_another_agent_takes_it(server):
    """Old: an agent who followed a queued chat kept receiving it after another agent took it."""
    bob = server.staff("bob")          # connected, Away: not routed anything
    ann = server.staff("ann")
    sue = server.staff("sue")          # supervisors follow every chat, whoever has it
    cust = server.customer("acme", "c1")
    sid = cust.request_chat("r1")["sessionId"]
    sue.send("sync", sessionId=sid, afterSeq=0)
    sue.expect("synced", lambda f: f["sessionId"] == sid)
    bob.send("sync", sessionId=sid, afterSeq=0)
    assert bob.expect_event(sid, seq=1)["kind"] == "requested"
    bob.expect("synced", lambda f: f["sessionId"] == sid)

    ann.send("take", sessionId=sid)
    joined = ann.expect_event(sid, "joined")
    assert bob.expect_event(sid, "joined") == joined    # the event that tells bob why it stops

    cust.say(sid, "m1", "private to ann")
    ann.expect_event(sid, "message")
    ann.say(sid, "a1", "private to the customer")
    cust.expect_event(sid, "message")
    cust.send("typing", sessionId=sid, active=True)
    ann.expect("typing", lambda f: f["sessionId"] == sid)
    bob.drain(0.5)
    sue.drain(0.2)
    assert [e["kind"] for e in sue.events(sid)] == ["requested", "joined", "message", "message"]
    leaked = session_events_after(bob, sid, joined["seq"])
    assert leaked == [], leaked

    def about_chat(f):
        return isinstance(f, dict) and (f.get("sessionId") == sid or (f.get("event") or {}).get("sessionId") == sid
                                        or (f.get("session") or {}).get("id") == sid)
    # Nothing at all about the chat after the joined event (the take's own budget announcement, stamped with the
    # joined event's time, may precede it: frames that are not events are not ordered with events).
    after_joined = [f for f in bob.frames[bob.frames.index({"type": "event", "event": joined}) + 1:] if about_chat(f)]
    assert after_joined == [], after_joined
    # And bob cannot follow it again.
    err = refusal(bob, "sync", sessionId=sid, afterSeq=0)
    assert err["code"] == "not_your_session", err


def test_agent_who_transferred_a_chat_away_stops_following_it(server):
    ann = server.staff("ann", available=True)
    cust = server.customer("acme", "c1")
    sid = open_chat(server, cust, ann)
    bob = server.staff("bob", available=True)
    ann.send("transfer", sessionId=sid, toAgent=staff_id(bob))
    moved = ann.expect_event(sid, "transferred")
    bob.expect_event(sid, "transferred")
    said = cust.say(sid, "m1", "for bob only")
    bob.expect_event(sid, seq=said["seq"])
    reply = bob.say(sid, "b1", "bob here")
    cust.expect_event(sid, seq=reply["seq"])
    cust.send("typing", sessionId=sid, active=True)
    bob.expect("typing", lambda f: f["sessionId"] == sid)
    ann.drain(0.5)
    assert session_events_after(ann, sid, moved["seq"]) == []
    assert not [f for f in ann.frames if isinstance(f, dict) and f.get("type") in ("typing", "read")
                and f.get("sessionId") == sid]
    err = refusal(ann, "send", sessionId=sid, clientId="a9", text="still mine?")
    assert err["code"] == "not_your_session", err


# --------------------------------------------------------------------------- 7. read markers recovered

def test_read_marker_survives_a_restart(make_server):
    """Old: read markers were relayed but not recovered: after a restart customerReadSeq was 0."""
    server = make_server()
    ann = server.staff("ann", available=True)
    cust = server.customer("acme", "c1")
    sid = open_chat(server, cust, ann)
    cust.send("read", sessionId=sid, seq=2)
    relayed = ann.expect("read", lambda f: f["sessionId"] == sid)
    assert (relayed["role"], relayed["seq"]) == ("customer", 2)
    said = ann.say(sid, "a1", "hello")
    cust.expect_event(sid, seq=said["seq"])
    ann.send("read", sessionId=sid, seq=1)
    assert cust.expect("read", lambda f: f["sessionId"] == sid)["seq"] == 1

    stop_and_start(server)
    again = server.customer("acme", "c1")
    summary = again.expect("session", lambda f: f["session"]["id"] == sid)["session"]
    assert (summary["customerReadSeq"], summary["agentReadSeq"]) == (2, 1), summary
    transcript = server.transcript(sid, again.token)["session"]
    assert (transcript["customerReadSeq"], transcript["agentReadSeq"]) == (2, 1), transcript


# --------------------------------------------------------------------------- 8. budget pause announced

def test_budget_pause_and_restart_are_announced_on_requeue_and_take(make_server):
    """Old: the requeue after the agent's grace period paused the budget silently (no `budget` frame)."""
    server = make_server({"agentGraceSeconds": 1})
    ann = server.staff("ann", available=True)
    cust = server.customer("acme", "c1")
    sid = open_chat(server, cust, ann)
    assert cust.expect("budget", lambda f: f["sessionId"] == sid and f["running"], 5)["running"] is True

    ann.close()
    requeued = cust.expect_event(sid, "requeued", timeout=15)
    assert requeued["reason"] == "agent_disconnected"
    # Budget frames are not seq'd: they may arrive before the committed event of the same step; `asOf` says when.
    paused = cust.expect("budget", lambda f: f["sessionId"] == sid and not f["running"]
                         and f["asOf"] >= requeued["at"], 5)
    assert paused["stage"] not in ("not_started", "converting"), paused
    assert 0 < paused["remainingSeconds"] <= paused["limitSeconds"]

    bob = server.staff("bob")
    bob.send("take", sessionId=sid)
    joined = cust.expect_event(sid, "joined", timeout=5)
    assert joined["agent"]["id"] == staff_id(bob) and joined["seq"] == requeued["seq"] + 1
    running = cust.expect("budget", lambda f: f["sessionId"] == sid and f["running"]
                          and f["asOf"] >= joined["at"], 5)
    assert running["remainingSeconds"] <= paused["remainingSeconds"]
    bob.expect("budget", lambda f: f["sessionId"] == sid and f["running"], 5)

    # Closing pauses it for good: announced to both sides too.
    cust.send("close", sessionId=sid)
    closed = cust.expect_event(sid, "closed")
    for side in (cust, bob):
        side.expect("budget", lambda f: f["sessionId"] == sid and not f["running"] and f["asOf"] >= closed["at"], 5)


# --------------------------------------------------------------------------- 9. error precedence

def test_identity_is_checked_before_state(server):
    """Old: the state was checked first, so a stranger could tell queued from active chats by the error code, and
    the chat's own customer got `session_not_active`-style answers for agent-only commands."""
    ann = server.staff("ann")            # Away: chats stay queued until taken
    queued_cust = server.customer("acme", "c1")
    queued = queued_cust.request_chat("r1")["sessionId"]
    active_cust = server.customer("acme", "c2")
    active = active_cust.request_chat("r1")["sessionId"]
    ann.send("take", sessionId=active)
    ann.expect_event(active, "joined")
    closed_cust = server.customer("acme", "c3")
    closed = closed_cust.request_chat("r1")["sessionId"]
    closed_cust.send("close", sessionId=closed)
    closed_cust.expect_event(closed, "closed")
    rate = ann.welcome["serviceRates"][0]["id"]

    # The queued chat's own customer.
    err = refusal(queued_cust, "convert", sessionId=queued)
    assert err["code"] == "not_your_session", err
    err = refusal(queued_cust, "respond_offer", sessionId=queued, accept=True)
    assert err["code"] == "no_pending_offer", err

    stranger = server.customer("globex", "g1")
    requests = [
        ("convert", {}),
        ("respond_offer", {"accept": True}),
        ("propose_services", {"rate": rate, "description": "Rebuild the calculator", "estimateHours": 1}),
        ("respond_services", {"accept": True}),
        ("send", {"clientId": "s-1", "text": "hello?"}),
        ("typing", {"active": True}),
        ("read", {"seq": 1}),
        ("continue_chat", {}),
        ("close", {}),
        ("sync", {"afterSeq": 0}),
    ]
    answers = {}
    for sid, label in ((queued, "queued"), (active, "active"), (closed, "closed")):
        for type_, fields in requests:
            answers[(label, type_)] = refusal(stranger, type_, sessionId=sid, **fields)["code"]
    wrong = {k: v for k, v in answers.items() if v != "not_your_session"}
    assert wrong == {}, wrong
    # Nothing reached the chats.
    for sid, cust in ((queued, queued_cust), (active, active_cust), (closed, closed_cust)):
        kinds = [e["kind"] for e in server.transcript(sid, cust.token)["events"]]
        assert "message" not in kinds and kinds.count("closed") == (1 if sid == closed else 0), kinds
    stranger.drain(0.2)
    assert not [f for f in stranger.frames if isinstance(f, dict) and f.get("type") in ("event", "ack", "session",
                                                                                       "synced", "typing", "read")]

    # Once the closed chat is only on disk (after a restart), the answer is the same.
    server.restart()
    stranger = server.customer("globex", "g1")
    after = {type_: refusal(stranger, type_, sessionId=closed, **fields)["code"] for type_, fields in requests}
    wrong = {k: v for k, v in after.items() if v != "not_your_session"}
    assert wrong == {}, wrong


# --------------------------------------------------------------------------- 10. transfers and going offline

def test_transfer_only_to_someone_who_can_answer(server):
    """Old: a transfer to a supervisor, an Away agent or someone not connected stranded the chat."""
    ann = server.staff("ann", available=True)
    cust = server.customer("acme", "c1")
    sid = open_chat(server, cust, ann)
    sue = server.staff("sue")            # supervisor, watching, Away
    bob = server.staff("bob")            # connected, Away

    err = refusal(ann, "transfer", sessionId=sid, toAgent=login_id(server, "cat"))   # known, never connected
    assert err["code"] == "agent_unavailable", err
    cat = server.staff("cat", available=True)      # Available, then gone
    gone_id = staff_id(cat)
    cat.close()
    ann.drain(0.3)
    targets = ((staff_id(sue), "supervisor"), (staff_id(bob), "away agent"), (gone_id, "disconnected"),
               (9999, "not a staff member"))
    for target, who in targets:
        err = refusal(ann, "transfer", sessionId=sid, toAgent=target)
        assert err["code"] == "agent_unavailable", (who, err)

    session = server.transcript(sid, ann.token)["session"]
    assert session["state"] == "active" and session["agent"]["id"] == staff_id(ann), session
    assert [e["kind"] for e in server.transcript(sid, ann.token)["events"]] == ["requested", "joined"]
    ack = ann.say(sid, "a1", "still here")
    assert cust.expect_event(sid, seq=ack["seq"])["text"] == "still here"


def test_agent_going_offline_requeues_to_the_front_and_routes(make_server):
    """Old: `set_status offline` left the agent's chats assigned to nobody who would answer."""
    server = make_server({"agentSessionCap": 1})
    ann = server.staff("ann", available=True)
    c1 = server.customer("acme", "c1")
    first = open_chat(server, c1, ann)
    c2 = server.customer("acme", "c2")
    second = c2.request_chat("r1")["sessionId"]
    assert c2.expect("queue_position", lambda f: f["sessionId"] == second)["position"] == 1

    ann.send("set_status", status="offline")
    ann.expect("status", lambda f: f["status"] == "offline")
    requeued = c1.expect_event(first, "requeued")
    assert requeued["reason"] == "agent_offline"
    # Back at the FRONT: the chat that waited all along is now second.
    assert c2.expect("queue_position", lambda f: f["sessionId"] == second and f["position"] == 2)

    bob = server.staff("bob", available=True)
    joined = c1.expect_event(first, "joined", timeout=10)
    assert joined["agent"]["id"] == staff_id(bob) and joined["seq"] == requeued["seq"] + 1
    bob.expect_event(first, "joined")
    state = server.transcript(second, c2.token)["session"]
    assert state["state"] == "queued", state
    ann.drain(0.3)
    assert not [f for f in ann.frames if isinstance(f, dict) and f.get("type") == "event"
                and f["event"]["sessionId"] == first and f["event"]["seq"] > requeued["seq"]]


# --------------------------------------------------------------------------- 11. routing after a restart

def test_queued_chat_is_routed_after_a_restart(make_server):
    """Old: after a restart organizations were known again only when one of their customers said hello, so a chat
    queued before the restart was judged by the default region (closed here) and waited for its customer to come
    back; now organizations, the queue and availability are recovered and routed at once."""
    policy = copy.deepcopy(POLICY)
    policy["defaultRegion"] = "usa"                  # closed on Saturdays; acme itself is always open
    server = make_server(config={"clockStart": SATURDAY}, policy=policy, start=False)
    server.admin("set-region", "--id", "acme", "--region", "anytime")
    server.start()
    cust = server.customer("acme", "c1", ttl=LONG_TTL)
    sid = cust.request_chat("r1")["sessionId"]
    assert cust.expect("queue_position", lambda f: f["sessionId"] == sid)["position"] == 1
    server.restart()          # kill -9; the customer's connection is gone and stays gone

    ann = server.staff("ann")
    ann.set_available()
    joined = ann.expect_event(sid, "joined", timeout=10)
    assert joined["agent"]["id"] == staff_id(ann)
    session = server.transcript(sid, ann.token)["session"]
    assert session["state"] == "active" and session["agent"]["id"] == staff_id(ann)


def test_after_a_restart_a_chat_whose_region_closed_waits_others_are_routed(make_server):
    server = make_server({"clockStart": SATURDAY})
    acme = server.customer("acme", "c1", ttl=LONG_TTL)
    waiting = acme.request_chat("r1")["sessionId"]
    globex = server.customer("globex", "g1", ttl=LONG_TTL)
    routed = globex.request_chat("r1")["sessionId"]
    assert server.terminate() == 0
    server.admin("set-region", "--id", "acme", "--region", "usa")     # closed on Saturdays
    server.start()

    ann = server.staff("ann")
    ann.set_available()
    ann.expect_event(routed, "joined", timeout=10)
    ann.drain(0.5)
    assert server.transcript(waiting, server.login("sue"))["session"]["state"] == "queued"
    assert not [f for f in ann.frames if isinstance(f, dict) and f.get("type") == "event"
                and f["event"]["sessionId"] == waiting and f["event"]["kind"] == "joined"]


# --------------------------------------------------------------------------- 12. availability recovered

def test_availability_survives_a_restart(make_server):
    """Old: after a restart every agent was Away again until they set their status."""
    server = make_server()
    ann = server.staff("ann", available=True)
    ann.drain(0.3)
    stop_and_start(server)

    # Available but not connected: nothing is routed to her meanwhile.
    cust = server.customer("acme", "c1")
    sid = cust.request_chat("r1")["sessionId"]
    cust.drain(0.5)
    assert server.transcript(sid, cust.token)["session"]["state"] == "queued"

    again = server.staff("ann")          # hello only, no set_status
    assert again.expect("status")["status"] == "available"
    joined = cust.expect_event(sid, "joined", timeout=10)
    assert joined["agent"]["id"] == staff_id(again)
    again.expect_event(sid, "joined")
    cust2 = server.customer("acme", "c2")
    sid2 = cust2.request_chat("r1")["sessionId"]
    assert cust2.expect_event(sid2, "joined", timeout=10)["agent"]["id"] == staff_id(again)


def test_two_agents_taking_the_same_chat_at_once(server):
    ann = server.staff("ann")
    bob = server.staff("bob")
    cust = server.customer("acme", "c1")
    sid = cust.request_chat("r1")["sessionId"]
    ann.send("take", sessionId=sid)
    bob.send("take", sessionId=sid)
    joined = cust.expect_event(sid, "joined")
    winner, loser = (ann, bob) if joined["agent"]["id"] == staff_id(ann) else (bob, ann)
    winner.expect_event(sid, "joined")
    assert loser.expect("error")["code"] == "session_not_queued"
    said = cust.say(sid, "m1", "hello")
    winner.expect_event(sid, seq=said["seq"])
    loser.drain(0.3)
    assert session_events_after(loser, sid, 0) == []
    events = server.transcript(sid, cust.token)["events"]
    assert [e["kind"] for e in events] == ["requested", "joined", "message"]


# --------------------------------------------------------------------------- 13. long queue wait

def test_long_wait_offer_accepted_while_an_agent_takes_the_chat(make_server):
    """The customer accepts the long-wait offer while an agent takes the chat: exactly one of the two wins and
    everything agrees with it (events, errors, session state, tickets)."""
    policy = copy.deepcopy(POLICY)
    policy["chat"] = {"maxQueueMinutes": 0.05}
    server = make_server(policy=policy)
    ann = server.staff("ann")
    custs = [server.customer("acme", f"c{i}") for i in range(3)]
    sids = [c.request_chat("r1")["sessionId"] for c in custs]
    for c, sid in zip(custs, sids):
        c.expect_event(sid, "wait_offered", timeout=15)
    outcomes = []
    for n, (c, sid) in enumerate(zip(custs, sids)):
        first, second = ((ann, {"type": "take"}), (c, {"type": "respond_offer", "accept": True}))
        if n % 2:
            first, second = second, first
        for who, frame in (first, second):
            fields = {k: v for k, v in frame.items() if k != "type"}
            who.send(frame["type"], sessionId=sid, **fields)
        ann.drain(0.5)
        c.drain(0.5)
        kinds = [e["kind"] for e in c.events(sid)]
        session = server.transcript(sid, server.login("sue"))["session"]
        if "joined" in kinds:
            outcomes.append("taken")
            assert c.expect("error")["code"] == "no_pending_offer"
            assert session["state"] == "active" and session["ticketNumber"] is None, session
            assert "converted" not in kinds and "offer_accepted" not in kinds, kinds
        else:
            outcomes.append("converted")
            c.expect_event(sid, "closed", timeout=10)
            kinds = [e["kind"] for e in c.events(sid)]
            assert kinds[-3:] == ["offer_accepted", "converted", "closed"], kinds
            err = ann.expect("error")
            assert err["code"] in ("session_not_queued", "conversion_in_progress"), err
            session = server.transcript(sid, server.login("sue"))["session"]
            assert session["state"] == "closed" and session["ticketNumber"] is not None, session
            assert not [e for e in ann.events(sid) if e["kind"] == "joined"]
        assert not [f for f in c.frames if isinstance(f, dict) and f.get("type") == "error"] or outcomes[-1] == "taken"
    status, body = server.http("GET", "/api/tickets", server.login("sue"))
    assert len(body["tickets"]) == outcomes.count("converted"), (outcomes, body["tickets"])


def test_long_queue_wait_offers_a_ticket(make_server):
    """Old: a customer could wait in the queue forever: no offer, no flag on the staff board."""
    policy = copy.deepcopy(POLICY)
    policy["chat"] = {"maxQueueMinutes": 0.05}       # 3 seconds
    server = make_server(policy=policy)
    sue = server.staff("sue")
    c1 = server.customer("acme", "c1")
    accepted = c1.request_chat("r1")["sessionId"]
    c2 = server.customer("acme", "c2")
    declined = c2.request_chat("r1")["sessionId"]

    offer1 = c1.expect_event(accepted, "wait_offered", timeout=15)
    assert offer1["author"]["role"] == "system"
    c2.expect_event(declined, "wait_offered", timeout=15)

    def flagged(f):
        entries = {e["sessionId"]: e for e in f["entries"]}
        return accepted in entries and declined in entries and all(e.get("longWait") is True
                                                                   for e in entries.values())
    sue.expect("queue", flagged, timeout=10)

    c1.send("respond_offer", sessionId=accepted, accept=True)
    closed = c1.expect_event(accepted, "closed", timeout=10)
    assert closed["reason"] == "converted"
    seen = [e["kind"] for e in c1.events(accepted)]
    assert seen[-3:] == ["offer_accepted", "converted", "closed"], seen
    number = c1.events(accepted)[-2]["ticketNumber"]
    status, body = server.http("GET", f"/api/tickets/{number}", sue.token)
    assert status == 200 and body["ticket"]["sessionId"] == accepted, body

    c2.send("respond_offer", sessionId=declined, accept=False)
    c2.expect_event(declined, "wait_declined", timeout=5)
    c2.drain(0.5)
    session = server.transcript(declined, c2.token)["session"]
    assert session["state"] == "queued", session
    assert "closed" not in [e["kind"] for e in c2.events(declined)]
    sue.expect("queue", lambda f: [e["sessionId"] for e in f["entries"]] == [declined], timeout=5)

    # A third customer is offered too, but an agent takes the chat first: the offer is gone.
    c3 = server.customer("acme", "c3")
    taken = c3.request_chat("r1")["sessionId"]
    c3.expect_event(taken, "wait_offered", timeout=15)
    bob = server.staff("bob")
    bob.send("take", sessionId=taken)
    c3.expect_event(taken, "joined")
    err = refusal(c3, "respond_offer", sessionId=taken, accept=True)
    assert err["code"] == "no_pending_offer", err
    assert server.transcript(taken, c3.token)["session"]["state"] == "active"
    bob.send("close", sessionId=taken)
    c3.expect_event(taken, "closed")

    # Answered once: no second offer, neither now nor after a restart (the answer is stored with the chat).
    server.restart()          # kill -9
    time.sleep(3.5)           # longer than maxQueueMinutes
    sue = server.login("sue")
    kinds = [e["kind"] for e in server.transcript(declined, sue)["events"]]
    assert kinds == ["requested", "wait_offered", "wait_declined"], kinds
    # Still in its place: the first agent to become available gets it.
    ann = server.staff("ann")
    ann.set_available()
    assert ann.expect_event(declined, "joined", timeout=10)["agent"]["id"] == staff_id(ann)

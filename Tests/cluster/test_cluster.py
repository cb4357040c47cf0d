"""Cluster mode end to end: three chatd nodes on one PostgreSQL and one Redis, on loopback.

A customer on one node and an agent on another chat; nodes are killed with SIGKILL mid-stream; clients reconnect
to any other node and resume with sync and resends. Checked afterwards from PostgreSQL: every acknowledged
message present exactly once, seqs gapless, the chat still with its agent.
"""
import threading
import time

import pytest

from clusterlib import Cluster, connect, login, wait_for_leader


@pytest.fixture
def cluster(fresh_database, redis_url):
    made = []

    def make(**kw):
        c = Cluster(fresh_database, redis_url, **kw).start()
        made.append(c)
        return c

    yield make
    for c in made:
        c.close()


def stream(customer, sid, prefix, count, acked, stop):
    """Sends `count` messages as fast as acks come back; records acked client ids with their seqs."""
    for i in range(count):
        if stop.is_set():
            return
        cid = f"{prefix}{i}"
        try:
            customer.send("send", sessionId=sid, clientId=cid, text=f"message {i}")
            ack = customer.expect_ack(cid, timeout=10)
        except Exception:  # the node died under us (closed while sending or waiting)
            return
        acked[cid] = ack["seq"]


def resume(customer, sid, sent_ids, acked):
    """After reconnecting: sync from the last seq seen, then resend every message sent without an ack (same
    client ids: the server answers an already stored one with its original ack)."""
    customer.send("sync", sessionId=sid, afterSeq=0)
    customer.expect("synced", lambda f: f["sessionId"] == sid, timeout=15)
    for cid in sent_ids:
        if cid not in acked:
            text = customer_text(cid)
            customer.send("send", sessionId=sid, clientId=cid, text=text)
            acked[cid] = customer.expect_ack(cid, timeout=15)["seq"]


def customer_text(cid):
    return f"message {int(cid.split('-')[-1].lstrip('m'))}"


def stored_events(cluster, sid):
    rows = cluster.sql(f"SELECT seq, COALESCE(client_msg_id, '') FROM events WHERE session_id = {sid} ORDER BY seq")
    return [(int(seq), cid) for seq, cid in (line.split("|") for line in rows.splitlines() if line)]


def assert_transcript_whole(cluster, sid, acked):
    events = stored_events(cluster, sid)
    seqs = [seq for seq, _ in events]
    assert seqs == list(range(1, len(seqs) + 1)), f"seqs not gapless: {seqs}"
    ids = [cid for _, cid in events if cid]
    for cid, seq in acked.items():
        assert ids.count(cid) == 1, f"{cid} stored {ids.count(cid)} times"
        assert (seq, cid) in events, f"{cid} acknowledged as seq {seq} but stored otherwise"


def start_chat(node_customer, node_agent, agent="ann"):
    ann = connect(node_agent, login(node_agent, agent), available=True)
    customer = connect(node_customer, node_customer.token("acme", "c1"))
    sid = customer.request_chat("r1")["sessionId"]
    customer.expect_event(sid, "joined", timeout=10)
    ann.expect_event(sid, "joined", timeout=10)
    return ann, customer, sid


@pytest.mark.parametrize("victim", ["leader", "relay"])
def test_kill_the_customers_node_mid_stream_and_resume_on_another(cluster, victim):
    """Customer on A, agent on B; A is killed with SIGKILL while the customer streams messages; the customer
    reconnects to C. victim=leader: A runs the engine (failover to B or C); victim=relay: A only relays."""
    c = cluster()
    a, b, third = c.nodes
    if victim == "relay":
        a, third = third, a          # the customer's node is a relay; the leader (node 1) survives
    ann, customer, sid = start_chat(a, b)
    first_generation = c.lease()[1]

    acked, stop = {}, threading.Event()
    sent_ids = [f"m-m{i}" for i in range(400)]
    worker = threading.Thread(target=stream, args=(customer, sid, "m-m", 400, acked, stop))
    worker.start()
    deadline = time.monotonic() + 20
    while len(acked) < 30 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(acked) >= 30, "the stream did not get going"
    a.kill()
    worker.join(timeout=30)
    stop.set()
    sent_before = [cid for cid in sent_ids if cid in customer.sent]
    assert len(acked) < 400, "the stream finished before the kill"

    if victim == "leader":
        wait_for_leader(c, not_generation=first_generation, timeout=30)
    back = connect(third, customer.token, timeout=40)
    session = back.expect("session", lambda f: f["session"]["id"] == sid, timeout=15)["session"]
    assert session["state"] == "active"
    resume(back, sid, sent_before, acked)
    # The agent's connection went through B: after a leader change it was closed (1012) and reconnects.
    if victim == "leader":
        ann = connect(b, ann.token, timeout=40)
        ann.send("sync", sessionId=sid, afterSeq=0)   # resume following the chat, as after any reconnect
        ann.expect("synced", lambda f: f["sessionId"] == sid, timeout=15)
    reply = ann.say(sid, "a-after", "still here after the failover")
    assert back.expect_event(sid, seq=reply["seq"], timeout=15)["text"] == "still here after the failover"
    mine = back.say(sid, "m-m-after", "thanks")
    assert ann.expect_event(sid, seq=mine["seq"], timeout=15)["author"]["role"] == "customer"

    assert_transcript_whole(c, sid, acked)
    agent = c.sql(f"SELECT s.agent_id FROM sessions s WHERE s.id = {sid}").strip()
    ann_id = c.sql("SELECT id FROM staff WHERE username = 'ann'").strip()
    assert agent == ann_id, "the chat moved away from its agent"


def test_kill_the_router_and_routing_continues(cluster):
    c = cluster()
    leader, b, third = c.nodes
    generation = c.lease()[1]
    leader.kill()
    wait_for_leader(c, not_generation=generation, timeout=30)
    bob = connect(b, login(b, "bob"), available=True, timeout=40)
    customer = connect(third, third.token("globex", "g1"), timeout=40)
    sid = customer.request_chat("r-after")["sessionId"]
    joined = customer.expect_event(sid, "joined", timeout=15)
    assert joined["author"]["name"] == "Bob"
    bob.expect_event(sid, "joined", timeout=15)


def test_a_paused_leader_cannot_write_after_losing_its_lease(cluster):
    """SIGSTOP the leader past its lease; another node takes over; SIGCONT: the old leader exits without writing."""
    import signal
    c = cluster()
    leader, b, third = c.nodes
    ann, customer, sid = start_chat(b, third)
    generation = c.lease()[1]
    leader.proc.send_signal(signal.SIGSTOP)
    try:
        wait_for_leader(c, not_generation=generation, timeout=30)
    finally:
        leader.proc.send_signal(signal.SIGCONT)
    code = leader.proc.wait(timeout=20)
    assert code == 75, f"old leader exit status {code}"
    # The chat goes on through the new leader; nothing the old one held is lost.
    back = connect(b, customer.token, timeout=40)
    back.send("sync", sessionId=sid, afterSeq=0)
    back.expect("synced", lambda f: f["sessionId"] == sid, timeout=15)
    ack = back.say(sid, "after-pause", "hello again")
    assert stored_events(c, sid)[-1] == (ack["seq"], "after-pause")


def test_caps_hold_cluster_wide_when_100_chats_arrive_at_once(cluster):
    agents = [f"agent{i:02d}" for i in range(20)]
    orgs = [(f"org{i}", "hv") for i in range(10)]      # hv: 10 authorized contacts each
    c = cluster(extra_staff=agents, organizations=orgs, config={"agentSessionCap": 3})
    nodes = c.nodes
    staff = [connect(nodes[i % 3], login(nodes[i % 3], name), available=True, timeout=40)
             for i, name in enumerate(agents)]
    customers = []
    for i in range(100):
        node = nodes[i % 3]
        customers.append(connect(node, node.token(f"org{i // 10}", f"c{i}"), timeout=40))
    barrier = threading.Barrier(100)
    acks = [None] * 100

    def ask(i):
        barrier.wait()
        acks[i] = customers[i].request_chat(f"r{i}", text=f"question {i}")

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(100)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert all(acks), "a chat request was not acknowledged"

    def counts():
        rows = c.sql("SELECT state, COUNT(*) FROM sessions GROUP BY state ORDER BY state")
        return dict((s, int(n)) for s, n in (line.split("|") for line in rows.splitlines() if line))

    deadline = time.monotonic() + 30
    while counts().get("active", 0) < 60 and time.monotonic() < deadline:
        time.sleep(0.2)
    per_agent = c.sql("SELECT agent_id, COUNT(*) FROM sessions WHERE state = 'active' GROUP BY agent_id")
    loads = [int(n) for _, n in (line.split("|") for line in per_agent.splitlines() if line)]
    assert max(loads) <= 3, f"an agent over the cap: {loads}"
    assert counts() == {"active": 60, "queued": 40}, counts()
    # Each agent, wherever connected, was told of three chats joined (its own "joined" events).
    for client in staff:
        me = client.welcome["staff"]["id"]
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            client.drain(0.2)
            joined = {f["event"]["sessionId"] for f in client.frames if isinstance(f, dict) and f.get("type") == "event"
                      and f["event"]["kind"] == "joined" and str(f["event"]["author"]["id"]) == str(me)}
            if len(joined) >= 3:
                break
        assert len(joined) == 3, f"agent {me} was told of {len(joined)} joined chats"


def test_boards_live_views_typing_and_read_markers_cross_nodes(cluster):
    """A supervisor on node 3 sees the queue and agents of customers and agents on nodes 1 and 2, watches a chat
    live, whispers to its agent (never to the customer), and typing and read indicators cross nodes."""
    c = cluster()
    n1, n2, n3 = c.nodes
    sue = connect(n3, login(n3, "sue"), timeout=40)
    customer = connect(n2, n2.token("acme", "c7"), timeout=40)
    sid = customer.request_chat("r-board")["sessionId"]
    # Queued with nobody available: the board on node 3 shows it.
    sue.expect("queue", lambda f: any(e.get("sessionId", e.get("id")) == sid for e in f["entries"]), timeout=15)
    ann = connect(n1, login(n1, "ann"), available=True, timeout=40)
    sue.expect("agents", lambda f: any(a["name"] == "Ann" and a["status"] == "available" for a in f["agents"]),
               timeout=15)
    customer.expect_event(sid, "joined", timeout=15)
    ann.expect_event(sid, "joined", timeout=15)
    # Watch live from node 3.
    sue.send("sync", sessionId=sid, afterSeq=0)
    sue.expect("synced", lambda f: f["sessionId"] == sid, timeout=15)
    said = customer.say(sid, "c-1", "hello from node 2")
    assert sue.expect_event(sid, seq=said["seq"], timeout=15)["text"] == "hello from node 2"
    # Typing: customer (node 2) -> agent (node 1) and back.
    customer.send("typing", sessionId=sid, active=True)
    assert ann.expect("typing", timeout=15) == {"type": "typing", "sessionId": sid, "role": "customer", "active": True}
    ann.send("typing", sessionId=sid, active=True)
    assert customer.expect("typing", timeout=15)["role"] == "agent"
    # Read marker: the agent reads on node 1, the customer on node 2 hears of it.
    ann.send("read", sessionId=sid, seq=said["seq"])
    read = customer.expect("read", lambda f: f["sessionId"] == sid, timeout=15)
    assert read["seq"] == said["seq"]
    # A whisper from node 3 reaches the agent on node 1, never the customer on node 2.
    sue.send("note", sessionId=sid, clientId="w1", text="check the invoice first")
    sue.expect_ack("w1", timeout=15)
    assert ann.expect_event(sid, "note", timeout=15)["text"] == "check the invoice first"
    reply = ann.say(sid, "a-1", "on it")
    customer.expect_event(sid, seq=reply["seq"], timeout=15)
    customer.drain(0.5)
    assert not [f for f in customer.frames if isinstance(f, dict) and f.get("type") == "event"
                and f["event"]["kind"] == "note"], "a whisper reached the customer"


class RestartableRedis:
    """A private redis-server on a fixed loopback port that a test can kill and start again."""

    def __init__(self):
        import subprocess
        import tempfile
        from services import free_port
        self.subprocess = subprocess
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="chatd-redis-restart.")
        self.url = f"redis://127.0.0.1:{self.port}"
        self.proc = None
        self.start()

    def start(self):
        from services import redis_cli
        self.proc = self.subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", self.dir], stdout=self.subprocess.DEVNULL, stderr=self.subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while redis_cli(self.url, "ping", check=False).strip() != "PONG":
            assert time.monotonic() < deadline, "redis did not start"
            time.sleep(0.05)

    def kill(self):
        self.proc.kill()
        self.proc.wait()

    def close(self):
        import shutil
        if self.proc.poll() is None:
            self.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


def test_redis_restart_resets_relayed_connections_and_nothing_is_lost(fresh_database):
    """The bus goes away mid-chat: relays close their WebSockets (messages may have been lost), the leader's own
    keep working; once Redis is back, clients of the relays reconnect and resume; every acknowledged message is
    stored once."""
    redis = RestartableRedis()
    c = Cluster(fresh_database, redis.url).start()
    try:
        leader, relay, _ = c.nodes
        ann = connect(leader, login(leader, "ann"), available=True)
        customer = connect(relay, relay.token("acme", "c1"))
        sid = customer.request_chat("r1")["sessionId"]
        customer.expect_event(sid, "joined", timeout=10)
        acked = {"m-m0": customer.say(sid, "m-m0", "message 0")["seq"]}
        redis.kill()
        assert customer.expect_closed(timeout=15) == 1012
        # The leader's own connection still works (its engine and PostgreSQL are fine).
        acked_agent = ann.say(sid, "a-during", "the bus is down, I am still here")
        redis.start()
        back = connect(relay, customer.token, timeout=40)
        resume(back, sid, ["m-m0", "m-m1"], acked)
        events = [e for e in back.events(sid)]
        assert any(e["seq"] == acked_agent["seq"] and e["text"] == "the bus is down, I am still here" for e in events)
        reply = ann.say(sid, "a-after", "bus back")
        assert back.expect_event(sid, seq=reply["seq"], timeout=15)["text"] == "bus back"
        assert_transcript_whole(c, sid, acked)
    finally:
        c.close()
        redis.close()

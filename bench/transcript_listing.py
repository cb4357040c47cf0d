#!/usr/bin/env python3
"""Transcript listing and full-text search at 1,000,000 events (issues 10 and 11).

Creates a fresh data directory with the real migrations (`chatd admin create-staff` / `create-org` open and
migrate the file), fills it with 50,000 chats and 1,000,000 events straight through Python's sqlite3 in large
transactions, starts the real `chatd serve` on it (loopback, port 0), logs in as a supervisor and times
`GET /api/transcripts` for every filter at offset 0, at offset 40,000 and by keyset cursor at the same place
(`cursor=` the `nextCursor` after row 40,000, or after the filter's last full page when it has fewer rows; the
first page also counts the filter's total, and every listing by staff writes its audit entry: issue 11) (median
of several runs, a fresh connection per request), and `GET /api/search` for common, rare, prefix and phrase queries, with filters, on
the first page and on page 400 (through its cursor). Also times server start-up on that database.

    bench/transcript_listing.py --chatd .build/release/chatd [--data /tmp/tl-data] [--runs 7] [--keep]

Works on a database at any migration: when `sessions.last_seq` and `session_agents` exist (v7-session-aggregates)
the generator fills them as the writer would; otherwise it leaves that to the listing's subqueries.
"""
import argparse
import http.client
import json
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time

CHATS = 50_000
EVENTS = 1_000_000
ORGS = [("acme", 0.30), ("globex", 0.20), ("initech", 0.15), ("umbrella", 0.12), ("hooli", 0.09),
        ("stark", 0.07), ("wayne", 0.04), ("tyrell", 0.03)]
AGENTS = 20
CONTACTS_PER_ORG = 600
QUEUED, ACTIVE = 600, 400          # the newest chats are still open
CONVERTED_SHARE = 0.10             # of the closed ones
DAY = 86_400.0
PASSWORD = "bench-password-1"
# Message texts draw three words from this vocabulary (deterministic), so that rare and common words exist.
VOCABULARY = [a + b + c for a in ("ka", "lo", "mi", "nu", "pe", "ri", "so", "tu", "va", "ze")
              for b in ("bra", "cle", "dri", "flo", "gru", "pla", "sku", "tre", "vro", "zwi")
              for c in ("n", "st", "x", "mb", "rk", "lt", "sh", "q", "nd", "p", "ft", "gg", "z", "v", "rd", "ck",
                        "ll", "ss", "tt", "w")]


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw)


def create(chatd, data):
    shutil.rmtree(data, ignore_errors=True)
    run([chatd, "admin", "create-staff", "--data", data, "--username", "boss", "--name", "Boss",
         "--role", "supervisor", "--password", PASSWORD])
    for org, _ in ORGS:
        run([chatd, "admin", "create-org", "--data", data, "--id", org, "--name", org.title(), "--plan", "business"])


def generate(path, seed=10):
    rng = random.Random(seed)
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=OFF")
    columns = {row[1] for row in db.execute("PRAGMA table_info(sessions)")}
    aggregates = "last_seq" in columns
    # v9 keeps events in the log `events` with a lazily written `event_index`; older schemas in `session_events`.
    event_log = db.execute("SELECT 1 FROM sqlite_master WHERE name = 'events'").fetchone() is not None
    event_table = "events" if event_log else "session_events"
    now = time.time()
    t0 = now - 365 * DAY
    db.execute("BEGIN")
    agents = []
    for i in range(AGENTS):
        cur = db.execute("INSERT INTO staff (username, name, role, password_hash, created_at) VALUES (?, ?, 'agent', 'x', ?)",
                         (f"agent{i}", f"Agent {i}", t0))
        agents.append((cur.lastrowid, f"Agent {i}"))
    db.execute("COMMIT")

    # Events per chat: 4..36 (mean 20), corrected so that the total is exactly EVENTS.
    counts = [rng.randint(4, 36) for _ in range(CHATS)]
    diff = EVENTS - sum(counts)
    i = 0
    while diff != 0:
        step = 1 if diff > 0 else -1
        if 4 <= counts[i % CHATS] + step <= 60:
            counts[i % CHATS] += step
            diff -= step
        i += 1
    created = sorted(t0 + rng.random() * (365 * DAY - 3 * 3600) for _ in range(CHATS - QUEUED - ACTIVE))
    created += sorted(now - 7200 + rng.random() * 7000 for _ in range(QUEUED + ACTIVE))
    org_names = [o for o, _ in ORGS]
    org_weights = [w for _, w in ORGS]
    ticket = 0
    sessions, events = [], []
    total_events = 0

    def flush():
        nonlocal sessions, events
        db.execute("BEGIN")
        if aggregates:
            db.executemany("""INSERT INTO sessions (id, organization_id, contact_id, customer_name, customer_email,
                product_id, subject, state, agent_id, agent_name, created_at, queued_at, closed_at, request_client_id,
                ticket_number, last_seq, message_count) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)""", sessions)
        else:
            db.executemany("""INSERT INTO sessions (id, organization_id, contact_id, customer_name, customer_email,
                product_id, subject, state, agent_id, agent_name, created_at, queued_at, closed_at, request_client_id,
                ticket_number) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)""", [s[:15] for s in sessions])
        db.executemany(f"""INSERT INTO {event_table} (session_id, seq, at, kind, author_role, author_id, author_name,
            text, client_msg_id, agent_id, agent_name, reason, ticket_number) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)""", events)
        db.execute("COMMIT")
        sessions, events = [], []

    for n in range(CHATS):
        sid = n + 1
        at = created[n]
        org = rng.choices(org_names, org_weights)[0]
        contact = f"{org}-c{rng.randrange(CONTACTS_PER_ORG)}"
        cname, email = f"Customer {contact}", f"{contact}@example.com"
        if n >= CHATS - QUEUED:
            state = "queued"
        elif n >= CHATS - QUEUED - ACTIVE:
            state = "active"
        else:
            state = "closed"
        converted = state == "closed" and rng.random() < CONVERTED_SHARE
        k = counts[n]
        evs = [(sid, 1, at, "requested", "customer", contact, cname, "Help please", f"r{sid}", None, None, None, None)]
        agent = None
        seq = 1
        if state != "queued":
            agent = rng.choice(agents)
            seq += 1
            evs.append((sid, seq, at + 30, "joined", "system", "system", "System", f"{agent[1]} joined", None,
                        agent[0], agent[1], None, None))
        transfer_at = k // 2 if state != "queued" and rng.random() < 0.1 else -1
        tail = 0
        if converted:
            tail = 2
        elif state == "closed":
            tail = 1
        messages = 0
        while seq < k - tail:
            seq += 1
            t = at + 30 + seq * 20
            if seq == transfer_at:
                to = rng.choice(agents)
                evs.append((sid, seq, t, "transferred", "agent", str(agent[0]), agent[1], f"Transferred to {to[1]}",
                            None, to[0], to[1], None, None))
                agent = to
                continue
            from_customer = state == "queued" or seq % 2 == 0
            words = " ".join(rng.choice(VOCABULARY) for _ in range(3))
            evs.append((sid, seq, t, "message", "customer" if from_customer else "agent",
                        contact if from_customer else str(agent[0]), cname if from_customer else agent[1],
                        f"message {seq} of chat {sid} about {words}", f"m{sid}-{seq}", None, None, None, None))
            messages += 1
        closed_at = None
        number = None
        if converted:
            ticket += 1
            number = ticket
            seq += 1
            evs.append((sid, seq, at + 30 + seq * 20, "converted", "agent", str(agent[0]), agent[1],
                        f"Converted to ticket {number}", None, None, None, None, number))
        if state == "closed":
            seq += 1
            closed_at = at + 30 + seq * 20
            evs.append((sid, seq, closed_at, "closed", "customer", contact, cname, None, None, None, None, "ended", None))
        total_events += len(evs)
        events += evs
        sessions.append((sid, org, contact, cname, email, "pressero", f"Question {sid}", state,
                         agent[0] if agent else None, agent[1] if agent else None, at,
                         at if state == "queued" else None, closed_at, f"req-{sid}", number, seq, messages))
        if len(events) >= 100_000:
            flush()
    flush()
    if db.execute("SELECT 1 FROM sqlite_master WHERE name = 'session_agents'").fetchone():
        # What the writer keeps (v7): every agent named by an event or on a session row.
        db.execute("BEGIN")
        db.execute(f"""INSERT OR IGNORE INTO session_agents (agent_id, created_at, session_id)
            SELECT DISTINCT e.agent_id, s.created_at, s.id FROM {event_table} e JOIN sessions s ON s.id = e.session_id
            WHERE e.agent_id IS NOT NULL""")
        db.execute("""INSERT OR IGNORE INTO session_agents (agent_id, created_at, session_id)
            SELECT agent_id, created_at, id FROM sessions WHERE agent_id IS NOT NULL""")
        db.execute("COMMIT")
    if event_log:
        # What the writer's index flushes keep: every event indexed, the boundary after the last.
        db.execute("BEGIN")
        db.execute("INSERT INTO event_index (session_id, seq, event_id) SELECT session_id, seq, id FROM events")
        db.execute("UPDATE event_index_state SET indexed_through = (SELECT COALESCE(MAX(id), 0) FROM events)")
        db.execute("COMMIT")
    # The full-text index lives in DATA/search.sqlite (SearchIndex): chatd builds it at start from the events;
    # the benchmark waits for that (the start-up figure then includes opening, not indexing).
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return total_events, t0


class Server:
    def __init__(self, chatd, data):
        start = time.perf_counter()
        self.proc = subprocess.Popen([chatd, "serve", "--data", data, "--host", "127.0.0.1", "--port", "0",
                                      "--log-level", "warning"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     text=True)
        line = self.proc.stdout.readline()
        if "listening on" not in line:
            raise SystemExit(f"chatd did not start: {line!r}")
        self.port = int(line.strip().rsplit(":", 1)[1])
        self.request("GET", "/healthz")
        self.startup = time.perf_counter() - start   # until the first answer

    def request(self, method, path, body=None, token=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        conn.close()
        if resp.status != 200:
            raise SystemExit(f"{method} {path}: {resp.status} {data[:200]!r}")
        return json.loads(data)

    def stop(self):
        time.sleep(0.5)   # a SIGTERM in the instant after the listening line may come before the handler exists
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def has_search(db_path):
    """Whether this chatd keeps a search index file (DATA/search.sqlite); waits until it holds every event and
    prints how long building it took."""
    search_path = os.path.join(os.path.dirname(db_path), "search.sqlite")
    db = sqlite3.connect(db_path)
    try:
        newest = db.execute("SELECT COALESCE(MAX(id), 0) FROM events").fetchone()[0]
    except sqlite3.OperationalError:
        return False
    finally:
        db.close()
    started = time.perf_counter()
    while time.perf_counter() - started < 900:
        if os.path.exists(search_path):
            try:
                search = sqlite3.connect(f"file:{search_path}?mode=ro", uri=True, timeout=5)
                through = search.execute("SELECT indexed_through FROM search_state WHERE id = 1").fetchone()[0]
                search.close()
                if through >= newest:
                    print(f"search index built by the server: {newest} events in {time.perf_counter() - started:.1f} s "
                          "after the measurements started waiting for it")
                    return True
            except sqlite3.OperationalError:
                pass
        time.sleep(0.5)
    return False


def search_figures(server, token, db_path, contact, runs):
    """Median times of `GET /api/search` (100 results a page) for several queries, on the first page and on page
    400 (the cursor of page 400 is the id of the 40,000th matching chat, read from the database)."""
    db = sqlite3.connect(db_path)
    rare = VOCABULARY[17]
    common_page400 = db.execute("SELECT id FROM sessions ORDER BY id DESC LIMIT 1 OFFSET 39999").fetchone()[0]
    db.close()
    from urllib.parse import quote
    queries = [
        ("common word (every chat)", "message", "", common_page400),
        ("rare word", rare, "", None),
        ("prefix (kabr*)", "kabr*", "", None),
        ('phrase ("of chat")', '"of chat"', "", common_page400),
        ("customer email", f"{contact}@example.com", "", None),
        ("common word, organization=acme", "message", "&organization=acme", None),
        ("rare word, outcome=converted", rare, "&outcome=converted", None),
    ]
    rows = []
    for name, q, extra, page400_before in queries:
        base = f"/api/search?q={quote(q)}&limit=100{extra}"
        figures = []
        for path in [base] + ([base + f"&before={page400_before}"] if page400_before else []):
            server.request("GET", path, token=token)   # warm-up
            times = []
            for _ in range(runs):
                start = time.perf_counter()
                body = server.request("GET", path, token=token)
                times.append((time.perf_counter() - start) * 1000)
            figures.append((statistics.median(times), len(body["results"]), body["total"], body["totalExact"]))
        first = figures[0]
        deep = figures[1] if len(figures) > 1 else (None, None, None, None)
        rows.append({"search": name, "first_ms": first[0], "first_rows": first[1], "total": first[2],
                     "exact": first[3], "page400_ms": deep[0], "page400_rows": deep[1]})
    return rows


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--chatd", required=True)
    ap.add_argument("--data", default="/tmp/transcript-listing-bench")
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--reuse", action="store_true", help="skip generation if the data directory exists")
    ap.add_argument("--json", help="write the figures here too")
    args = ap.parse_args()
    chatd = os.path.abspath(args.chatd)
    db_path = os.path.join(args.data, "chat.sqlite")
    if not (args.reuse and os.path.exists(db_path)):
        started = time.perf_counter()
        create(chatd, args.data)
        total, t0 = generate(db_path)
        print(f"generated {CHATS} chats, {total} events in {time.perf_counter() - started:.1f} s "
              f"({os.path.getsize(db_path) / 1e6:.0f} MB)")
    db = sqlite3.connect(db_path)
    t0 = db.execute("SELECT MIN(created_at) FROM sessions").fetchone()[0]
    contact = db.execute("SELECT contact_id FROM sessions WHERE organization_id = 'acme' GROUP BY contact_id "
                         "ORDER BY COUNT(*) DESC LIMIT 1").fetchone()[0]
    agent = db.execute("SELECT id FROM staff WHERE role = 'agent' ORDER BY id LIMIT 1").fetchone()[0]
    db.close()

    startups = []
    for _ in range(3):
        server = Server(chatd, args.data)
        startups.append(server.startup)
        server.stop()
    server = Server(chatd, args.data)
    startups.append(server.startup)
    token = server.request("POST", "/api/login", {"username": "boss", "password": PASSWORD})["token"]
    filters = [
        ("none", ""),
        ("organization=acme", "organization=acme"),
        (f"contact={contact}", f"contact={contact}"),
        (f"agent={agent}", f"agent={agent}"),
        ("from/to (300 days)", f"from={iso(t0 + 30 * DAY)}&to={iso(t0 + 330 * DAY)}"),
        ("state=queued", "state=queued"),
        ("state=active", "state=active"),
        ("state=closed", "state=closed"),
        ("outcome=open", "outcome=open"),
        ("outcome=closed", "outcome=closed"),
        ("outcome=converted", "outcome=converted"),
    ]
    rows = []
    for name, query in filters:
        prefix = "/api/transcripts?" + (query + "&" if query else "")
        total = server.request("GET", prefix + "limit=1", token=token).get("total", 0) or 0
        start_row = max(0, min(40_000, total) - 100)
        cursor = server.request("GET", prefix + f"limit=100&offset={start_row}", token=token).get("nextCursor")
        paths = [prefix + "limit=100&offset=0", prefix + "limit=100&offset=40000",
                 prefix + f"limit=100&cursor={cursor}" if cursor else None]
        figures = []
        for path in paths:
            if path is None:
                figures.append((float("nan"), 0))
                continue
            server.request("GET", path, token=token)   # warm-up
            times = []
            returned = 0
            for _ in range(args.runs):
                start = time.perf_counter()
                body = server.request("GET", path, token=token)
                times.append((time.perf_counter() - start) * 1000)
                returned = len(body["transcripts"])
            figures.append((statistics.median(times), returned))
        rows.append((name, total, figures))
    searches = search_figures(server, token, db_path, contact, args.runs) if has_search(db_path) else []
    server.stop()

    print(f"\nserver start-up on this database: median {statistics.median(startups) * 1000:.0f} ms "
          f"({', '.join(f'{s * 1000:.0f}' for s in startups)})")
    print(f"\n| filter | total | offset 0 (ms) | rows | offset 40,000 (ms) | rows | cursor at row 40,000 (ms) | rows |"
          f"\n|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, total, ((t_a, n_a), (t_b, n_b), (t_c, n_c)) in rows:
        print(f"| {name} | {total} | {t_a:.1f} | {n_a} | {t_b:.1f} | {n_b} | {t_c:.1f} | {n_c} |")
    if searches:
        print(f"\n| search | first page (ms) | results | total | page 400 (ms) | results |\n|---|---:|---:|---:|---:|---:|")
        for row in searches:
            deep = f"{row['page400_ms']:.1f} | {row['page400_rows']}" if row["page400_ms"] is not None else "- | -"
            total = f"{row['total']}" + ("" if row["exact"] else "+")
            print(f"| {row['search']} | {row['first_ms']:.1f} | {row['first_rows']} | {total} | {deep} |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"startup_ms": [s * 1000 for s in startups], "searches": searches,
                       "rows": [{"filter": n, "total": total, "offset0_ms": a[0], "offset0_rows": a[1],
                                 "offset40000_ms": b[0], "offset40000_rows": b[1], "cursor_ms": c[0], "cursor_rows": c[1]}
                                for n, total, (a, b, c) in rows]}, f, indent=1)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Write cost of keeping sessions.last_seq / message_count (issue 10): per-batch UPDATE vs a per-row trigger.

Copies a migrated v7 database (created by `chatd`, e.g. by bench/transcript_listing.py), then appends the same
events in group-commit-sized transactions (default 6 events over 3 sessions, the mean batch of the load benchmark)
three ways: no aggregates (the floor), one UPDATE per session per transaction (what the writer does), and an
AFTER INSERT trigger on session_events (one UPDATE per event). WAL, synchronous=NORMAL as chatd runs.

    bench/aggregate_write_cost.py /tmp/transcript-listing-bench/chat.sqlite [--events 60000] [--batch 6]
"""
import argparse, os, shutil, sqlite3, statistics, tempfile, time

TRIGGER = """
CREATE TRIGGER session_events_aggregates AFTER INSERT ON session_events BEGIN
    UPDATE sessions SET last_seq = max(last_seq, NEW.seq),
                        message_count = message_count + (NEW.kind = 'message')
    WHERE id = NEW.session_id;
END"""


def run(src, mode, events, batch, sessions_per_batch):
    work = tempfile.mkdtemp(prefix="aggcost-")
    path = os.path.join(work, "chat.sqlite")
    shutil.copy(src, path)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    if mode == "trigger":
        db.execute(TRIGGER)
    ids = [r[0] for r in db.execute("SELECT id FROM sessions WHERE state <> 'closed' ORDER BY id")]
    next_seq = {i: db.execute("SELECT COALESCE(MAX(seq), 0) FROM session_events WHERE session_id = ?", (i,)).fetchone()[0]
                for i in ids}
    insert = ("INSERT INTO session_events (session_id, seq, at, kind, author_role, author_id, author_name, text, "
              "client_msg_id) VALUES (?, ?, 0, ?, 'customer', 'c', 'C', 'hello there', ?)")
    update = "UPDATE sessions SET last_seq = max(last_seq, ?1), message_count = message_count + ?2 WHERE id = ?3"
    start = time.perf_counter()
    k = 0
    for b in range(events // batch):
        chosen = [ids[(b * sessions_per_batch + j) % len(ids)] for j in range(sessions_per_batch)]
        tally = {}
        db.execute("BEGIN")
        for e in range(batch):
            sid = chosen[e % sessions_per_batch]
            next_seq[sid] += 1
            seq = next_seq[sid]
            kind = "message" if e % 4 else "joined"
            k += 1
            db.execute(insert, (sid, seq, kind, f"bench-{k}" if kind == "message" else None))
            last, count = tally.get(sid, (0, 0))
            tally[sid] = (max(last, seq), count + (kind == "message"))
        if mode == "batch":
            for sid, (last, count) in tally.items():
                db.execute(update, (last, count, sid))
        db.execute("COMMIT")
    elapsed = time.perf_counter() - start
    db.close()
    shutil.rmtree(work)
    return elapsed / (events // batch * batch) * 1e6


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("database")
    ap.add_argument("--events", type=int, default=60_000)
    ap.add_argument("--batch", type=int, default=6)
    ap.add_argument("--sessions-per-batch", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    results = {m: [] for m in ("none", "batch", "trigger")}
    for _ in range(args.rounds):
        for mode in results:
            results[mode].append(run(args.database, mode, args.events, args.batch, args.sessions_per_batch))
    print(f"{args.events} events, {args.batch} per transaction over {args.sessions_per_batch} sessions; "
          f"median of {args.rounds} rounds, microseconds per event (whole transaction included):")
    for mode, figures in results.items():
        print(f"  {mode:8} {statistics.median(figures):6.1f} us/event  ({', '.join(f'{f:.1f}' for f in figures)})")


if __name__ == "__main__":
    main()

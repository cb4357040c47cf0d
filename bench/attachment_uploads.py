#!/usr/bin/env python3
"""Upload throughput and server memory while N clients upload 10 MB files at once (issue 12).

Starts chatd (CHATD_BIN, default .build/release/chatd, else debug) on a fresh seeded data directory, opens N
active chats (N customers, agents ann/bob/cat take them; cap raised by config), then every customer uploads one
FILE_MB file at the same moment over its own HTTP connection. Prints per-upload time, aggregate MB/s, and the
server's VmRSS (/proc/PID/status) before, at peak (sampled every 10 ms) and after.

    CHATD_BIN=$PWD/.build/release/chatd .venv/bin/python bench/attachment_uploads.py [clients] [file_mb]
"""
import http.client
import os
import random
import shutil
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "Tests" / "e2e"))
import chatlib  # noqa: E402

CLIENTS = int(sys.argv[1]) if len(sys.argv) > 1 else 5
FILE_MB = int(sys.argv[2]) if len(sys.argv) > 2 else 10


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def log_file(seed: int, size: int) -> bytes:
    """A text log of `size` bytes (different per client, so every upload is a new file)."""
    rng = random.Random(seed)
    words = [f"svc{n}" for n in range(50)] + ["error", "warning", "spooler", "queue", "timeout", "retry"]
    out = bytearray()
    n = 0
    while len(out) < size:
        out += f"2026-11-30T00:{n % 60:02d}:00Z {rng.choice(words)} {rng.choice(words)} job={rng.randrange(10**6)}\n".encode()
        n += 1
    return bytes(out[:size - 1]) + b"\n"


def main():
    if "CHATD_BIN" not in os.environ:
        release = chatlib.REPO_ROOT / ".build" / "release" / "chatd"
        chatlib.CHATD_BIN = release if release.exists() else chatlib.CHATD_BIN
    root, template = chatlib.seed_template()
    factory = chatlib.ServerFactory(template)
    try:
        server = factory(config={"agentSessionCap": CLIENTS})
        agents = [server.staff(name, available=True) for name in chatlib.AGENTS]
        chats = []
        for i in range(CLIENTS):
            cust = server.customer("acme", f"bench{i}")
            sid = cust.request_chat(f"r{i}", text="upload bench")["sessionId"]
            cust.expect_event(sid, "joined", timeout=10)
            chats.append((cust, sid, log_file(i, FILE_MB * 1024 * 1024)))
        pid = server.proc.pid
        baseline = rss_kb(pid)
        peak = [baseline]
        done = threading.Event()

        def sample():
            while not done.is_set():
                peak[0] = max(peak[0], rss_kb(pid))
                time.sleep(0.01)

        results = [None] * CLIENTS
        start_gate = threading.Barrier(CLIENTS + 1)

        def upload(i):
            cust, sid, data = chats[i]
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
            start_gate.wait()
            t0 = time.perf_counter()
            conn.request("POST", f"/api/transcripts/{sid}/attachments?name={quote(f'bench{i}.log')}", body=data,
                         headers={"Authorization": f"Bearer {cust.token}"})
            resp = conn.getresponse()
            resp.read()
            results[i] = (resp.status, time.perf_counter() - t0)
            conn.close()

        sampler = threading.Thread(target=sample)
        sampler.start()
        threads = [threading.Thread(target=upload, args=(i,)) for i in range(CLIENTS)]
        for t in threads:
            t.start()
        start_gate.wait()
        t0 = time.perf_counter()
        for t in threads:
            t.join()
        wall = time.perf_counter() - t0
        time.sleep(0.2)
        done.set()
        sampler.join()
        after = rss_kb(pid)
        total_mb = CLIENTS * FILE_MB
        statuses = sorted({r[0] for r in results})
        print(f"binary: {chatlib.CHATD_BIN}")
        print(f"{CLIENTS} clients x {FILE_MB} MB at once: statuses {statuses}, wall {wall:.2f} s, "
              f"aggregate {total_mb / wall:.1f} MB/s")
        print("per upload (s): " + ", ".join(f"{r[1]:.2f}" for r in results))
        print(f"server VmRSS: before {baseline / 1024:.1f} MB, peak {peak[0] / 1024:.1f} MB "
              f"(+{(peak[0] - baseline) / 1024:.1f} MB), after {after / 1024:.1f} MB")
        stored = sum(p.stat().st_size for p in (server.data / "attachments").rglob("*") if p.is_file())
        print(f"stored under DATA/attachments: {stored / 1024 / 1024:.1f} MB")
    finally:
        factory.close()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()

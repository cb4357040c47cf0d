#!/usr/bin/env python3
"""10,000 silent WebSockets (issue 9, item 3). Prints figures; asserts nothing.

Starts chatd (--bin) with default limits, opens N WebSocket handshakes on loopback from 127.0.0.2-127.0.0.101
(N/100 per address, under the per-address cap), then stays silent: no hello, no pong. Reports the server's VmRSS
before, with all sockets open (before the hello deadline), and after the deadline (plus close grace) has passed,
with /healthz's connection count at each point.

    python3 bench/hardening/silent_sockets.py --bin .build/debug/chatd [--n 10000] [--after 25]
"""
import argparse
import asyncio
import base64
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request


def rss_kib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])


def connections(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=30) as resp:
        return json.loads(resp.read())["connections"]


async def silent(port, source, held, failures):
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0))
        key = base64.b64encode(os.urandom(16)).decode()
        writer.write((f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 60)
        if not head.startswith(b"HTTP/1.1 101"):
            failures.append(head[:40])
            writer.close()
            return
        held.append(writer)   # never read, never write again
    except Exception as error:  # noqa: BLE001
        failures.append(type(error).__name__)


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True)
    parser.add_argument("--n", type=int, default=10000)
    parser.add_argument("--after", type=float, default=25, help="seconds after opening to measure again")
    parser.add_argument("--waves", type=int, default=1, help="repeat open/measure/wait (memory reuse across waves)")
    args = parser.parse_args()
    root = tempfile.mkdtemp(prefix="chatd-silent-")
    data = os.path.join(root, "data")
    try:
        proc = subprocess.Popen([args.bin, "serve", "--data", data, "--port", "0", "--log-level", "error"],
                                stdout=subprocess.PIPE, stderr=open(os.path.join(root, "stderr"), "w"))
        port = int(proc.stdout.readline().decode().strip().rsplit(":", 1)[1])
        time.sleep(0.5)
        base = rss_kib(proc.pid)
        report = {"n": args.n, "baselineRssMiB": round(base / 1024, 1), "waves": []}
        for wave in range(args.waves):
            held, failures = [], []
            started = time.monotonic()
            for batch in range(0, args.n, 500):
                await asyncio.gather(*(silent(port, f"127.0.0.{2 + i % 100}", held, failures)
                                       for i in range(batch, min(args.n, batch + 500))))
            opened_in = time.monotonic() - started
            open_rss, open_conns = rss_kib(proc.pid), connections(port)
            await asyncio.sleep(max(0, args.after - (time.monotonic() - started)))
            after_rss, after_conns = rss_kib(proc.pid), connections(port)
            report["waves"].append({
                "opened": len(held), "failures": len(failures), "openedInS": round(opened_in, 1),
                "allOpen": {"rssMiB": round(open_rss / 1024, 1), "connections": open_conns,
                            "perSocketKiB": round((open_rss - base) / max(1, len(held)), 2)},
                f"after{int(args.after)}s": {"rssMiB": round(after_rss / 1024, 1), "connections": after_conns}})
            for w in held:
                w.close()
            await asyncio.sleep(1)
        print(json.dumps(report))
        proc.terminate()
        proc.wait(timeout=30)
    finally:
        shutil.rmtree(root, ignore_errors=True)


asyncio.run(main())

#!/usr/bin/env python3
"""Login flood vs. a legitimate customer hello (issue 9, item 2). Prints figures; asserts nothing.

Starts chatd (--bin) on a fresh data directory with production password cost (600,000 PBKDF2 iterations),
fires N `POST /api/login` within ~50 ms, then at once opens a WebSocket and times `hello` -> `welcome` with a
customer JWT. Scenarios: `user` (wrong passwords for the real account "ann", one source address) and
`spread` (distinct unknown usernames from 50 loopback addresses 127.0.0.2-51, so per-address and per-username
throttles do not apply and only the hashing queue protects the server).

    python3 bench/hardening/login_flood.py --bin .build/debug/chatd [--scenario user|spread] [--n 500]
"""
import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import os
import shutil
import subprocess
import tempfile
import time


def sign(secret, claims):
    enc = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
    head = enc(json.dumps({"alg": "HS256", "typ": "JWT"}).encode()) + "." + enc(json.dumps(claims).encode())
    return head + "." + enc(hmac.new(secret, head.encode(), hashlib.sha256).digest())


def admin(bin_, data, *args):
    subprocess.run([bin_, "admin", *args, "--data", data], check=True, capture_output=True)


async def login(port, source, username, password, results):
    started = time.monotonic()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0))
        body = json.dumps({"username": username, "password": password}).encode()
        writer.write(b"POST /api/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Connection: close\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
        await writer.drain()
        status = (await asyncio.wait_for(reader.readline(), 120)).split()[1].decode()
        writer.close()
    except Exception as error:  # noqa: BLE001
        status = type(error).__name__
    results.append((status, time.monotonic() - started))


async def hello_wait(port, token):
    import websockets
    started = time.monotonic()
    async with websockets.connect(f"ws://127.0.0.1:{port}/ws", open_timeout=120) as ws:
        await ws.send(json.dumps({"type": "hello", "token": token}))
        while True:
            frame = json.loads(await asyncio.wait_for(ws.recv(), 120))
            if frame["type"] in ("welcome", "error"):
                return time.monotonic() - started, frame["type"]


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True)
    parser.add_argument("--scenario", default="user", choices=["user", "spread"])
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--config", default="{}", help="extra server config JSON")
    args = parser.parse_args()
    root = tempfile.mkdtemp(prefix="chatd-flood-")
    data = os.path.join(root, "data")
    config = os.path.join(root, "config.json")
    with open(config, "w") as f:
        f.write(args.config)
    try:
        admin(args.bin, data, "create-org", "--id", "acme", "--name", "Acme", "--plan", "hv")
        admin(args.bin, data, "create-staff", "--username", "ann", "--name", "Ann", "--password", "ann-password")
        admin(args.bin, data, "customer-token", "--org", "acme", "--contact", "x", "--name", "X", "--email", "x@x.x")
        secret = open(os.path.join(data, "jwt-secret")).read().strip().encode()
        proc = subprocess.Popen([args.bin, "serve", "--data", data, "--config", config, "--port", "0"],
                                stdout=subprocess.PIPE, stderr=open(os.path.join(root, "stderr"), "w"))
        port = int(proc.stdout.readline().decode().strip().rsplit(":", 1)[1])
        now = int(time.time())
        token = sign(secret, {"org": "acme", "sub": "c1", "name": "C", "email": "c@a.x", "iat": now, "exp": now + 600})
        quiet, _ = await hello_wait(port, token)

        results = []
        tasks = []
        fired = time.monotonic()
        for i in range(args.n):
            if args.scenario == "user":
                tasks.append(asyncio.create_task(login(port, "127.0.0.1", "ann", f"wrong-{i}", results)))
            else:
                tasks.append(asyncio.create_task(login(port, f"127.0.0.{2 + i % 50}", f"nobody{i}", "x", results)))
            if i % 50 == 49:
                await asyncio.sleep(0.005)
        await asyncio.sleep(0.05 - (time.monotonic() - fired) if time.monotonic() - fired < 0.05 else 0)
        wait, outcome = await hello_wait(port, token)
        legit_started = time.monotonic()
        staff = []
        await login(port, "127.0.0.200", "ann", "ann-password", staff)
        await asyncio.gather(*tasks)
        counts = {}
        for status, _ in results:
            counts[status] = counts.get(status, 0) + 1
        slowest = max(t for _, t in results)
        print(json.dumps({"scenario": args.scenario, "n": args.n, "helloWaitQuietMs": round(quiet * 1000, 1),
                          "helloWaitDuringFloodMs": round(wait * 1000, 1), "helloOutcome": outcome,
                          "legitStaffLogin": {"status": staff[0][0], "ms": round(staff[0][1] * 1000, 1)},
                          "floodStatuses": counts, "slowestFloodAnswerS": round(slowest, 2),
                          "floodDurationS": round(time.monotonic() - fired, 2)}))
        proc.terminate()
        proc.wait(timeout=20)
    finally:
        shutil.rmtree(root, ignore_errors=True)


asyncio.run(main())

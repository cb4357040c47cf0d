#!/usr/bin/env python3
"""Memory and CPU of chatd when many clients read one LARGE transcript at once (issue 9.4).

    .venv/bin/python bench/transcript_reads.py PATH/TO/chatd [--messages 8000] [--size 4000] [--readers 20] [--out F]

Seeds a fresh data directory with the admin CLI (Tests/e2e/chatlib.py), starts `chatd serve` on 127.0.0.1,
builds one chat of MESSAGES customer messages of SIZE characters each (pipelined `send` frames, acks awaited in
batches), then measures the server process (VmRSS from /proc/PID/status sampled every 20 ms, VmHWM, and
utime+stime from /proc/PID/stat):

  a. baseline RSS once the chat is built;
  b. READERS concurrent WebSocket `sync afterSeq:0` by the supervisor, each read until `synced` or until the
     server closes the connection: peak RSS over the phase's baseline, server CPU seconds, wall time, and
     whether each reader got every event;
  c. READERS concurrent HTTP reads of the whole transcript: paged (`afterSeq`, `limit=1000`, following
     `nextAfterSeq`) where the server pages, else one request;
  d. refused reads: a customer of another organization sends REFUSED `sync afterSeq:0` for the chat over 10
     connections (each waits for the answer before its next): server CPU seconds, and whether every answer is
     `not_your_session`; then a probe of 10 syncs pipelined on one connection (answers within 5 s).

b and d run twice: while the chat is open (queued; replays start from the live session in memory) and after
the customer closed it (read from storage only); c runs on the closed chat. The server is restarted (SIGTERM,
same data) before each phase so that each starts from a fresh process and VmHWM is that phase's peak.
Prints one JSON object. Only 127.0.0.1 is contacted; every wait is
bounded. Works against older binaries too: config keys they reject are dropped (and listed in the output).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT / "Tests" / "e2e"))
import chatlib  # noqa: E402  (the e2e harness: seeding, tokens, process wrapper)

from websockets.asyncio.client import connect  # noqa: E402
from websockets.exceptions import ConnectionClosed  # noqa: E402

CONFIG = {"durability": "normal", "messagesPerSecond": 100000, "messageBurst": 100000,
          "chatRequestBurst": 10000, "ticketBurst": 10000, "passwordIterations": 1000}
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE_LIMIT = 1000
READ_TIMEOUT = 120.0        # seconds without a frame/response before a reader gives up
PHASE_TIMEOUT = 900.0       # a whole phase


# --------------------------------------------------------------------------- /proc

def proc_status_kb(pid: int, field: str) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


def rss_mb(pid: int) -> float:
    return proc_status_kb(pid, "VmRSS") / 1024


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        text = f.read()
    fields = text[text.rindex(")") + 2:].split()   # after "pid (comm) "
    return (int(fields[11]) + int(fields[12])) / CLK_TCK   # utime, stime (fields 14 and 15)


class Meter:
    """Samples VmRSS every 20 ms while running; CPU and wall time between start() and stop()."""

    def __init__(self, pid: int):
        self.pid = pid
        self.peak_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            try:
                self.peak_kb = max(self.peak_kb, proc_status_kb(self.pid, "VmRSS"))
            except (OSError, KeyError):
                return
            self._stop.wait(0.02)

    def start(self):
        self.base_mb = rss_mb(self.pid)
        self.peak_kb = int(self.base_mb * 1024)
        self.hwm0_kb = proc_status_kb(self.pid, "VmHWM")
        self.cpu0 = cpu_seconds(self.pid)
        self.t0 = time.monotonic()
        self._thread.start()
        return self

    def stop(self) -> dict:
        wall = time.monotonic() - self.t0
        cpu = cpu_seconds(self.pid) - self.cpu0
        self._stop.set()
        self._thread.join()
        hwm_kb = proc_status_kb(self.pid, "VmHWM")
        # A spike shorter than the sampling period still raises VmHWM: when it rose during the phase, it is the peak.
        peak_kb = max(self.peak_kb, hwm_kb) if hwm_kb > self.hwm0_kb else self.peak_kb
        peak = peak_kb / 1024
        return {"rss_before_mb": round(self.base_mb, 1), "peak_rss_mb": round(peak, 1),
                "peak_over_baseline_mb": round(peak - self.base_mb, 1),
                "sampled_peak_rss_mb": round(self.peak_kb / 1024, 1), "vmhwm_mb": round(hwm_kb / 1024, 1),
                "cpu_seconds": round(cpu, 2), "wall_seconds": round(wall, 2)}


# --------------------------------------------------------------------------- server

def make_server(config: dict) -> tuple[chatlib.ChatServer, list[str]]:
    """Seeds a fresh data dir; drops config keys the binary rejects as unknown (older binaries)."""
    chatlib.BASE_CONFIG = {}          # the whole config is ours
    config = dict(config)
    dropped = []
    for _ in range(len(config) + 1):
        root = chatlib.new_root()
        try:
            return chatlib.ChatServer(root, config=config, policy=chatlib.POLICY), dropped
        except RuntimeError as err:
            shutil.rmtree(root, ignore_errors=True)
            m = re.search(r'unknown key \\?"(\w+)', str(err))
            if not m or m.group(1) not in config:
                raise
            config.pop(m.group(1))
            dropped.append(m.group(1))
    raise RuntimeError("could not find a config the binary accepts")


def restart(server: chatlib.ChatServer):
    server.terminate()
    server.proc = None
    server.start()
    time.sleep(1.0)                   # let start-up work settle before the baseline


# --------------------------------------------------------------------------- WebSocket helpers

async def ws_open(url: str, token: str):
    ws = await connect(url, max_size=None, open_timeout=20, close_timeout=2, ping_interval=None)
    await ws.send(json.dumps({"type": "hello", "token": token}))
    while True:
        f = json.loads(await asyncio.wait_for(ws.recv(), 20))
        if f.get("type") == "welcome":
            return ws
        if f.get("type") == "error":
            raise RuntimeError(f"hello refused: {f}")


async def build_chat(url: str, token: str, messages: int, size: int, batch: int) -> tuple[int, int]:
    """One chat by the customer: request_chat, then `messages` sends pipelined in batches. Returns (sid, lastSeq)."""
    ws = await ws_open(url, token)
    try:
        await ws.send(json.dumps({"type": "request_chat", "product": "pressero", "subject": "Large transcript",
                                  "text": "Starting a long conversation", "clientId": "r1"}))
        sid = last_seq = None
        while sid is None:
            f = json.loads(await asyncio.wait_for(ws.recv(), 20))
            if f.get("type") == "ack" and f.get("clientId") == "r1":
                sid, last_seq = f["sessionId"], f["seq"]
            elif f.get("type") == "error":
                raise RuntimeError(f"request_chat refused: {f}")
        filler = ("The quick brown fox jumps over the lazy dog. " * (size // 40 + 2))
        for start in range(0, messages, batch):
            pending = {}
            for j in range(start, min(start + batch, messages)):
                cid = f"m{j}"
                frame = json.dumps({"type": "send", "sessionId": sid, "clientId": cid,
                                    "text": (f"{j:06d} " + filler)[:size]})
                pending[cid] = frame
                await ws.send(frame)
            while pending:
                f = json.loads(await asyncio.wait_for(ws.recv(), 60))
                if f.get("type") == "ack" and f.get("clientId") in pending:
                    pending.pop(f["clientId"])
                    last_seq = max(last_seq, f["seq"])
                elif f.get("type") == "error":
                    ref = f.get("ref")
                    if ref in pending and f.get("code") in ("server_busy", "rate_limited"):
                        await asyncio.sleep(0.2)
                        await ws.send(pending[ref])
                    else:
                        raise RuntimeError(f"send refused: {f}")
        return sid, last_seq
    finally:
        await ws.close()


async def close_chat(url: str, token: str, sid: int, last_seq: int) -> int:
    """The customer closes the chat; returns its lastSeq (the `closed` event's seq)."""
    ws = await ws_open(url, token)
    try:
        await ws.send(json.dumps({"type": "sync", "sessionId": sid, "afterSeq": last_seq}))  # follow it (live)
        while True:
            f = json.loads(await asyncio.wait_for(ws.recv(), 30))
            if f.get("type") == "synced" and f.get("sessionId") == sid:
                break
        await ws.send(json.dumps({"type": "close", "sessionId": sid}))
        while True:
            f = json.loads(await asyncio.wait_for(ws.recv(), 30))
            if f.get("type") == "event" and f["event"]["sessionId"] == sid and f["event"]["kind"] == "closed":
                return f["event"]["seq"]
            if f.get("type") == "error":
                raise RuntimeError(f"close refused: {f}")
    finally:
        await ws.close()


async def sync_reader(url: str, token: str, sid: int, last_seq: int, go: asyncio.Event, ready: list) -> dict:
    """Reads one full replay: until `synced` for sid, or until the server closes the connection."""
    ws = await ws_open(url, token)
    seqs = set()
    out = {"synced": False, "closed_code": None, "closed_reason": None, "events": 0, "bytes": 0, "error": None}
    try:
        ready.append(1)
        await go.wait()
        await ws.send(json.dumps({"type": "sync", "sessionId": sid, "afterSeq": 0}))
        while True:
            raw = await asyncio.wait_for(ws.recv(), READ_TIMEOUT)
            out["bytes"] += len(raw)
            f = json.loads(raw)
            t = f.get("type")
            if t == "event" and f["event"]["sessionId"] == sid:
                seqs.add(f["event"]["seq"])
            elif t == "synced" and f.get("sessionId") == sid:
                out["synced"] = True
                break
            elif t == "error":
                out["error"] = f.get("code")
                break
    except ConnectionClosed as e:
        out["closed_code"] = e.rcvd.code if e.rcvd else None
        out["closed_reason"] = e.rcvd.reason if e.rcvd else None
    except TimeoutError:
        out["error"] = "client_timeout"
    finally:
        await ws.close()
    out["events"] = len(seqs)
    out["complete"] = seqs == set(range(1, last_seq + 1))
    return out


async def ws_sync_phase(server, token: str, sid: int, last_seq: int, readers: int) -> dict:
    go, ready = asyncio.Event(), []
    tasks = [asyncio.create_task(sync_reader(server.ws_url, token, sid, last_seq, go, ready)) for _ in range(readers)]
    while len(ready) < readers:                      # all connected and welcomed before the clock starts
        if any(t.done() for t in tasks):
            break
        await asyncio.sleep(0.05)
    meter = Meter(server.proc.pid).start()
    go.set()
    results = await asyncio.wait_for(asyncio.gather(*tasks), PHASE_TIMEOUT)
    figures = meter.stop()
    figures.update({
        "readers": readers,
        "complete_readers": sum(r["complete"] for r in results),
        "synced_readers": sum(r["synced"] for r in results),
        "closed": dict(Counter(f"{r['closed_code']} {r['closed_reason'] or ''}".strip()
                               for r in results if r["closed_code"] is not None)),
        "errors": dict(Counter(r["error"] for r in results if r["error"])),
        "events_per_reader_min": min(r["events"] for r in results),
        "events_per_reader_max": max(r["events"] for r in results),
        "mb_received": round(sum(r["bytes"] for r in results) / 1e6, 1),
    })
    return figures


def granted(f: dict, sid: int) -> bool:
    """A frame that shows the chat to its reader."""
    t = f.get("type")
    if t == "event":
        return f["event"].get("sessionId") == sid
    if t == "session":
        return f["session"].get("id") == sid
    return t == "synced" and f.get("sessionId") == sid


async def refused_reader(url: str, token: str, sid: int, count: int, go: asyncio.Event, ready: list) -> list:
    ws = await ws_open(url, token)
    codes = []
    try:
        ready.append(1)
        await go.wait()
        # One at a time per connection: the new server ignores a `sync` of a closed chat while one for the same
        # chat is still in flight on that connection (so pipelined duplicates get one answer, see the probe).
        for _ in range(count):
            await ws.send(json.dumps({"type": "sync", "sessionId": sid, "afterSeq": 0}))
            while True:
                f = json.loads(await asyncio.wait_for(ws.recv(), READ_TIMEOUT))
                if f.get("type") == "error":
                    codes.append(f.get("code"))
                    break
                if granted(f, sid):
                    codes.append("GRANTED:" + f["type"])
                    break
    except ConnectionClosed as e:
        codes.append(f"closed {e.rcvd.code if e.rcvd else None}")
    except TimeoutError:
        codes.append("client_timeout")
    finally:
        await ws.close()
    return codes


async def pipelined_probe(url: str, token: str, sid: int, count: int, wait: float = 5.0) -> dict:
    """`count` syncs of the chat sent at once on one connection: how many answers come within `wait` s."""
    ws = await ws_open(url, token)
    codes = []
    try:
        for _ in range(count):
            await ws.send(json.dumps({"type": "sync", "sessionId": sid, "afterSeq": 0}))
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            try:
                f = json.loads(await asyncio.wait_for(ws.recv(), max(0.01, deadline - time.monotonic())))
            except TimeoutError:
                break
            if f.get("type") == "error":
                codes.append(f.get("code"))
            elif granted(f, sid):
                codes.append("GRANTED:" + f["type"])
    finally:
        await ws.close()
    return {"sent": count, "answers": dict(Counter(codes))}


async def refused_phase(server, token: str, sid: int, total: int, connections: int) -> dict:
    go, ready = asyncio.Event(), []
    per = [total // connections + (1 if i < total % connections else 0) for i in range(connections)]
    tasks = [asyncio.create_task(refused_reader(server.ws_url, token, sid, n, go, ready)) for n in per]
    while len(ready) < connections:
        if any(t.done() for t in tasks):
            break
        await asyncio.sleep(0.05)
    meter = Meter(server.proc.pid).start()
    go.set()
    results = await asyncio.wait_for(asyncio.gather(*tasks), PHASE_TIMEOUT)
    figures = meter.stop()
    codes = Counter(c for r in results for c in r)
    figures.update({"requests": total, "connections": connections, "answers": dict(codes),
                    "pipelined_probe": await pipelined_probe(server.ws_url, token, sid, 10),
                    "all_not_your_session": codes == Counter({"not_your_session": total}),
                    "cpu_ms_per_refusal": round(figures["cpu_seconds"] * 1000 / total, 2)})
    return figures


# --------------------------------------------------------------------------- HTTP

def http_get(port: int, path: str, token: str):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}")
    req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=READ_TIMEOUT) as resp:
            raw = resp.read()
            return resp.status, raw
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def http_reader(port: int, token: str, sid: int, last_seq: int, paged: bool, go: threading.Event, out: list):
    seqs, requests, nbytes, status_seen = set(), 0, 0, Counter()
    try:
        go.wait()
        after = 0
        while True:
            path = f"/api/transcripts/{sid}?afterSeq={after}&limit={PAGE_LIMIT}" if paged else f"/api/transcripts/{sid}"
            status, raw = http_get(port, path, token)
            requests += 1
            nbytes += len(raw)
            status_seen[status] += 1
            if status != 200:
                break
            body = json.loads(raw)
            seqs.update(e["seq"] for e in body["events"])
            nxt = body.get("nextAfterSeq") if paged else None
            if nxt is None:
                break
            after = nxt
        out.append({"requests": requests, "bytes": nbytes, "status": dict(status_seen),
                    "complete": seqs == set(range(1, last_seq + 1)), "error": None})
    except Exception as err:  # noqa: BLE001  (a reader's failure is a figure, not a crash)
        out.append({"requests": requests, "bytes": nbytes, "status": dict(status_seen), "complete": False,
                    "error": f"{type(err).__name__}: {err}"})


def http_phase(server, token: str, sid: int, last_seq: int, readers: int, paged: bool) -> dict:
    go, out = threading.Event(), []
    threads = [threading.Thread(target=http_reader, args=(server.port, token, sid, last_seq, paged, go, out),
                                daemon=True) for _ in range(readers)]
    for t in threads:
        t.start()
    meter = Meter(server.proc.pid).start()
    go.set()
    deadline = time.monotonic() + PHASE_TIMEOUT
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()))
    figures = meter.stop()
    figures.update({"readers": readers, "paged": paged, "page_limit": PAGE_LIMIT if paged else None,
                    "complete_readers": sum(r["complete"] for r in out),
                    "requests": sum(r["requests"] for r in out),
                    "status": dict(sum((Counter(r["status"]) for r in out), Counter())),
                    "errors": [r["error"] for r in out if r["error"]][:3],
                    "mb_received": round(sum(r["bytes"] for r in out) / 1e6, 1)})
    return figures


# --------------------------------------------------------------------------- main

def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("chatd", help="path to the chatd binary")
    ap.add_argument("--messages", type=int, default=8000)
    ap.add_argument("--size", type=int, default=4000, help="characters per message")
    ap.add_argument("--batch", type=int, default=100, help="sends in flight before waiting for their acks")
    ap.add_argument("--readers", type=int, default=20)
    ap.add_argument("--refused", type=int, default=200)
    ap.add_argument("--refused-connections", type=int, default=10)
    ap.add_argument("--skip-closed-ws", action="store_true", help="skip the WebSocket replay of the closed chat")
    ap.add_argument("--label", default=None)
    ap.add_argument("--keep", action="store_true", help="keep the data directory")
    ap.add_argument("--out", help="also write the JSON here")
    args = ap.parse_args()

    chatlib.CHATD_BIN = Path(args.chatd).resolve()
    server, dropped = make_server(CONFIG)
    result = {"label": args.label, "binary": str(chatlib.CHATD_BIN), "cores": os.cpu_count(),
              "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "loadavg_start": os.getloadavg(),
              "config": {k: v for k, v in CONFIG.items() if k not in dropped}, "dropped_config_keys": dropped}
    try:
        server.start()
        customer = server.token("acme", "bigchat")
        t0 = time.monotonic()
        sid, last_seq = asyncio.run(build_chat(server.ws_url, customer, args.messages, args.size, args.batch))
        result["chat"] = {"sessionId": sid, "messages": args.messages, "chars_per_message": args.size,
                          "lastSeq": last_seq, "build_seconds": round(time.monotonic() - t0, 1)}
        time.sleep(1.0)
        result["a_baseline_rss_mb"] = round(rss_mb(server.proc.pid), 1)
        result["a_build_vmhwm_mb"] = round(proc_status_kb(server.proc.pid, "VmHWM") / 1024, 1)
        result["a_db_mb"] = round(sum(p.stat().st_size for p in server.data.rglob("*") if p.is_file()) / 1e6, 1)

        sue = server.login(chatlib.SUPERVISOR)
        status, raw = http_get(server.port, f"/api/transcripts/{sid}?afterSeq=0&limit=1", sue)
        paged = status == 200 and "nextAfterSeq" in json.loads(raw)
        result["http_paged"] = paged

        # The chat is open (queued, no agent available): replays start from the live session in memory.
        restart(server)
        sue = server.login(chatlib.SUPERVISOR)
        result["b_ws_sync_open"] = asyncio.run(ws_sync_phase(server, sue, sid, last_seq, args.readers))
        restart(server)
        other = server.token("globex", "intruder")
        result["d_refused_open"] = asyncio.run(refused_phase(server, other, sid, args.refused, args.refused_connections))

        # Closed, it is read from storage only (the old binary loaded it before checking access).
        last_seq = asyncio.run(close_chat(server.ws_url, customer, sid, last_seq))
        result["chat"]["lastSeq_closed"] = last_seq
        if not args.skip_closed_ws:
            restart(server)
            sue = server.login(chatlib.SUPERVISOR)
            result["b_ws_sync_closed"] = asyncio.run(ws_sync_phase(server, sue, sid, last_seq, args.readers))
        restart(server)
        sue = server.login(chatlib.SUPERVISOR)
        result["c_http_closed"] = http_phase(server, sue, sid, last_seq, args.readers, paged)
        restart(server)
        result["d_refused_closed"] = asyncio.run(refused_phase(server, other, sid, args.refused,
                                                               args.refused_connections))
    finally:
        server.kill()
        if not args.keep:
            shutil.rmtree(server.root, ignore_errors=True)
        else:
            result["root"] = str(server.root)
    result["loadavg_end"] = os.getloadavg()
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

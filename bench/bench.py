#!/usr/bin/env python3
"""Orchestrates the chatd benchmark (called by Scripts/bench; not the load generator, which is bench/gen/gen.c).

Starts each server on a fresh data directory pinned to core 0, the C generator pinned to core 1, collects the
generator's JSON, /proc CPU and RSS figures and chatd's /healthz, and writes bench/results.json and
docs/BENCHMARKS.md. Every wait is bounded; every process started here is stopped in `finally` (and by
Scripts/bench's trap).
"""
from __future__ import annotations

import argparse
import base64
import datetime
import hashlib
import hmac
import json
import os
import platform
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TMP = ROOT / "bench" / "tmp"
GEN = TMP / "gen"
IDLE = TMP / "idle"
RELAY_LWS = TMP / "relay-lws"
RELAY_NODE = ROOT / "bench" / "relay-node" / "relay.js"

PROCS: list[subprocess.Popen] = []

POLICY = {
    "plans": [{"id": "bench", "name": "Bench", "rank": 1, "liveChat": True, "authorizedContacts": 1000000}],
    "products": [{"id": "pressero", "name": "Pressero", "chatOffered": True}],
    "chat": {"quickQuestionMinutes": 600, "warningMinutesLeft": 3, "routeOutsideHours": True},
    "defaultRegion": "anytime",
    "regions": [{"id": "anytime", "name": "Anytime", "timeZone": "UTC",
                 "hours": [{"weekday": d, "open": "00:00", "close": "24:00"} for d in range(1, 8)], "holidays": []}],
}
CONFIG = {"passwordIterations": 1000, "messagesPerSecond": 1000000, "messageBurst": 1000000,
          "agentSessionCap": 3, "agentGraceSeconds": 600, "writerCapacity": 1000000,
          # set-up broadcasts `agents`/`queue` to every agent on every change (O(agents^2) bytes)
          "maxQueuedBytesPerConnection": 67108864,
          # thousands of connections and agent logins come from a few loopback addresses
          "maxConnectionsPerAddress": 1000000, "loginAttemptsPerAddress": 1000000,
          "loginQueueCapacity": 100000}
# Extra chatd settings for experiments, e.g. BENCH_CHATD_CONFIG='{"commitLingerMillis": 0.5}'.
CONFIG.update(json.loads(os.environ.get("BENCH_CHATD_CONFIG", "{}")))


LABEL_NOTES = {
    "full": "A full run on a quiet machine.",
    "contended": "Labelled **contended**: a full run, but other work (builds/tests of other engineers) shared the "
                 "2 cores, so latencies and maxima are pessimistic and noisy; treat them as indicative.",
}


def log(*a):
    print(*a, file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------- helpers

def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def sign_jwt(secret: bytes, claims: dict) -> str:
    head = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64url(json.dumps(claims, separators=(",", ":")).encode())
    sig = hmac.new(secret, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64url(sig)}"


def http_json(port: int, method: str, path: str, body=None, timeout=10, token=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method)
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return json.loads(resp.read())


def vmrss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def write_bytes(pid: int) -> int:
    """Bytes the process caused to be written to disk (/proc/PID/io write_bytes): WAL, checkpoints, everything."""
    for line in Path(f"/proc/{pid}/io").read_text().splitlines():
        if line.startswith("write_bytes:"):
            return int(line.split()[1])
    return 0


def cpu_seconds(pid: int) -> float:
    raw = Path(f"/proc/{pid}/stat").read_text()
    fields = raw[raw.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pin(core: int | None) -> list[str]:
    if core is None or not shutil.which("taskset"):
        return []
    return ["taskset", "-c", str(core)]


def start_listening(cmd: list[str], pattern: str, stderr_path: Path, cwd=None, env=None, timeout=30) -> tuple[subprocess.Popen, int]:
    """Starts a server that prints `pattern...PORT` on its first stdout line; returns (proc, port)."""
    err = open(stderr_path, "ab")
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, cwd=cwd, env=env)
    PROCS.append(proc)
    deadline = time.monotonic() + timeout
    line = b""
    while time.monotonic() < deadline and not line.endswith(b"\n"):
        ready, _, _ = select.select([proc.stdout], [], [], 0.2)
        if ready:
            ch = os.read(proc.stdout.fileno(), 1)
            if not ch:
                break
            line += ch
    text = line.decode(errors="replace").strip()
    if pattern not in text:
        stop(proc)
        raise RuntimeError(f"{cmd[0]} did not start: {text!r}; see {stderr_path}")
    return proc, int(text.rsplit(":", 1)[1].strip().rstrip("/"))


def stop(proc: subprocess.Popen | None, timeout=10):
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)


def stop_all():
    for p in reversed(PROCS):
        try:
            stop(p)
        except Exception:
            pass


# ----------------------------------------------------------------------------- targets

class ChatdTarget:
    name = "chatd"

    def __init__(self, binary: Path, root: Path, agents: int, customers: int, server_core):
        self.bin, self.root, self.nagents, self.ncust, self.core = binary, root, agents, customers, server_core
        self.data = root / "data"
        root.mkdir(parents=True, exist_ok=True)
        (root / "policy.json").write_text(json.dumps(POLICY))
        cfg = dict(CONFIG, policyFile=str(root / "policy.json"))
        (root / "config.json").write_text(json.dumps(cfg))
        self.proc = None
        self.port = None

    def admin(self, *args):
        r = subprocess.run([str(self.bin), "admin", *args, "--data", str(self.data), "--config", str(self.root / "config.json")],
                           capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            raise RuntimeError(f"chatd admin {args[0]} failed: {r.stderr.strip()}")

    def seed(self):
        t = time.monotonic()
        self.admin("create-org", "--id", "bench", "--name", "Bench Org", "--plan", "bench")
        for i in range(self.nagents):
            self.admin("create-staff", "--username", f"agent{i}", "--name", f"Agent {i}", "--password", "bench-pass-1")
        # /healthz gives its figures (commits, batches, writer queue) to staff only.
        self.admin("create-staff", "--username", "monitor", "--name", "Bench monitor", "--role", "supervisor",
                   "--password", "bench-pass-1")
        self.admin("customer-token", "--org", "bench", "--contact", "seed", "--name", "Seed", "--email", "s@b.example")
        log(f"  seeded {self.nagents} agents in {time.monotonic() - t:.1f}s")

    def start(self):
        self.proc, self.port = start_listening(
            pin(self.core) + [str(self.bin), "serve", "--port", "0", "--data", str(self.data),
                              "--config", str(self.root / "config.json"), "--log-level", "error"],
            "chatd listening on", self.root / "chatd.stderr", cwd=str(self.root))
        return self

    @property
    def pid(self):
        return self.proc.pid

    def tokens(self, customers: int, agents: bool = True):
        secret = (self.data / "jwt-secret").read_text().strip().encode()
        exp = int(time.time()) + 6 * 3600
        cust = [sign_jwt(secret, {"org": "bench", "sub": f"c{i}", "name": f"Customer {i}",
                                  "email": f"c{i}@bench.example", "exp": exp}) for i in range(customers)]
        ag = []
        if agents:
            for i in range(self.nagents):
                ag.append(http_json(self.port, "POST", "/api/login",
                                    {"username": f"agent{i}", "password": "bench-pass-1"})["token"])
        return cust, ag

    def health(self):
        if getattr(self, "monitor_token", None) is None:
            self.monitor_token = http_json(self.port, "POST", "/api/login",
                                           {"username": "monitor", "password": "bench-pass-1"})["token"]
        return http_json(self.port, "GET", "/healthz", token=self.monitor_token)

    def stop(self):
        stop(self.proc, timeout=20)


class RelayTarget:
    def __init__(self, name: str, cmd: list[str], root: Path, server_core, env=None):
        self.name, self.cmd, self.root, self.core, self.env = name, cmd, root, server_core, env
        root.mkdir(parents=True, exist_ok=True)
        self.proc = None

    def start(self):
        self.proc, self.port = start_listening(pin(self.core) + self.cmd, "listening on", self.root / f"{self.name}.stderr",
                                               env=self.env)
        return self

    @property
    def pid(self):
        return self.proc.pid

    def tokens(self, customers: int, agents: bool = True):
        # The relays check no tokens: a token with dots is a customer (like a JWT), anything else an agent.
        return [f"relay.customer.{i}" for i in range(customers)], [f"relay-agent-{i}" for i in range(customers // 3 + 1)]

    def health(self):
        return None

    def stop(self):
        stop(self.proc)


# ----------------------------------------------------------------------------- runs

class LineReader:
    """Reads whole lines from the stdout of several processes at once (a generator's step line carries its latency
    histogram and can be large: read concurrently so that no process blocks on a full pipe). Bounded waits."""

    def __init__(self):
        self.procs: list[subprocess.Popen] = []
        self.buf: dict[int, bytes] = {}

    def add(self, proc: subprocess.Popen):
        self.procs.append(proc)
        self.buf[proc.pid] = b""

    def line(self, proc: subprocess.Popen, deadline: float) -> str:
        return self.lines([proc], deadline)[0]

    def lines(self, procs: list[subprocess.Popen], deadline: float) -> list[str]:
        got: dict[int, str] = {}
        while len(got) < len(procs):
            for p in procs:
                if p.pid not in got and b"\n" in self.buf[p.pid]:
                    line, self.buf[p.pid] = self.buf[p.pid].split(b"\n", 1)
                    got[p.pid] = line.decode(errors="replace").strip()
            waiting = [p for p in self.procs if p.stdout and not p.stdout.closed]
            if len(got) == len(procs) or time.monotonic() >= deadline or not waiting:
                break
            ready, _, _ = select.select([p.stdout for p in waiting], [], [], 0.2)
            for f in ready:
                p = next(q for q in waiting if q.stdout is f)
                chunk = os.read(f.fileno(), 1 << 20)
                if not chunk:
                    f.close()
                self.buf[p.pid] += chunk
        return [got.get(p.pid, "") for p in procs]


def split_customers(n: int, k: int) -> list[int]:
    """Customers per generator process: multiples of 3, so each process's agents (3 chats each) are filled by its
    own customers and no chat spans two processes (processes set up one after the other: the earlier agents are
    full when the next customers ask for a chat)."""
    chats3 = n // 3
    k = max(1, min(k, chats3 or 1))
    per = [(chats3 // k + (1 if i < chats3 % k else 0)) * 3 for i in range(k)]
    per[-1] += n - sum(per)
    return [x for x in per if x > 0]


def hist_merge(into: dict, pairs):
    for b, c in pairs:
        into[b] = into.get(b, 0) + c


def hist_pct(h: dict, n: int, q: float) -> float:
    """Same rule as gen.c: the upper bound (ms) of the 10 us bucket holding the ceil(q*n)-th sample."""
    if not n:
        return 0.0
    target, acc = max(1, -(-int(q * n * 1000000) // 1000000)), 0
    for b in sorted(h):
        acc += h[b]
        if acc >= target:
            return (b + 1) * 0.01
    return (max(h) + 1) * 0.01


def run_chat(target, args, workdir: Path, gen_cores: list) -> dict:
    """The chat workload with --gen-processes generator processes (bench/gen in --control mode), each with its
    own chats. This function steps them together (each at its share of the rate, from the same instant), merges
    their counters and latency histograms per step (percentiles over the merged samples), and stops at the first
    step that fails (p99, loss/dup/order, errors) or where the generators' core passes --max-gen-cpu; then a final
    run at --final-fraction of the highest passing rate."""
    cust, ag = target.tokens(args.customers)
    shares = split_customers(args.customers, args.gen_processes)
    procs, c0, a0 = [], 0, 0
    budget = args.setup_seconds
    log(f"  generator: {args.customers} customers + {(args.customers + 2) // 3} agents in {len(shares)} process(es) "
        f"{shares}, rates {args.rates}")
    res = {"generator_processes": len(shares), "customers_per_process": shares, "steps": []}
    # A target of several processes (bench/cluster_bench.py) sums its own figures; others are one process.
    srv_cpu = getattr(target, "cpu", None) or (lambda: cpu_seconds(target.pid))
    srv_rss = getattr(target, "rss", None) or (lambda: vmrss_kb(target.pid))
    srv_wb = getattr(target, "written", None) or (lambda: write_bytes(target.pid))
    cpu_parts = getattr(target, "cpu_parts", None)
    cpu0, rss0, wb0 = srv_cpu(), srv_rss(), srv_wb()
    connect_s = setup_s = 0.0
    reader = LineReader()
    try:
        for k, nc in enumerate(shares):
            na = (nc + 2) // 3
            cf, af = workdir / f"{target.name}-customers-{k}.txt", workdir / f"{target.name}-agents-{k}.txt"
            cf.write_text("\n".join(cust[c0:c0 + nc]) + "\n")
            af.write_text("\n".join(ag[a0:a0 + na]) + "\n")
            c0, a0 = c0 + nc, a0 + na
            cmd = pin(gen_cores[k % len(gen_cores)]) + [str(GEN), "--mode", "chat", "--control", "stdin", "--port", str(target.port),
                                   "--customers", str(cf), "--agents", str(af), "--drain-seconds", str(args.drain_seconds),
                                   "--setup-seconds", str(args.setup_seconds), "--out", str(workdir / f"{target.name}-gen-{k}.json"),
                                   "--label", f"{target.name}.{k}"] + list(getattr(target, "gen_args", lambda: [])())
            if not args.gen_plain:
                cmd += ["--write-now", "1", "--cheap-mask", "1"]
            if getattr(args, "trace", None):
                cmd += ["--trace", f"{args.trace}.{target.name}.{k}"]
            p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
            PROCS.append(p)
            procs.append(p)
            reader.add(p)
            # One after the other: this process's customers must meet only this process's agents.
            line = reader.line(p, time.monotonic() + budget + 10)
            if not line.startswith("READY "):
                res.update(failed=True, error=f"generator {k} did not finish set-up: {line!r}")
                return res
            r = json.loads(line[6:])
            connect_s += r["connect_seconds"]
            setup_s += r["setup_seconds"]
        nconn = args.customers + sum((x + 2) // 3 for x in shares)
        res.update(connections=nconn, connect_seconds=round(connect_s, 3), setup_seconds=round(setup_s, 3),
                   connections_per_s=round(nconn / connect_s, 1) if connect_s else None)
        log(f"  set-up: {nconn} connections in {connect_s:.2f}s; all chats assigned after {setup_s:.2f}s")

        def step(kind: str, rate: float, seconds: float) -> dict:
            start = time.monotonic_ns() + 200_000_000
            scpu0 = srv_cpu()
            cparts0 = cpu_parts() if cpu_parts else None
            for p, nc in zip(procs, shares):
                p.stdin.write(f"step {kind} {rate * nc / args.customers:.3f} {seconds} {start}\n".encode())
                p.stdin.flush()
            lines = reader.lines(procs, time.monotonic() + seconds + args.drain_seconds + 15)
            scpu = srv_cpu() - scpu0
            cparts = cpu_parts() if cpu_parts else None
            if not all(x.startswith("STEP ") for x in lines):
                return {"kind": kind, "target_rate": rate, "failed": True, "error": f"generator lost: {[x[:80] for x in lines]}"}
            parts = [json.loads(x[5:]) for x in lines]
            h, ha = {}, {}
            for x in parts:
                hist_merge(h, x["hist"])
                hist_merge(ha, x["hist_ack"])
            tot = {key: sum(x[key] for x in parts) for key in
                   ("sent", "delivered", "acked", "lost", "unacked", "seq_dup", "seq_gap", "order_errors", "error_frames", "closed")}
            n, na = sum(h.values()), sum(ha.values())
            # The limit is per core: processes that share a core add up (on 2 cores they all share core 1).
            per_core: dict = {}
            for k, x in enumerate(parts):
                core = gen_cores[k % len(gen_cores)]
                per_core[core] = per_core.get(core, 0.0) + x["gen_cpu_s"] / seconds
            gen_cpu = max(per_core.values())
            st = dict(kind=kind, target_rate=rate, seconds=seconds, **tot,
                      delivered_per_s=round(tot["delivered"] / seconds, 1),
                      p50_ms=hist_pct(h, n, 0.5), p99_ms=hist_pct(h, n, 0.99), p999_ms=hist_pct(h, n, 0.999),
                      max_ms=max(x["max_ms"] for x in parts), ack_p50_ms=hist_pct(ha, na, 0.5),
                      ack_p99_ms=hist_pct(ha, na, 0.99), gen_cpu=round(gen_cpu, 4),
                      gen_cpu_per_process=[round(x["gen_cpu_s"] / seconds, 4) for x in parts],
                      server_cpu_s=round(scpu, 3),
                      server_cpu_s_per_1000=round(scpu * 1000 / tot["delivered"], 5) if tot["delivered"] else 0)
            if cparts is not None:
                st["server_cpu_s_parts"] = {k: round(cparts[k] - cparts0.get(k, 0.0), 3) for k in cparts}
            errs = tot["seq_dup"] + tot["seq_gap"] + tot["order_errors"]
            st["pass"] = (st["p99_ms"] < 100 and not tot["lost"] and not tot["unacked"] and not errs
                          and not tot["error_frames"] and not tot["closed"])
            st["gen_cpu_ok"] = gen_cpu < args.max_gen_cpu
            log(f"  {target.name} {kind} rate={rate:.0f} delivered={st['delivered_per_s']:.0f}/s p50={st['p50_ms']:.2f}ms "
                f"p99={st['p99_ms']:.2f}ms p99.9={st['p999_ms']:.2f}ms lost={tot['lost']} unacked={tot['unacked']} "
                f"dup/gap/order={tot['seq_dup']}/{tot['seq_gap']}/{tot['order_errors']} errframes={tot['error_frames']} "
                f"gen_cpu={gen_cpu:.0%} {st['gen_cpu_per_process']} srv_cpu={scpu:.2f}s "
                f"{'PASS' if st['pass'] else 'FAIL'}{'' if st['gen_cpu_ok'] else ' (generator-bound: does not count)'}")
            return st

        best = None
        for rate in args.rates:
            st = step("step", rate, args.step_seconds)
            res["steps"].append(st)
            if st.get("failed") or not st["pass"] or not st["gen_cpu_ok"]:
                break
            best = rate
        if best and args.final_fraction > 0 and not res["steps"][-1].get("failed"):
            res["steps"].append(step("final", best * args.final_fraction, args.final_seconds))
        res["best_rate"] = best or -1
        steps = [x for x in res["steps"] if not x.get("failed")]
        res["steps"] = steps
        last = steps[-1] if steps else {}
        res["totals"] = {k: sum(x[k] for x in steps) for k in ("sent", "delivered", "acked", "error_frames")}
        res["totals"].update({k: last.get(k, 0) for k in ("seq_dup", "seq_gap", "order_errors", "closed")})
        if not steps:
            res["failed"] = True
    finally:
        for p in procs:
            try:
                p.stdin.write(b"quit\n")
                p.stdin.close()
            except (OSError, ValueError):
                pass
        for p in procs:
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                stop(p)
        res["generator_exit"] = max([p.returncode or 0 for p in procs], default=0)
    res["server_cpu_s_total"] = round(srv_cpu() - cpu0, 3)
    res["server_rss_kb_before"], res["server_rss_kb_after"] = rss0, srv_rss()
    # Disk bytes per message over the whole run (every step); a relay that stores nothing writes ~0.
    res["server_write_bytes_total"] = srv_wb() - wb0
    delivered = res.get("totals", {}).get("delivered", 0)
    if delivered:
        res["server_write_bytes_per_delivered"] = round(res["server_write_bytes_total"] / delivered, 1)
    h = target.health()
    if h is not None:
        res["healthz"] = h
    return res


def raise_nofile(want: int) -> int:
    """Raises this process's RLIMIT_NOFILE (inherited by every server and generator started here) to `want`, or as
    far as the hard limit allows without privilege; returns the soft limit now in force. Raising the hard limit
    needs CAP_SYS_RESOURCE (root on a normal machine; a container may have it dropped)."""
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    inf = resource.RLIM_INFINITY
    if hard != inf and hard < want:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, want))
            return want
        except (ValueError, OSError):
            pass
    target = want if hard == inf else min(max(soft, want), hard)
    if target > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


# Descriptors chatd needs besides its connections (listening socket, SQLite files, event loop, logs): a margin.
SERVER_FD_MARGIN = 256


def local_port_range() -> int:
    try:
        lo, hi = map(int, Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split())
        return hi - lo + 1
    except (OSError, ValueError):
        return 28000


def read_line(proc: subprocess.Popen, deadline: float) -> str:
    """One line from proc's stdout, or "" at the deadline (bounded wait)."""
    line = b""
    while time.monotonic() < deadline and not line.endswith(b"\n"):
        ready, _, _ = select.select([proc.stdout], [], [], 0.5)
        if ready:
            ch = os.read(proc.stdout.fileno(), 1)
            if not ch:
                break
            line += ch
    return line.decode(errors="replace").strip()


def kv_line(text: str) -> dict:
    return {k: float(v) for k, v in (p.split("=", 1) for p in text.split()[1:])}


def run_idle(target, n: int, args, workdir: Path, gen_cores: list) -> dict:
    """Holds n authenticated idle customer connections (hello -> welcome) against a fresh server with bench/idle
    holders (one epoll loop each, up to --idle-per-process connections per process), measures VmRSS and set-up rate,
    then checks that every connection is still open: one WebSocket ping round (every pong counted) and the server's
    own count (/healthz `connections`)."""
    res = {"connections_requested": n}
    # The server was started with this process's limit (raised in main()); chatd raises its soft limit to the hard one.
    limit = int(Path(f"/proc/{target.pid}/limits").read_text().split("Max open files")[1].split()[1]) \
        if Path(f"/proc/{target.pid}/limits").exists() else n + SERVER_FD_MARGIN
    fit = max(0, limit - SERVER_FD_MARGIN)
    if n > fit:
        msg = (f"the server's descriptor limit is {limit} (RLIMIT_NOFILE hard limit; raising it needs CAP_SYS_RESOURCE, "
               f"e.g. `ulimit -Hn {n + 1024}` as root or `--ulimit nofile={n + 1024}` for a container): "
               f"holding {fit} of the {n} idle connections asked for")
        log(f"  bench: warning: {msg}")
        res["limited_by"] = msg
        n = fit
    try:  # loopback connections are tracked too when nf_conntrack is loaded; a full table drops SYNs
        ct = Path("/proc/sys/net/netfilter")
        count, cmax = int((ct / "nf_conntrack_count").read_text()), int((ct / "nf_conntrack_max").read_text())
        if count + n > cmax * 0.95:
            log(f"  bench: warning: nf_conntrack holds {count} of at most {cmax} entries; {n} more connections may be "
                f"dropped (TIME_WAIT entries of an earlier run expire after 2 minutes)")
            res["conntrack_before"] = [count, cmax]
    except (OSError, ValueError):
        pass
    ports = local_port_range()
    nsrc = max(args.src_addrs, -(-n // int(ports * 0.8)))
    nproc = max(1, -(-n // args.idle_per_process))
    res.update(connections_attempted=n, src_addrs=nsrc, holder_processes=nproc)
    t = time.monotonic()
    cust, _ = target.tokens(n, agents=False)
    cf = workdir / f"{target.name}-idle.txt"
    cf.write_text("\n".join(cust) + "\n")
    log(f"  {n} tokens in {time.monotonic() - t:.1f}s; {nproc} holder process(es), {nsrc} source addresses")
    settle = 0.2 if args.smoke else 2.0  # lets the server's memory settle before VmRSS is read
    time.sleep(settle / 2)
    base = vmrss_kb(target.pid)
    res["baseline_rss_kb"] = base
    procs = []
    per = -(-n // nproc)
    for k in range(nproc):
        first, count = k * per, min(per, n - k * per)
        cmd = pin(gen_cores[k % len(gen_cores)]) + [str(IDLE), "--port", str(target.port), "--tokens", str(cf), "--first", str(first),
                               "--count", str(count), "--src-addrs", str(nsrc), "--setup-seconds", str(args.idle_setup_seconds),
                               # about 1,024 handshakes in flight in all: well inside the listen backlog
                               "--inflight", str(max(32, 1024 // nproc))]
        p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        PROCS.append(p)
        procs.append(p)
    try:
        deadline = time.monotonic() + args.idle_setup_seconds + 30
        ready = [read_line(p, deadline) for p in procs]
        if not all(r.startswith("READY") for r in ready):
            res["error"] = f"holders did not report READY: {ready!r}"
            return res
        kv = [kv_line(r) for r in ready]
        held = int(sum(x["connected"] for x in kv))
        secs = max(x["seconds"] for x in kv)
        res.update(connections_held=held, failed=int(sum(x["failed"] for x in kv)), connect_seconds=round(secs, 3),
                   connections_per_s=round(held / secs, 1) if secs else None)
        time.sleep(settle)
        rss = vmrss_kb(target.pid)
        res.update(rss_kb=rss, kb_per_connection=round((rss - base) / held, 2) if held else None,
                   holder_rss_kb=sum(vmrss_kb(p.pid) for p in procs))
        if args.idle_hold_seconds > 0:
            log(f"  holding {held} connections for {args.idle_hold_seconds:.0f}s")
            time.sleep(args.idle_hold_seconds)
        # Still open at the end? Every holder pings every connection it holds and counts the pongs.
        for p in procs:
            p.stdin.write(b"ping\n")
            p.stdin.flush()
        deadline = time.monotonic() + 30
        alive = [read_line(p, deadline) for p in procs]
        if all(a.startswith("ALIVE") for a in alive):
            av = [kv_line(a) for a in alive]
            res.update(open_at_end=int(sum(x["open"] for x in av)), pongs_at_end=int(sum(x["pongs"] for x in av)),
                       closed_during_hold=int(sum(x["closed"] for x in av)),
                       ping_round_seconds=round(max(x["seconds"] for x in av), 3))
        else:
            res["error"] = f"holders did not answer the ping round: {alive!r}"
        res["rss_kb_at_end"] = vmrss_kb(target.pid)
        try:
            h = target.health()
            if h is not None:
                res["healthz_connections"] = h.get("connections")  # the server's count of open WebSockets
        except OSError as e:  # a slow answer loses one figure, not the step
            res["healthz_error"] = str(e)
        res["held_seconds"] = round(time.monotonic() - t, 1)
    finally:
        for p in procs:
            try:
                p.stdin.close()
            except OSError:
                pass
            stop(p)
    return res


# ----------------------------------------------------------------------------- report

def machine_info() -> dict:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        mem = Path("/proc/meminfo").read_text().splitlines()[0].split(":", 1)[1].strip()
    except OSError:
        pass
    load = os.getloadavg()
    def ver(cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True, timeout=10).stdout.strip().splitlines()[0]
        except Exception:
            return ""
    return {"cpu": cpu, "cores": os.cpu_count(), "memory": mem, "kernel": platform.release(),
            "os": ver(["sh", "-c", ". /etc/os-release; echo $PRETTY_NAME"]),
            "swift": ver(["swift", "--version"]), "node": ver(["node", "--version"]),
            "libwebsockets": ver(["pkg-config", "--modversion", "libwebsockets"]),
            "sqlite": ver(["pkg-config", "--modversion", "sqlite3"]),
            "loadavg_at_start": [round(x, 2) for x in load]}


def best_step(res: dict):
    steps = [s for s in res.get("steps", []) if s["kind"] == "step" and s["pass"] and s["gen_cpu_ok"]]
    return max(steps, key=lambda s: s["target_rate"]) if steps else None


def final_step(res: dict):
    fs = [s for s in res.get("steps", []) if s["kind"] == "final"]
    return fs[0] if fs else None


def summarize(name: str, res: dict) -> dict:
    b, f = best_step(res), final_step(res)
    out = {"max_rate_target": b["target_rate"] if b else None,
           "delivered_per_s": b["delivered_per_s"] if b else None,
           "p99_at_max_ms": b["p99_ms"] if b else None,
           "gen_cpu_at_max": b["gen_cpu"] if b else None,
           "server_cpu_s_per_1000_at_max": b["server_cpu_s_per_1000"] if b else None,
           # How busy the server's one core was at its maximum: near 100% means the server, not the generator,
           # set the limit (its maximum is then measured, even when the next step was generator-bound).
           "server_core_busy_at_max": round(b["server_cpu_s"] / b["seconds"], 2) if b and b.get("seconds") else None,
           "connections_per_s": res.get("connections_per_s"),
           "write_bytes_per_delivered": res.get("server_write_bytes_per_delivered")}
    if f:
        out.update(half_rate_target=f["target_rate"], half_rate_delivered_per_s=f["delivered_per_s"],
                   p50_ms=f["p50_ms"], p99_ms=f["p99_ms"], p999_ms=f["p999_ms"], ack_p99_ms=f["ack_p99_ms"],
                   gen_cpu_at_half=f["gen_cpu"], server_cpu_s_per_1000_at_half=f["server_cpu_s_per_1000"])
    steps = [s for s in res.get("steps", []) if s["kind"] == "step"]
    if steps:
        last = steps[-1]
        if not last["gen_cpu_ok"]:
            out["stop_reason"] = "generator-bound (max is a lower bound)"
        elif last["lost"] or last["unacked"] or last["seq_dup"] or last["seq_gap"] or last["order_errors"] or last["error_frames"] or last["closed"]:
            out["stop_reason"] = "loss/dup/order/error"
        elif last["p99_ms"] >= 100:
            out["stop_reason"] = "p99 over 100 ms"
        else:
            out["stop_reason"] = "all rates passed (max is a lower bound)"
    t = res.get("totals", {})
    out["loss_dup_order_errors"] = sum(t.get(k, 0) for k in ("seq_dup", "seq_gap", "order_errors")) + \
        sum(s["lost"] + s["unacked"] for s in res.get("steps", []) if s["pass"])
    return out


def fmt(v, spec="{:.0f}"):
    return "n/a" if v is None else spec.format(v)


def write_reports(results: dict, path_json: Path, path_md: Path):
    path_json.write_text(json.dumps(results, indent=2) + "\n")
    s = results["summary"]
    c, n, l = s.get("chatd", {}), s.get("node", {}), s.get("lws", {})
    idle = results.get("idle_memory", {})
    label = results["label"]
    rows = [
        ("max delivered msgs/s (p99 < 100 ms)", fmt(c.get("delivered_per_s")), fmt(n.get("delivered_per_s")), fmt(l.get("delivered_per_s"))),
        ("p50 at 50% of max (ms)", fmt(c.get("p50_ms"), "{:.2f}"), fmt(n.get("p50_ms"), "{:.2f}"), fmt(l.get("p50_ms"), "{:.2f}")),
        ("p99 at 50% of max (ms)", fmt(c.get("p99_ms"), "{:.2f}"), fmt(n.get("p99_ms"), "{:.2f}"), fmt(l.get("p99_ms"), "{:.2f}")),
        ("p99.9 at 50% of max (ms)", fmt(c.get("p999_ms"), "{:.2f}"), fmt(n.get("p999_ms"), "{:.2f}"), fmt(l.get("p999_ms"), "{:.2f}")),
        ("server CPU-s per 1,000 delivered (at max)", fmt(c.get("server_cpu_s_per_1000_at_max"), "{:.3f}"),
         fmt(n.get("server_cpu_s_per_1000_at_max"), "{:.3f}"), fmt(l.get("server_cpu_s_per_1000_at_max"), "{:.3f}")),
        ("generator CPU at max", fmt(c.get("gen_cpu_at_max"), "{:.0%}"), fmt(n.get("gen_cpu_at_max"), "{:.0%}"), fmt(l.get("gen_cpu_at_max"), "{:.0%}")),
        ("bytes written to disk per delivered message (whole run, /proc/PID/io)",
         fmt(c.get("write_bytes_per_delivered")), fmt(n.get("write_bytes_per_delivered")), fmt(l.get("write_bytes_per_delivered"))),
        ("connection set-up (conn/s, chat set-up)", fmt(c.get("connections_per_s")), fmt(n.get("connections_per_s")), fmt(l.get("connections_per_s"))),
        ("stepping stopped by", c.get("stop_reason", "n/a"), n.get("stop_reason", "n/a"), l.get("stop_reason", "n/a")),
        ("loss + dup + order errors", fmt(c.get("loss_dup_order_errors")), fmt(n.get("loss_dup_order_errors")), fmt(l.get("loss_dup_order_errors"))),
    ]
    table = "| figure | chatd (persistence on) | node-ws relay | lws relay |\n|---|---|---|---|\n" + \
        "\n".join(f"| {a} | {b} | {c_} | {d} |" for a, b, c_, d in rows)
    h = results.get("chatd", {}).get("healthz", {})
    extra = (f"| idle memory per connection (chatd, {fmt(idle.get('connections_held'))} conns) | "
             f"{fmt(idle.get('kb_per_connection'), '{:.2f}')} KB |\n"
             f"| idle connections held / asked for / open at the end (pong) / server's count | "
             f"{fmt(idle.get('connections_held'))} / {fmt(idle.get('connections_requested'))} / "
             f"{fmt(idle.get('pongs_at_end'))} / {fmt(idle.get('healthz_connections'))} |\n"
             f"| idle connection set-up (chatd, conn/s incl. hello/welcome) | {fmt(idle.get('connections_per_s'))} |\n"
             f"| SQLite commits / mean batch / largest batch | {h.get('commits', 'n/a')} / "
             f"{fmt(h.get('meanBatch'), '{:.1f}')} / {h.get('largestBatch', 'n/a')} |\n"
             f"| mean commit latency (ms) | {fmt(h.get('meanCommitMillis'), '{:.3f}')} |\n"
             f"| ratio vs node (delivered msgs/s) | {fmt(results.get('ratio_vs_node'), '{:.2f}')}x |\n"
             f"| ratio vs lws (delivered msgs/s) | {fmt(results.get('ratio_vs_lws'), '{:.0%}')} |")
    if idle.get("limited_by"):
        extra += f"\n| idle connections limited by | {idle['limited_by']} |"
    t = results["targets"]
    params = results["params"]
    common = results.get("cpu_common_rates") or []
    if common:
        worst = max(common, key=lambda x: x["ratio"])
        best = min(common, key=lambda x: x["ratio"])
        cpu_common_figure = (f"{best['ratio']:.2f}x (at {best['rate']:,.0f} msgs/s) to {worst['ratio']:.2f}x "
                             f"(at {worst['rate']:,.0f}); {fmt(results.get('cpu_ratio_vs_lws'), '{:.2f}')}x at each one's maximum")
        cpu_table = ("\n\n| msgs/s (both passed) | chatd CPU-s / 1,000 | lws relay CPU-s / 1,000 | ratio |\n|---|---|---|---|\n" +
                     "\n".join(f"| {x['rate']:,.0f} | {x['chatd']:.3f} | {x['lws']:.3f} | {x['ratio']:.2f}x |" for x in common))
    else:
        cpu_common_figure = f"{fmt(results.get('cpu_ratio_vs_lws'), '{:.2f}')}x at each one's maximum"
        cpu_table = ""
    paired = results.get("paired_cpu") or {}
    if paired.get("median_ratio"):
        med = paired["median_ratio"]
        cpu_common_figure = ("paired rounds (median): " + ", ".join(f"{v:.2f}x at {int(r):,}" for r, v in med.items()) +
                             "; in the sequential steps " + cpu_common_figure)
        cpu_table += ("\n\nPaired rounds (chatd, then the lws relay at once, same rates; CPU-s per 1,000 delivered, chatd / lws = ratio):\n\n"
                      "| round | " + " | ".join(f"{int(r):,} msgs/s" for r in paired["rates"]) + " |\n|---|" +
                      "---|" * len(paired["rates"]) + "\n" +
                      "\n".join(f"| {k + 1} | " + " | ".join(
                          (f"{x[str(int(r))]['chatd']:.3f} / {x[str(int(r))]['lws']:.3f} = {x[str(int(r))]['ratio']:.2f}x"
                           if str(int(r)) in x else "n/a") for r in paired["rates"]) + " |"
                          for k, x in enumerate(paired["rounds"])))
    def verdict(v):
        return "n/a" if v is None else ("met" if v else "**missed**")
    m = results["machine"]
    md = f"""# Benchmarks

**Run: {label}** ({results['timestamp']}). {results['label_note']}

{table}

| chatd figure | value |
|---|---|
{extra}

## Targets

| target | figure | verdict |
|---|---|---|
| server CPU per 1,000 delivered at most 1.3x the raw lws relay's at the common rates | {cpu_common_figure} | {verdict(t.get('cpu_le_1_3x_lws'))} |
| maximum (p99 < 100 ms) at least 0.6x the raw lws relay's | {fmt(results.get('ratio_vs_lws'), '{:.2f}')}x (the relay's core {fmt(l.get('server_core_busy_at_max'), '{:.0%}')} busy at its maximum, chatd's {fmt(c.get('server_core_busy_at_max'), '{:.0%}')}) | {verdict(t.get('ratio_vs_lws_ge_0_6'))} |
| at most 2 KB written to disk per delivered message | {fmt(c.get('write_bytes_per_delivered'))} bytes | {verdict(t.get('write_bytes_le_2kb'))} |
| p99 under 5 ms at 50% of max | {fmt(c.get('p99_ms'), '{:.2f}')} ms | {verdict(t.get('p99_half_lt_5ms'))} |
| at most 6.5 KB per idle connection, {fmt(results['params']['idle_connections'])} held and all open at the end | {fmt(idle.get('kb_per_connection'), '{:.2f}')} KB, {fmt(idle.get('connections_held'))} held, {fmt(idle.get('pongs_at_end'))} answered the last ping | {verdict(t.get('idle_kb_le_6_5_all_held'))} |{cpu_table}

## Machine

{m['cpu']}, {m['cores']} cores, {m['memory']}; {m['os']}, kernel {m['kernel']}; {m['swift']}; node {m['node']};
libwebsockets {m['libwebsockets']}; SQLite {m['sqlite']}. Load average (1/5/15 min) when the run started:
{m['loadavg_at_start']}, when it ended: {m.get('loadavg_at_end')}.

## Method

* **Servers**: chatd (release build, fresh data directory, durability `full`: fsync per group commit; acknowledgement
  and delivery only after commit), `bench/relay-node/relay.js` (Debian `node-ws` 8.11, Node 20) and
  `bench/relay-lws/relay.c` (libwebsockets 4.1.6, `-O2`). The two relays speak just enough of the protocol for the
  generator (hello → welcome, set_status → status, request_chat → ack + routing to an agent connection with at most 3
  chats, send → ack with seq to the sender and the event with the same seq to the other side). They keep everything in
  memory, **persist nothing and check no tokens**: they are the ceiling a relay without durability or policy would reach.
* **Pinning**: each server on core 0, the generator processes round robin on the other cores (`taskset`; on 2 cores all
  on core 1). CPU times are read from `/proc/PID/stat` before and after each step; a step counts only if the generator
  processes on each core together used under {results['params']['max_gen_cpu']:.0%} of it (otherwise the generator, not the
  server, set the limit: "generator-bound").
* **Generator** (`bench/gen/gen.c`): {params.get('gen_processes', 1)} process(es), each one single-threaded libwebsockets
  client loop with its own share of the chats. {results['params']['customers']} customer
  connections and {(results['params']['customers'] + 2) // 3} agent connections (each agent serves 3 chats). Set-up, one process after
  the other (so each process's customers are routed to its own agents): agents log in
  over HTTP (tokens passed in a file), connect, `hello`, `set_status available`; customers connect, `hello`,
  `request_chat`; each process waits until every chat of its own is assigned. bench.py then drives the steps over the
  processes' stdin (`gen --control stdin`): every process runs the step at its share of the rate from the same
  CLOCK_MONOTONIC instant and reports its counters and latency histograms (10 µs buckets); bench.py sums the counters
  and computes the percentiles over the merged histograms. Sends leave at once when the connection has nothing queued
  (`--write-now`; otherwise through lws's WRITEABLE callback) and the WebSocket masks come from a xorshift generator
  instead of one `/dev/urandom` read per frame (`--cheap-mask`): {'off (--gen-plain)' if params.get('gen_plain') else 'on'}.
  Open-loop Poisson arrivals at the step's aggregate
  rate, ~{results['params']['msg_bytes']}-byte texts alternating customer → agent and agent → customer within each chat. Each text carries
  its intended send time (CLOCK_MONOTONIC ns) and a per-chat counter; latency is measured at the receiving side from the
  intended send time (so a stalled sender is not hidden: no coordinated omission). Every `event` and `ack` seq is
  checked per chat and side for gaps, duplicates and reordering; counters per direction are checked for loss and order;
  every send must be acknowledged. After each step sending stops and the generator drains (at most
  {results['params']['drain_seconds']} s) before the next step.
* **Steps**: rates {results['params']['rates']} msgs/s, {results['params']['step_seconds']} s each, until p99 > 100 ms, any loss/dup/order
  error, or the generator's core passes the limit. Max rate = the highest passing step; then a
  {results['params']['final_seconds']} s run at 50% of it gives p50/p99/p99.9.
* **Idle connections**: a fresh chatd, baseline VmRSS after start, then {results['params']['idle_connections']} customer connections
  asked for, each authenticated (`hello` with its own customer JWT → `welcome`), held by `bench/idle/idle.c`: a lean
  epoll client without libwebsockets (16 bytes per connection, a buffer only while a frame is split; answers the
  server's pings), {params.get('idle_per_process', 'n/a')} connections per process, all on the generator core, spread round robin over
  {idle.get('src_addrs', results['params']['src_addrs'])} loopback source addresses 127.0.0.x (each has its own
  {local_port_range()}-port ephemeral range; the port range is not changed). bench.py raises RLIMIT_NOFILE for itself
  and so for chatd (which raises its soft limit to the hard one) and the holders; where the hard limit cannot be
  raised (no CAP_SYS_RESOURCE) it holds what fits and says so. Memory: (VmRSS − baseline) / N two seconds after the
  last `welcome`; set-up rate: connections / time from the first connect to the last `welcome` (the holders start
  together, about 1,024 handshakes in flight in all). After {params.get('idle_hold_seconds', 'n/a')} s more every holder pings every
  connection and counts the pongs (every connection still open), and chatd's `/healthz` gives its own count.
* **Server CPU per 1,000 delivered**: the server's utime+stime over the step (sending and drain) / delivered × 1000.
* **SQLite**: chatd's `GET /healthz` (as the staff account `monitor`) after the chat run (`commits`, `meanBatch`, `largestBatch`, `meanCommitMillis`),
  cumulative over set-up and all steps.

## Reproduce

```sh
Scripts/bench            # full run (~5-8 min): installs packages, builds release, runs everything, rewrites this file
Scripts/bench --smoke    # a few seconds against chatd only (debug build if present); fails on any loss/dup/order error
```

Raw figures: `bench/results.json` (every step of every target, healthz, machine). Options: `Scripts/bench --help`.
Profiles of chatd under load (perf): `bench/profile/`. To profile again: start a run with
`python3 bench/bench.py --targets chatd --no-idle --rates 8000 --step-seconds 6 --final-fraction 0 --label dev
--results /tmp/r.json --markdown /tmp/r.md` and `perf record -g -p $(pgrep -f 'chatd serve --port 0') -- sleep 4`.
"""
    if results.get("notes"):
        md += "\n## Notes\n\n" + "\n".join(f"* {x}" for x in results["notes"]) + "\n"
    analysis = Path(__file__).resolve().parent / "ANALYSIS.md"
    if analysis.exists():
        md += "\n" + analysis.read_text()
    listing = Path(__file__).resolve().parent / "TRANSCRIPT_LISTING.md"   # bench/transcript_listing.py's figures
    if listing.exists():
        md += listing.read_text()
    cluster = Path(__file__).resolve().parent / "CLUSTER_BENCH.md"   # Scripts/bench --cluster's section
    if cluster.exists():
        md += "\n" + cluster.read_text()
    path_md.write_text(md)


# ----------------------------------------------------------------------------- main

def run_paired(args, chatd_bin: Path, workdir: Path, server_core, gen_cores) -> dict:
    """Rounds of chatd then the lws relay at the same few rates, each round back to back: each ratio compares two
    runs a minute apart. The machine's speed drifts (other tenants); one server measured minutes after the other can
    differ by tens of percent for that reason alone."""
    paired = argparse.Namespace(**vars(args))
    paired.rates = [float(r) for r in args.paired_rates.split(",")]
    paired.final_fraction = 0
    rounds = []
    for k in range(args.paired_rounds):
        cpu = {}
        for name in ("chatd", "lws"):
            log(f"== paired round {k + 1}/{args.paired_rounds}: {name} at {paired.rates}")
            if name == "chatd":
                t = ChatdTarget(chatd_bin, workdir / f"paired-{k}-chatd", (args.customers + 2) // 3, args.customers, server_core)
                t.seed()
                t.start()
            else:
                t = RelayTarget("lws", [str(RELAY_LWS), "0"], workdir / f"paired-{k}-lws", server_core).start()
            try:
                res = run_chat(t, paired, workdir, gen_cores)
            finally:
                t.stop()
            cpu[name] = {s["target_rate"]: s["server_cpu_s_per_1000"] for s in res.get("steps", [])
                         if s["kind"] == "step" and s["pass"] and s["gen_cpu_ok"] and s.get("server_cpu_s_per_1000")}
        rounds.append({str(int(r)): {"chatd": cpu["chatd"][r], "lws": cpu["lws"][r],
                                     "ratio": round(cpu["chatd"][r] / cpu["lws"][r], 3)}
                       for r in paired.rates if r in cpu["chatd"] and r in cpu["lws"]})
    medians = {}
    for r in paired.rates:
        ratios = sorted(x[str(int(r))]["ratio"] for x in rounds if str(int(r)) in x)
        if ratios:
            medians[str(int(r))] = ratios[len(ratios) // 2]
    return {"rates": paired.rates, "rounds": rounds, "median_ratio": medians}


def grade_targets(results: dict, idle_connections: int):
    """Issue 10's targets, graded from a run's summary (also when re-rendering an older results.json)."""
    summary = results.get("summary", {})
    c, lws = summary.get("chatd", {}), summary.get("lws", {})
    idle = results.get("idle_memory", {})
    cpu_c, cpu_l = c.get("server_cpu_s_per_1000_at_max"), lws.get("server_cpu_s_per_1000_at_max")
    results["cpu_ratio_vs_lws"] = round(cpu_c / cpu_l, 2) if cpu_c and cpu_l else None
    # The target's own measure: CPU per 1,000 delivered at the rates both servers passed (same generator, same step).
    def passed(name):
        return {s["target_rate"]: s for s in results.get(name, {}).get("steps", [])
                if s["kind"] == "step" and s["pass"] and s["gen_cpu_ok"] and s.get("server_cpu_s_per_1000")}
    ours, theirs = passed("chatd"), passed("lws")
    results["cpu_common_rates"] = [
        {"rate": r, "chatd": ours[r]["server_cpu_s_per_1000"], "lws": theirs[r]["server_cpu_s_per_1000"],
         "ratio": round(ours[r]["server_cpu_s_per_1000"] / theirs[r]["server_cpu_s_per_1000"], 2)}
        for r in sorted(set(ours) & set(theirs))]
    common = results["cpu_common_rates"]
    paired = (results.get("paired_cpu") or {}).get("median_ratio") or {}
    results["targets"] = {
        "cpu_le_1_3x_lws": (all(v <= 1.3 for v in paired.values()) if paired else
                            None if not common else all(x["ratio"] <= 1.3 for x in common)),
        "ratio_vs_lws_ge_0_6": None if results.get("ratio_vs_lws") is None else results["ratio_vs_lws"] >= 0.6,
        "write_bytes_le_2kb": None if c.get("write_bytes_per_delivered") is None else c["write_bytes_per_delivered"] <= 2048,
        "idle_kb_le_6_5_all_held": None if idle.get("kb_per_connection") is None else
        (idle["kb_per_connection"] <= 6.5 and idle.get("connections_held") == idle_connections
         and idle.get("pongs_at_end") == idle_connections),
        "p99_half_lt_5ms": None if c.get("p99_ms") is None else c["p99_ms"] < 5,
    }


def main():
    ap = argparse.ArgumentParser(description="chatd benchmark (see docs/BENCHMARKS.md)")
    ap.add_argument("--smoke", action="store_true", help="a few seconds, tiny N, chatd only; fails on any error")
    ap.add_argument("--chatd", default=None, help="chatd binary (default: .build/release/chatd)")
    ap.add_argument("--customers", type=int, default=300)
    ap.add_argument("--rates", default="1000,2000,4000,6000,8000,10000,12000,16000,20000,24000,32000,40000,"
                                      "44000,48000,52000,56000,64000,72000,80000,96000,128000")
    ap.add_argument("--step-seconds", type=float, default=5)
    ap.add_argument("--final-seconds", type=float, default=10)
    ap.add_argument("--drain-seconds", type=float, default=3)
    ap.add_argument("--final-fraction", type=float, default=0.5)
    ap.add_argument("--setup-seconds", type=float, default=90)
    ap.add_argument("--max-gen-cpu", type=float, default=0.8,
                    help="a step counts only if the generator processes on each core together used less of it")
    ap.add_argument("--gen-plain", action="store_true",
                    help="generator without --write-now/--cheap-mask (every frame through a WRITEABLE callback, masks from /dev/urandom)")
    ap.add_argument("--gen-processes", type=int, default=0,
                    help="generator processes (chats split between them, latencies merged), pinned round robin to "
                         "the cores other than the server's; default: one per such core (1 on 2 cores; smoke: 2)")
    ap.add_argument("--idle-connections", type=int, default=100000,
                    help="authenticated idle WebSockets to hold against a fresh chatd (smoke: 50)")
    ap.add_argument("--idle-setup-seconds", type=float, default=180, help="bound on the idle connections' set-up")
    ap.add_argument("--idle-hold-seconds", type=float, default=10,
                    help="how long the idle connections are held after set-up before the ping round")
    ap.add_argument("--idle-per-process", type=int, default=16000,
                    help="idle connections per holder process (bench/idle; one descriptor each)")
    ap.add_argument("--src-addrs", type=int, default=4,
                    help="loopback source addresses 127.0.0.1..K (at least enough for the idle connections' ports)")
    ap.add_argument("--trace", default=None,
                    help="diagnosis: each generator writes every delivered message's send time and latency to "
                         "TRACE.<target>.<k> (for finding when the slow messages happen)")
    ap.add_argument("--targets", default="chatd,node,lws")
    ap.add_argument("--paired-rounds", type=int, default=3,
                    help="after the targets: rounds of chatd then the lws relay at --paired-rates, back to back, so the "
                         "CPU comparison does not depend on the machine's speed drifting between the targets (0: off)")
    ap.add_argument("--paired-rates", default="4000,8000,16000")
    ap.add_argument("--no-idle", action="store_true")
    ap.add_argument("--label", default="full", help="full | partial | contended (written into the results)")
    ap.add_argument("--results", default=str(ROOT / "bench" / "results.json"))
    ap.add_argument("--markdown", default=str(ROOT / "docs" / "BENCHMARKS.md"))
    ap.add_argument("--no-pin", action="store_true")
    ap.add_argument("--render-only", action="store_true", help="rewrite the markdown from --results (e.g. with a new --label)")
    ap.add_argument("--note", action="append", default=[], help="a note for the report (repeatable)")
    ap.add_argument("--cluster", action="store_true",
                    help="the cluster benchmark instead (bench/cluster_bench.py: SQLite vs PostgreSQL vs 3 nodes, failover); "
                         "run through Scripts/bench --cluster")
    args, rest = ap.parse_known_args()
    if args.cluster:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        import cluster_bench
        return cluster_bench.main(sys.argv[1:])
    if rest:
        ap.error(f"unrecognized arguments: {' '.join(rest)}")
    if args.render_only:
        results = json.loads(Path(args.results).read_text())
        results["label"] = args.label
        results["label_note"] = LABEL_NOTES.get(args.label, f"Labelled **{args.label}**: not a full quiet run; figures are indicative only.")
        results["notes"] = results.get("notes", []) + args.note
        grade_targets(results, results["params"]["idle_connections"])
        write_reports(results, Path(args.results), Path(args.markdown))
        return 0
    if args.smoke:
        args.customers, args.rates, args.step_seconds, args.final_seconds = 6, "50", 2, 0
        args.final_fraction, args.targets, args.setup_seconds = 0, "chatd", 20
        args.gen_processes = args.gen_processes or 2  # exercises the split and the merge
        args.idle_connections = min(args.idle_connections, 50)
        args.idle_hold_seconds, args.idle_setup_seconds = 0, 20
    args.rates = [float(r) for r in args.rates.split(",")]
    args.msg_bytes = 150
    # The server gets core 0, the generator processes the other cores (one core each, round robin).
    cores = os.cpu_count() or 1
    server_core, gen_cores = (None, [None]) if args.no_pin or cores < 2 else (0, list(range(1, cores)))
    if args.gen_processes <= 0:
        args.gen_processes = len(gen_cores)

    chatd_bin = Path(args.chatd or ROOT / ".build" / "release" / "chatd").resolve()
    TMP.mkdir(parents=True, exist_ok=True)
    if not args.no_idle:
        have = raise_nofile(args.idle_connections + SERVER_FD_MARGIN + 1024)
        if have < args.idle_connections + SERVER_FD_MARGIN:
            log(f"bench: warning: RLIMIT_NOFILE is {have} and cannot be raised here (no CAP_SYS_RESOURCE): "
                f"chatd cannot hold {args.idle_connections} connections; the idle step holds what fits")
    workdir = Path(tempfile.mkdtemp(prefix="run-", dir=TMP))
    targets = [t for t in args.targets.split(",") if t]
    results = {"label": "smoke" if args.smoke else args.label,
               "timestamp": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
               "machine": machine_info(),
               "params": {k: v for k, v in vars(args).items() if k not in ("results", "markdown")},
               "chatd_binary": str(chatd_bin), "notes": []}
    results["params"]["chatd"] = str(chatd_bin)
    summary = {}
    ok = True
    try:
        for name in targets:
            log(f"== {name}: chat workload")
            if name == "chatd":
                t = ChatdTarget(chatd_bin, workdir / "chatd", (args.customers + 2) // 3, args.customers, server_core)
                t.seed()
                t.start()
            elif name == "node":
                env = dict(os.environ, NODE_PATH="/usr/share/nodejs")
                t = RelayTarget("node", ["node", str(RELAY_NODE), "0"], workdir / "node", server_core, env=env).start()
            elif name == "lws":
                t = RelayTarget("lws", [str(RELAY_LWS), "0"], workdir / "lws", server_core).start()
            else:
                raise SystemExit(f"unknown target {name}")
            try:
                res = run_chat(t, args, workdir, gen_cores)
            finally:
                t.stop()
            results[name] = res
            summary[name] = summarize(name, res)
            log(f"   {name}: {json.dumps(summary[name])}")
        if args.paired_rounds > 0 and not args.smoke and {"chatd", "lws"} <= set(targets):
            results["paired_cpu"] = run_paired(args, chatd_bin, workdir, server_core, gen_cores)
        if not args.no_idle:
            log(f"== chatd: {args.idle_connections} idle connections")
            t = ChatdTarget(chatd_bin, workdir / "chatd-idle", 0, 0, server_core)
            t.seed()
            t.start()
            try:
                results["idle_memory"] = run_idle(t, args.idle_connections, args, workdir, gen_cores)
            finally:
                t.stop()
            log(f"   idle: {json.dumps(results['idle_memory'])}")
    finally:
        stop_all()

    results["summary"] = summary
    results["machine"]["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    c = summary.get("chatd", {})
    def ratio(other):
        a, b = c.get("delivered_per_s"), summary.get(other, {}).get("delivered_per_s")
        return round(a / b, 3) if a and b else None
    results["ratio_vs_node"], results["ratio_vs_lws"] = ratio("node"), ratio("lws")
    idle = results.get("idle_memory", {})
    grade_targets(results, args.idle_connections)
    for name in targets:
        res = results.get(name, {})
        t = res.get("totals", {})
        errs = t.get("seq_dup", 0) + t.get("seq_gap", 0) + t.get("order_errors", 0)
        if res.get("failed") or not res.get("steps"):
            ok = False
            log(f"!! {name}: the run failed (see {workdir})")
        elif args.smoke and (errs or any(s["lost"] or s["unacked"] or s["error_frames"] for s in res["steps"])):
            ok = False
            log(f"!! {name}: loss/dup/order errors in smoke run: {t}")

    if args.smoke and not args.no_idle and (idle.get("connections_held") != args.idle_connections
                                            or idle.get("pongs_at_end") != args.idle_connections):
        ok = False
        log(f"!! idle: {idle}")
    print_table(results)
    if args.smoke:
        s = results["chatd"]["steps"][0] if results.get("chatd", {}).get("steps") else None
        if s:
            print(f"smoke: chatd {s['delivered']} delivered / {s['sent']} sent, {s['acked']} acked, p99 {s['p99_ms']:.1f} ms, "
                  f"lost {s['lost']}, unacked {s['unacked']}, dup {s['seq_dup']}, gap {s['seq_gap']}, order {s['order_errors']}")
        if ok and s and s["delivered"] == s["sent"] and s["acked"] == s["sent"] and s["sent"] > 0:
            print("smoke: OK")
            shutil.rmtree(workdir, ignore_errors=True)
            return 0
        print(f"smoke: FAILED (work files kept in {workdir})")
        return 1
    results["notes"] += args.note
    results["label_note"] = LABEL_NOTES.get(args.label, f"Labelled **{args.label}**: not a full quiet run; figures are indicative only.")
    write_reports(results, Path(args.results), Path(args.markdown))
    log(f"wrote {args.results} and {args.markdown}; work files in {workdir}")
    return 0 if ok else 1


def print_table(results):
    s = results.get("summary", {})
    print(f"\n{'target':8} {'max msgs/s':>11} {'p99@max':>8} {'p50@50%':>8} {'p99@50%':>8} {'p99.9@50%':>9} "
          f"{'cpu-s/1k':>9} {'gen cpu':>8} {'conn/s':>8} {'errors':>6}")
    for name, v in s.items():
        print(f"{name:8} {fmt(v.get('delivered_per_s')):>11} {fmt(v.get('p99_at_max_ms'), '{:.1f}'):>8} "
              f"{fmt(v.get('p50_ms'), '{:.2f}'):>8} {fmt(v.get('p99_ms'), '{:.2f}'):>8} {fmt(v.get('p999_ms'), '{:.2f}'):>9} "
              f"{fmt(v.get('server_cpu_s_per_1000_at_max'), '{:.3f}'):>9} {fmt(v.get('gen_cpu_at_max'), '{:.0%}'):>8} "
              f"{fmt(v.get('connections_per_s')):>8} {fmt(v.get('loss_dup_order_errors')):>6}")
    if results.get("idle_memory"):
        i = results["idle_memory"]
        print(f"idle: {i.get('connections_held')} of {i.get('connections_requested')} connections held, "
              f"{fmt(i.get('kb_per_connection'), '{:.2f}')} KB each, {fmt(i.get('connections_per_s'))} conn/s, "
              f"{i.get('pongs_at_end')} answered the last ping, server count {i.get('healthz_connections')}")
        if i.get("limited_by"):
            print(f"idle: limited: {i['limited_by']}")
    h = results.get("chatd", {}).get("healthz")
    if h:
        print(f"sqlite: {h.get('commits')} commits, mean batch {h.get('meanBatch')}, largest {h.get('largestBatch')}, "
              f"mean commit {h.get('meanCommitMillis')} ms")
    if results.get("ratio_vs_node") or results.get("ratio_vs_lws"):
        print(f"ratio_vs_node {results.get('ratio_vs_node')}  ratio_vs_lws {results.get('ratio_vs_lws')}")


def _terminate(signum, frame):
    raise SystemExit(128 + signum)  # runs the `finally` blocks that stop every child


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _terminate)
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        stop_all()
        sys.exit(130)

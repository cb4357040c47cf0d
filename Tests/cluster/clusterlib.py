"""A chatd cluster for tests: N nodes (processes) on one PostgreSQL database and one Redis, each with its own data
directory (same deployment secret), on loopback. Built on the e2e harness (chatlib.ChatServer, Client).

Every wait is a bounded wait for a condition; nothing asserts on speed.
"""
from __future__ import annotations

import json
import shutil
import time
import uuid
from pathlib import Path

from chatlib import AGENTS, PASSWORD, SUPERVISOR, ChatServer, Client, new_root
from services import psql

# Short timings so that failover happens within a few seconds in tests (documented defaults are 5 s / 1 s / 4 s).
CLUSTER_TIMINGS = {"leaseSeconds": 2.0, "heartbeatSeconds": 0.25, "nodeTimeoutSeconds": 1.5}


class Cluster:
    """Nodes 1..n of one cluster. `nodes[i]` is a chatlib.ChatServer (start/kill/terminate/login/customer/staff)."""

    def __init__(self, postgres_url: str, redis_url: str, n: int = 3, config: dict | None = None,
                 extra_staff: list[str] = (), organizations: list[tuple[str, str]] = ()):
        self.postgres_url = postgres_url
        self.root = new_root()
        self.name = "t" + uuid.uuid4().hex[:10]      # isolates channels and the lease on a shared Redis
        base = {"storage": {"kind": "postgres", "url": postgres_url}}
        base.update(config or {})
        self.base_config = base
        for sub in ["seed"] + [f"node{i}" for i in range(1, n + 1)]:
            (self.root / sub).mkdir()
        # Seed through the admin CLI of a first data directory (writes PostgreSQL, creates the secret file).
        seed = ChatServer(self.root / "seed", config=base)
        for username in extra_staff:
            seed.admin("create-staff", "--username", username, "--name", username.capitalize(), "--password", PASSWORD)
        for org_id, plan in organizations:
            seed.admin("create-org", "--id", org_id, "--name", org_id.capitalize(), "--plan", plan)
        self.nodes: list[ChatServer] = []
        for number in range(1, n + 1):
            cfg = dict(base)
            cfg["cluster"] = {"node": number, "redisURL": redis_url, "name": self.name, **CLUSTER_TIMINGS}
            self.nodes.append(ChatServer(self.root / f"node{number}", template=seed.data, config=cfg))

    def start(self):
        """Starts node 1 first (it wins the lease), then the others."""
        self.nodes[0].start()
        wait_for_leader(self, timeout=15)
        for node in self.nodes[1:]:
            node.start()
        return self

    def close(self):
        for node in self.nodes:
            for client in node.clients:
                client.close()
            node.kill()
        shutil.rmtree(self.root, ignore_errors=True)

    def sql(self, query: str) -> str:
        return psql(self.postgres_url, query)

    def lease(self) -> tuple[str, int] | None:
        """(holder, generation) of this cluster's engine lease, or None."""
        out = self.sql(f"SELECT holder || ' ' || generation FROM cluster_leases WHERE name = '{self.name}:engine' "
                       "AND expires_at > extract(epoch FROM clock_timestamp())").strip()
        if not out:
            return None
        holder, generation = out.split()
        return holder, int(generation)


def wait_for_leader(cluster: Cluster, timeout: float = 20, not_generation: int | None = None) -> tuple[str, int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lease = cluster.lease()
        if lease and lease[1] != not_generation:
            return lease
        time.sleep(0.1)
    raise AssertionError(f"no leader (other than generation {not_generation}) within {timeout}s")


def connect(node: ChatServer, token: str, timeout: float = 30, available: bool = False) -> Client:
    """Connects to `node` and says hello with `token`, retrying while the cluster has no leader (the node closes
    new WebSockets with 1013 then) or the node is restarting as leader (1012)."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            c = node.client()
            c.token = token
            c.hello(token)
            if available:
                c.set_available()
            return c
        except Exception as error:  # closed by the node, or refused while it restarts
            last = error
            time.sleep(0.2)
    raise AssertionError(f"could not connect to node on port {node.port} within {timeout}s: {last}")


def login(node: ChatServer, username: str, timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    while True:
        try:
            return node.login(username)
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)

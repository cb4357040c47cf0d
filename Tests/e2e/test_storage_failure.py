"""A failed write is never acknowledged (issue 9.1): the data directory on a small tmpfs that fills up.

While the disk is full, nothing is acknowledged or delivered, new writes are refused with `storage_failed`, and
`/healthz` says so; when space returns the server recovers by itself, acknowledges what it kept, and the
transcript is gapless with every acknowledged message in it exactly once, also after a kill -9.
"""
import errno
import os
import shutil
import subprocess
import time

import pytest

from chatlib import http

TEXT = "x" * 3900


@pytest.fixture
def small_disk_server(make_server):
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root (CI runs as root)")
    server = make_server(start=False)
    disk = server.root / "disk"
    disk.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(disk)], check=True)
    try:
        shutil.copytree(server.data, disk / "data")
        server.data = disk / "data"
        server.start()
        yield server, disk
    finally:
        server.kill()
        subprocess.run(["umount", "-l", str(disk)], check=False)


def fill(disk):
    """Fills the filesystem to the last byte; returns the filler's path."""
    filler = disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for size in (1 << 20, 65536, 4096, 512, 1):
            block = b"\0" * size
            while True:
                try:
                    if os.write(fd, block) < size:
                        break
                except OSError as error:
                    assert error.errno == errno.ENOSPC
                    break
    finally:
        os.close(fd)
    return filler


@pytest.mark.sqlite_only(reason="fills the filesystem of the data directory, where only SQLite keeps the database")
def test_a_full_disk_acknowledges_nothing_then_recovers_with_a_gapless_transcript(small_disk_server):
    server, disk = small_disk_server
    ann = server.staff("ann", available=True)
    cust = server.customer("acme", "c1")
    sid = cust.request_chat("r1")["sessionId"]
    ann.expect_event(sid, "joined")
    before = cust.say(sid, "ok-1", "stored before the disk filled")

    filler = fill(disk)
    sent = [f"m-{i}" for i in range(12)]
    for client_id in sent:
        cust.send("send", sessionId=sid, clientId=client_id, text=f"{client_id} {TEXT}")
    # Nothing is acknowledged while the disk is full; the server notices and refuses new writes.
    deadline = time.monotonic() + 10
    status = None
    while time.monotonic() < deadline:
        status, body = http(server.port, "GET", "/healthz")
        if status == 503:
            break
        time.sleep(0.1)
    assert status == 503 and body["status"] == "storage_failing", (status, body)
    cust.drain(0.5)
    acked_early = [f["clientId"] for f in cust.buffer if f.get("type") == "ack" and f["clientId"] in sent]
    assert acked_early == [], "nothing may be acknowledged while nothing can be stored"
    refused = {f["ref"] for f in cust.buffer if f.get("type") == "error" and f.get("code") == "storage_failed"}
    assert refused <= set(sent) and len(refused) < len(sent), "the first messages were kept, later ones refused"
    cust.send("send", sessionId=sid, clientId="late", text="while full")
    cust.expect("error", lambda f: f["code"] == "storage_failed" and f.get("ref") == "late")
    refused.add("late")

    # Space comes back: the server recovers by itself and acknowledges what it kept.
    filler.unlink()
    kept = [c for c in sent if c not in refused]
    acks = {c: cust.expect_ack(c, timeout=15) for c in kept}
    status, body = http(server.port, "GET", "/healthz")
    assert status == 200 and body["status"] == "ok"
    # What was refused is resent safely (same client ids) and stored once.
    for client_id in sorted(refused):
        acks[client_id] = cust.say(sid, client_id, f"{client_id} again")

    def check(transcript):
        events = transcript["events"]
        assert [e["seq"] for e in events] == list(range(1, len(events) + 1)), "gapless"
        by_client = {}
        for e in events:
            if e.get("clientId"):
                by_client.setdefault(e["clientId"], []).append(e)
        for client_id, ack in list(acks.items()) + [("ok-1", before)]:
            assert [e["seq"] for e in by_client[client_id]] == [ack["seq"]], client_id
            # Stored as last sent (what was refused was not stored), at the acknowledged time.
            assert by_client[client_id][0] == cust.own_event(ack), client_id

    check(server.transcript(sid, ann.token))
    server.kill()
    server.start()
    check(server.transcript(sid, server.login("sue")))

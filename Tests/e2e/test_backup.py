"""chatd admin backup and verify: an online copy taken while messages flow holds every message acknowledged
before it started; a server started on the restored copy serves them; verify passes on both."""
import shutil
import threading
import time

import pytest


@pytest.mark.sqlite_only(reason="chatd admin backup/verify copy and check the SQLite file (PostgreSQL is backed up "
                                "with its own tools, docs/OPERATIONS.md)")
def test_backup_under_load_restores_every_acknowledged_message(make_server):
    server = make_server()
    ann = server.staff("ann", available=True)
    cust = server.customer("acme", "c1")
    sid = cust.request_chat("r1")["sessionId"]
    ann.expect_event(sid, "joined")

    acked: list[tuple[float, int]] = []   # (when the ack arrived, seq)
    stop = threading.Event()

    def talk():
        n = 0
        while not stop.is_set():
            n += 1
            ack = cust.say(sid, f"m{n}", f"message {n}")
            acked.append((time.monotonic(), ack["seq"]))

    sender = threading.Thread(target=talk)
    sender.start()
    time.sleep(0.5)
    backup = server.root / "backup.sqlite"
    started = time.monotonic()
    out = server.admin("backup", "--to", str(backup))
    time.sleep(0.3)
    stop.set()
    sender.join(timeout=10)
    assert "backed up to" in out
    before = [seq for at, seq in acked if at < started]
    assert len(before) > 5, "messages were flowing when the backup started"
    assert server.admin("verify") == "ok"

    # Restore into a new data directory and start a server on it.
    restored = make_server(start=False)
    shutil.rmtree(restored.data)
    shutil.copytree(server.data, restored.data, ignore=shutil.ignore_patterns("chat.sqlite*"))
    shutil.copy(backup, restored.data / "chat.sqlite")
    assert restored.admin("verify") == "ok"
    restored.start()
    token = restored.login("sue")
    seqs, after = [], 0
    while True:
        status, body = restored.http("GET", f"/api/transcripts/{sid}?afterSeq={after}&limit=1000", token)
        assert status == 200, body
        seqs += [e["seq"] for e in body["events"]]
        if body["nextAfterSeq"] is None:
            break
        after = body["nextAfterSeq"]
    assert set(before) <= set(seqs), "every message acknowledged before the backup is in it"
    assert seqs == list(range(1, len(seqs) + 1)), "gapless"

    # A second backup to the same file is refused; nothing is overwritten.
    try:
        server.admin("backup", "--to", str(backup))
        raise AssertionError("overwrote a backup")
    except RuntimeError as error:
        assert "already exists" in str(error)


def test_erase_and_export_a_contact_with_the_admin_cli(server):
    import json
    ann = server.staff("ann", available=True)
    cust = server.customer("acme", "c1")
    sid = cust.request_chat("r1", text="my secret zanzibar question")["sessionId"]
    ann.expect_event(sid, "joined")
    ann.say(sid, "a1", "an answer about llamas")
    try:
        server.admin("erase-contact", "--org", "acme", "--contact", "c1")
        raise AssertionError("erased a person with an open chat")
    except RuntimeError as error:
        assert "still open" in str(error)
    cust.send("close", sessionId=sid)
    cust.expect_event(sid, "closed")

    exported = json.loads(server.admin("export-contact", "--org", "acme", "--contact", "c1"))
    assert [c["id"] for c in exported["chats"]] == [sid]
    assert "my secret zanzibar question" in [e["text"] for e in exported["chats"][0]["events"]]

    out = server.admin("erase-contact", "--org", "acme", "--contact", "c1")
    assert "erased contact c1 of acme" in out
    sue = server.login("sue")
    texts = [e.get("text") for e in server.transcript(sid, sue)["events"]]
    assert "my secret zanzibar question" not in texts and "[erased]" in texts
    assert "an answer about llamas" in texts, "the agent's words stay"
    status, body = server.http("GET", "/api/search?q=zanzibar", sue)
    assert status == 200 and body["results"] == []
    if server.database_url is None:   # verify checks the SQLite file (it refuses PostgreSQL: use its own tools)
        assert server.admin("verify") == "ok"
    audit = server.admin("audit", "--action", "contact_erase", "--json")
    assert "acme\\/c1" in audit or "acme/c1" in audit, audit
    assert "contact_export" in server.admin("audit", "--action", "contact_export", "--json")

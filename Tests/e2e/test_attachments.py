"""Attachments through the real server: upload streamed to disk, the `attachment` event on both sides, download
authorized like the transcript (customer, agent, supervisor, another agent, another organization), limits and the
content allow-list (a text file named .png is refused), nothing left on disk by a refusal."""
import copy
import hashlib
import http.client
import json
import struct
import zlib
from urllib.parse import quote

from chatlib import POLICY, wait_for


def png(width: int, height: int) -> bytes:
    """A real (tiny, valid) RGB PNG of the given size."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    raw = b"".join(b"\x00" + b"\x80\x20\x20" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def upload(server, sid, token, data: bytes, name: str, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    h = {"Content-Type": "application/octet-stream"}
    if token:
        h["Authorization"] = f"Bearer {token}"
    h.update(headers or {})
    conn.request("POST", f"/api/transcripts/{sid}/attachments?name={quote(name)}", body=data, headers=h)
    resp = conn.getresponse()
    raw = resp.read()
    conn.close()
    return resp.status, (json.loads(raw) if raw else None)


def download(server, path, token):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    conn.request("GET", path, headers={"Authorization": f"Bearer {token}"} if token else {})
    resp = conn.getresponse()
    raw = resp.read()
    conn.close()
    return resp.status, {k.lower(): v for k, v in resp.getheaders()}, raw


def stored_files(server):
    root = server.data / "attachments"
    if not root.exists():
        return []
    return sorted(p.name for p in root.rglob("*") if p.is_file())


def active_chat(server):
    agent = server.staff("ann", available=True)
    cust = server.customer("acme", "c1")
    sid = cust.request_chat("r1", text="My printer prints nothing")["sessionId"]
    agent.expect_event(sid, "joined")
    cust.expect_event(sid, "joined")
    return agent, cust, sid


def test_upload_reaches_both_sides_and_downloads_obey_the_transcript_rules(server):
    agent, cust, sid = active_chat(server)
    image = png(40, 30)
    status, body = upload(server, sid, cust.token, image, "screen shot.png")
    assert status == 201, body
    event = body["event"]
    assert event["kind"] == "attachment" and event["author"]["role"] == "customer"
    file = event["attachment"]
    assert file["name"] == "screen shot.png" and file["size"] == len(image) and file["type"] == "image/png"
    assert (file["width"], file["height"]) == (40, 30)
    assert file["id"] == f"{sid}-{event['seq']}" and file["url"] == f"/api/attachments/{sid}-{event['seq']}"
    # 201 means committed: both sides get the event (the uploader's own connection too).
    assert agent.expect_event(sid, "attachment")["attachment"]["id"] == file["id"]
    assert cust.expect_event(sid, "attachment")["seq"] == event["seq"]
    sha = hashlib.sha256(image).hexdigest()
    assert (server.data / "attachments" / sha[:2] / sha[2:4] / sha).read_bytes() == image

    # Who may download: exactly who may read the transcript.
    for token in (cust.token, agent.token, server.login("sue")):
        status, headers, raw = download(server, file["url"], token)
        assert status == 200 and raw == image
        assert headers["content-type"] == "image/png" and headers["x-content-type-options"] == "nosniff"
        assert headers["content-disposition"].startswith("inline;") and "screen shot.png" in headers["content-disposition"]
    for token in (server.token("globex", "g1"), server.token("acme", "c2"), server.login("bob")):
        status, _, raw = download(server, file["url"], token)
        assert status == 404, (status, raw)
    assert download(server, file["url"], None)[0] == 401
    assert download(server, f"/api/attachments/{sid}-1", agent.token)[0] == 404  # an event without a file
    assert download(server, "/api/attachments/nonsense", agent.token)[0] == 404

    # The agent attaches a PDF: a download, not inline; the transcript lists both.
    status, body = upload(server, sid, agent.token, PDF, "invoice.pdf")
    assert status == 201, body
    assert cust.expect_event(sid, "attachment")["attachment"]["type"] == "application/pdf"
    status, headers, raw = download(server, body["event"]["attachment"]["url"], cust.token)
    assert status == 200 and raw == PDF and headers["content-disposition"].startswith("attachment;")
    names = [e["attachment"]["name"] for e in server.transcript(sid, cust.token)["events"] if e["kind"] == "attachment"]
    assert names == ["screen shot.png", "invoice.pdf"]


def test_text_logs_are_allowed_and_fakes_and_binaries_are_refused_with_nothing_left(server):
    agent, cust, sid = active_chat(server)
    status, body = upload(server, sid, cust.token, "2026-11-30 error: spooler stopped ✓\n".encode() * 50, "spool.log")
    assert status == 201 and body["event"]["attachment"]["type"].startswith("text/plain")
    before = stored_files(server)
    # Text named .png: refused by content, whatever the name says.
    status, body = upload(server, sid, cust.token, b"this is not a picture\n", "cat.png")
    assert status == 415 and body["error"]["code"] == "unsupported_attachment"
    # Binary that is nothing on the list (an executable), and text with a NUL.
    status, body = upload(server, sid, cust.token, b"\x7fELF\x02\x01\x01" + bytes(range(256)), "tool")
    assert status == 415
    status, body = upload(server, sid, cust.token, b"abc\x00def", "log.txt")
    assert status == 415
    assert stored_files(server) == before
    wait_for(lambda: not any((server.data / "attachments" / "incoming").iterdir()), what="no temporary files")


def test_oversized_uploads_are_refused_and_nothing_stays_on_disk(make_server):
    policy = copy.deepcopy(POLICY)
    policy.setdefault("chat", {})["maxAttachmentBytes"] = 64 * 1024
    server = make_server(policy=policy)
    agent, cust, sid = active_chat(server)
    status, body = upload(server, sid, cust.token, b"A" * (64 * 1024 + 1), "big.log")
    assert status == 413 and body["error"]["code"] == "payload_too_large"
    status, body = upload(server, sid, cust.token, b"A" * (64 * 1024), "exact.log")
    assert status == 201, body
    assert stored_files(server) == [hashlib.sha256(b"A" * (64 * 1024)).hexdigest()]
    cust.drain()
    assert all(e["kind"] != "attachment" or e["attachment"]["name"] == "exact.log" for e in cust.events(sid))


def test_default_limit_is_ten_megabytes(server):
    agent, cust, sid = active_chat(server)
    status, body = upload(server, sid, cust.token, b"B" * (10 * 1024 * 1024 + 1), "huge.log")
    assert status == 413, body
    assert stored_files(server) == []


def test_only_the_chats_writers_may_attach(server):
    agent, cust, sid = active_chat(server)
    image = png(8, 8)
    # Another customer of the same organization, another agent, another organization, no token.
    for token, code in ((server.token("acme", "c2"), 403), (server.login("bob"), 403),
                        (server.token("globex", "g1"), 403), (None, 401)):
        status, body = upload(server, sid, token, image, "x.png")
        assert status == code, (status, body)
    assert stored_files(server) == []
    # A supervisor barging in may, as for messages.
    status, body = upload(server, sid, server.login("sue"), image, "from-sue.png")
    assert status == 201 and body["event"]["author"]["role"] == "supervisor"
    # Not into a closed chat.
    agent.send("close", sessionId=sid)
    cust.expect_event(sid, "closed")
    status, body = upload(server, sid, cust.token, png(9, 9), "late.png")
    assert status == 409 and body["error"]["code"] == "session_closed"
    assert len(stored_files(server)) == 1


def test_an_upload_cut_off_midway_leaves_nothing_and_the_server_goes_on(server):
    import socket
    import time
    agent, cust, sid = active_chat(server)
    s = socket.create_connection(("127.0.0.1", server.port))
    body = b"C" * 300_000
    s.sendall((f"POST /api/transcripts/{sid}/attachments?name=cut.log HTTP/1.1\r\nHost: x\r\n"
               f"Authorization: Bearer {cust.token}\r\nContent-Length: {len(body) * 2}\r\n\r\n").encode() + body)
    incoming = server.data / "attachments" / "incoming"
    wait_for(lambda: incoming.exists() and any(incoming.iterdir()), what="the partial file exists while uploading")
    time.sleep(0.2)
    s.close()
    wait_for(lambda: not any(incoming.iterdir()), what="the partial file is deleted")
    assert stored_files(server) == []
    status, body = upload(server, sid, cust.token, b"after\n", "after.log")
    assert status == 201
    assert cust.expect_event(sid, "attachment")["attachment"]["name"] == "after.log"

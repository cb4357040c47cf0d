"""The supervisor's transcript tools through the real server: names instead of ids, the reader's header, keyset
paging with totals, organization suggestions, exports (text, JSON, print HTML, streamed CSV) and the audit log."""
import csv
import http.client
import io
import json
import subprocess

from chatlib import DatabaseError, wait_for


def raw_get(server, path, token):
    """(status, headers, body bytes, chunked) of a GET, reading the raw response."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=20)
    conn.request("GET", path, headers={"Authorization": f"Bearer {token}"})
    resp = conn.getresponse()
    body = resp.read()
    chunked = resp.chunked if hasattr(resp, "chunked") else None
    headers = {k.lower(): v for k, v in resp.getheaders()}
    conn.close()
    return resp.status, headers, body, chunked


def served_chat(server, org="acme", contact="c1", agent="ann", lines=2, subject="Paper stocks", close=True):
    """A chat answered by `agent`, with `lines` messages from each side; returns its session id."""
    staff = server.staff(agent, available=True)
    customer = server.customer(org, contact, name=f"Cust {contact}")
    sid = customer.request_chat(f"r-{contact}-{subject}", text="Hello there", subject=subject)["sessionId"]
    customer.expect_event(sid, "joined", timeout=10)
    for i in range(lines):
        customer.say(sid, f"c{i}", f"customer line {i}")
        staff.say(sid, f"a{i}", f"agent line {i}")
    if close:
        staff.send("close", sessionId=sid)
        customer.expect_event(sid, "closed", timeout=10)
    staff.send("set_status", status="offline")
    return sid


def test_reader_shows_names_header_and_pages(server):
    sid = served_chat(server, lines=6)
    sue = server.login("sue")
    status, body = server.http("GET", f"/api/transcripts/{sid}?limit=5", sue)
    assert status == 200
    s = body["session"]
    assert s["organizationName"] == "Acme" and s["productName"] == "Pressero"
    summary = body["summary"]
    assert summary["organizationName"] == "Acme" and summary["outcome"] == "closed"
    assert [a["name"] for a in summary["agents"]] == ["Ann"]
    assert summary["waitSeconds"] is not None and summary["durationSeconds"] is not None
    assert "csat" not in summary  # not stored yet: not shown
    seqs = [e["seq"] for e in body["events"]]
    assert seqs == [1, 2, 3, 4, 5] and body["nextAfterSeq"] == 5
    # Later pages: no summary, names still there.
    status, page2 = server.http("GET", f"/api/transcripts/{sid}?afterSeq=5&limit=500", sue)
    assert status == 200 and "summary" not in page2 and page2["session"]["organizationName"] == "Acme"
    assert page2["events"][0]["seq"] == 6 and page2["nextAfterSeq"] is None
    assert page2["events"][-1]["kind"] == "closed"


def test_listing_keyset_pages_total_and_names(server):
    ann = server.staff("ann", available=True)
    sids = []
    for i in range(5):
        c = server.customer("globex", f"g{i}")
        sids.append(c.request_chat(f"r{i}")["sessionId"])
        c.expect_event(sids[-1], "joined", timeout=10)
        ann.send("close", sessionId=sids[-1])
        c.expect_event(sids[-1], "closed", timeout=10)
    sue = server.login("sue")
    seen, cursor, pages = [], None, 0
    while True:
        path = "/api/transcripts?organization=globex&limit=2" + (f"&cursor={cursor}" if cursor else "")
        status, body = server.http("GET", path, sue)
        assert status == 200, body
        assert body["total"] == (5 if pages == 0 else None)  # counted on the first page only
        assert all(t["organizationName"] == "Globex" and t["productName"] == "Pressero" for t in body["transcripts"])
        seen += [t["id"] for t in body["transcripts"]]
        pages += 1
        # A chat arriving between pages does not shift the pages (keyset, not offset).
        if pages == 1:
            newcomer = server.customer("globex", "late")
            newcomer.request_chat("late")
        cursor = body["nextCursor"]
        if cursor is None:
            break
    assert seen == sorted(sids, reverse=True)
    status, body = server.http("GET", "/api/transcripts?cursor=nonsense", sue)
    assert status == 400 and body["error"]["field"] == "cursor"
    status, body = server.http("GET", f"/api/transcripts?cursor=1_1&offset=2", sue)
    assert status == 400 and body["error"]["field"] == "cursor"
    # Offset paging still answers (older clients).
    status, body = server.http("GET", "/api/transcripts?organization=globex&limit=2&offset=2", sue)
    assert status == 200 and len(body["transcripts"]) == 2


def test_organization_suggestions_by_name_staff_only(server):
    ann = server.login("ann")
    status, body = server.http("GET", "/api/organizations?prefix=gl", ann)
    assert status == 200 and body["organizations"] == [{"id": "globex", "name": "Globex"}]
    status, body = server.http("GET", "/api/organizations?prefix=ACM", ann)
    assert status == 200 and [o["id"] for o in body["organizations"]] == ["acme"]
    status, body = server.http("GET", "/api/organizations?prefix=%25", ann)  # a literal %, not a wildcard
    assert status == 200 and body["organizations"] == []
    status, body = server.http("GET", "/api/organizations?limit=2", ann)
    assert status == 200 and len(body["organizations"]) == 2
    status, body = server.http("GET", "/api/organizations?prefix=a", server.token("acme", "c1"))
    assert status == 403 and body["error"]["code"] == "forbidden"
    status, body = server.http("GET", "/api/organizations?limit=0", ann)
    assert status == 400 and body["error"]["field"] == "limit"


def test_exports_of_one_transcript(server):
    sid = served_chat(server, lines=1, subject="Export me")
    sue = server.login("sue")
    status, headers, body, chunked = raw_get(server, f"/api/transcripts/{sid}/export?format=text", sue)
    assert status == 200 and chunked and headers["content-type"].startswith("text/plain")
    assert f'filename="chat-{sid}.txt"' in headers["content-disposition"]
    text = body.decode()
    assert text.startswith(f"Transcript of chat {sid}: Export me")
    assert "Organization: Acme (acme)" in text and "Product: Pressero" in text and "Agents: Ann" in text
    assert "Ann (agent): agent line 0" in text and "Cust c1 (customer): customer line 0" in text
    assert text.rstrip().endswith("end of transcript —")

    status, headers, body, _ = raw_get(server, f"/api/transcripts/{sid}/export?format=json", sue)
    doc = json.loads(body)
    assert status == 200 and doc["session"]["id"] == sid and doc["summary"]["organizationName"] == "Acme"
    assert [e["seq"] for e in doc["events"]] == list(range(1, len(doc["events"]) + 1))
    assert doc["events"][-1]["kind"] == "closed"

    status, headers, body, _ = raw_get(server, f"/api/transcripts/{sid}/export?format=html", sue)
    html = body.decode()
    assert status == 200 and headers["content-type"].startswith("text/html")
    assert "script-src" not in headers["content-security-policy"] and "default-src 'none'" in headers["content-security-policy"]
    assert "<script" not in html and '/css/transcript-print.css' in html and "<dt>Organization</dt><dd>Acme (acme)</dd>" in html

    status, _, body, _ = raw_get(server, f"/api/transcripts/{sid}/export?format=pdf", sue)
    assert status == 400 and json.loads(body)["error"]["field"] == "format"
    # Customers do not export; agents only what they may read.
    status, _, body, _ = raw_get(server, f"/api/transcripts/{sid}/export", server.token("acme", "c1"))
    assert status == 403
    status, _, body, _ = raw_get(server, f"/api/transcripts/{sid}/export", server.login("bob"))
    assert status == 403
    status, _, body, _ = raw_get(server, f"/api/transcripts/{sid}/export", server.login("ann"))
    assert status == 200
    status, _, body, _ = raw_get(server, "/api/transcripts/999999/export", sue)
    assert status == 404


def test_long_transcript_export_is_streamed_whole(server):
    ann = server.staff("ann", available=True)
    cathy = server.customer("acme", "c1")
    sid = cathy.request_chat("r1")["sessionId"]
    cathy.expect_event(sid, "joined", timeout=10)
    text = "x" * 3000
    for i in range(450):
        cathy.send("send", sessionId=sid, clientId=f"m{i}", text=f"{i} {text}")
    cathy.expect_ack("m449", timeout=30)
    sue = server.login("sue")
    status, headers, body, chunked = raw_get(server, f"/api/transcripts/{sid}/export?format=json", sue)
    assert status == 200 and chunked
    doc = json.loads(body)
    messages = [e for e in doc["events"] if e["kind"] == "message"]
    assert len(messages) == 450 and messages[-1]["text"].startswith("449 ")
    assert len(body) > 1_300_000


def test_csv_export_streams_every_row_of_the_filter(server):
    ann = server.staff("ann", available=True)
    sids = []
    for i in range(230):  # more than one page of the export (200 rows)
        c = server.customer("globex", "g1", name='Gus "G", =1+1')  # one contact: the plan caps contacts
        sids.append(c.request_chat(f"r{i}")["sessionId"])
        c.expect_event(sids[-1], "joined", timeout=10)
        ann.send("close", sessionId=sids[-1])
        c.expect_event(sids[-1], "closed", timeout=10)
        c.close()
    server.customer("acme", "c1").request_chat("other")
    sue = server.login("sue")
    status, headers, body, chunked = raw_get(server, "/api/transcripts/export.csv?organization=globex&limit=5", sue)
    assert status == 200 and chunked and headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(body.decode())))
    assert [int(r["id"]) for r in rows] == sorted(sids, reverse=True)
    assert rows[0]["organization_name"] == "Globex" and rows[0]["outcome"] == "closed" and rows[0]["agent"] == "Ann"
    assert rows[-1]["customer_name"] == 'Gus "G", =1+1'
    # Agents export only their own chats; customers not at all.
    status, _, body, _ = raw_get(server, "/api/transcripts/export.csv", server.login("bob"))
    assert status == 200 and body.decode().count("\r\n") == 1  # just the header
    status, _, body, _ = raw_get(server, "/api/transcripts/export.csv", server.token("acme", "c1"))
    assert status == 403


def test_audit_records_reads_lists_and_exports_for_supervisors_only(server):
    sid = served_chat(server, lines=1)
    sue, ann = server.login("sue"), server.login("ann")
    assert server.http("GET", "/api/transcripts?organization=acme", ann)[0] == 200
    assert server.http("GET", f"/api/transcripts/{sid}", ann)[0] == 200
    assert raw_get(server, f"/api/transcripts/{sid}/export?format=html", sue)[0] == 200
    assert raw_get(server, "/api/transcripts/export.csv?outcome=closed", sue)[0] == 200
    # Customers reading their own chat are not audited.
    assert server.http("GET", f"/api/transcripts/{sid}", server.token("acme", "c1"))[0] == 200

    status, body = server.http("GET", "/api/audit", sue)
    assert status == 200
    assert body["entries"][0]["action"] == "audit_read"  # recorded before the page is read
    entries = [e for e in body["entries"] if e["action"] != "audit_read"]
    actions = [(e["action"], e["staff"]["name"], e["target"]) for e in entries]
    assert actions[:4] == [("list_export", "Sue", None), ("transcript_export", "Sue", str(sid)),
                           ("transcript_read", "Ann", str(sid)), ("transcript_list", "Ann", None)]
    assert entries[1]["detail"] == "format=html" and entries[3]["detail"] == "organization=acme"
    assert all(e["address"] == "127.0.0.1" for e in entries)
    assert all(e["staff"]["role"] in ("agent", "supervisor") for e in entries)
    # Filters: staff, action, dates; keyset paging.
    ann_id = [e for e in entries if e["staff"]["name"] == "Ann"][0]["staff"]["id"]
    status, body = server.http("GET", f"/api/audit?staff={ann_id}", sue)
    assert {e["staff"]["name"] for e in body["entries"]} == {"Ann"}
    assert [e["action"] for e in body["entries"]] == ["transcript_read", "transcript_list"]
    status, body = server.http("GET", "/api/audit?action=transcript_export", sue)
    assert [e["target"] for e in body["entries"]] == [str(sid)]
    status, body = server.http("GET", "/api/audit?from=2001-01-01&to=2001-01-02", sue)
    assert body["entries"] == []
    status, body = server.http("GET", "/api/audit?limit=1", sue)
    assert len(body["entries"]) == 1 and body["nextBefore"] is not None
    status, older = server.http("GET", f"/api/audit?limit=1&before={body['nextBefore']}", sue)
    assert older["entries"][0]["id"] < body["entries"][0]["id"]
    # Reading the audit is audited too; only supervisors may.
    status, body = server.http("GET", "/api/audit?action=audit_read", sue)
    assert len(body["entries"]) >= 5
    assert server.http("GET", "/api/audit", ann)[0] == 403
    assert server.http("GET", "/api/audit", server.token("acme", "c1"))[0] == 403
    assert server.http("GET", "/api/audit?action=nope", sue)[1]["error"]["field"] == "action"

    # The admin CLI prints the same log, and the table is append-only.
    out = server.admin("audit", "--action", "transcript_read")
    lines = out.strip().splitlines()
    assert lines[0].startswith("id\tat\tstaff") and len(lines) == 2 and f"\ttranscript_read\t{sid}\t" in lines[1]
    out = server.admin("audit", "--staff", "ann", "--json")
    assert {json.loads(line)["staffName"] for line in out.strip().splitlines()} == {"Ann"}
    for sql in ("DELETE FROM audit_log", "UPDATE audit_log SET staff_name = 'x'"):
        try:
            server.execute(sql)
        except DatabaseError as error:
            assert "append-only" in str(error)
        else:
            raise AssertionError(f"{sql} was allowed")


def test_searches_are_audited_and_do_not_take_the_listing_cursor(server):
    served_chat(server, lines=1)
    sue = server.login("sue")
    status, body = server.http("GET", "/api/search?q=agent&organization=acme", sue)
    assert status == 200, body
    status, body = server.http("GET", "/api/audit?action=transcript_search", sue)
    assert [(e["staff"]["name"], e["detail"]) for e in body["entries"]] == [("Sue", "organization=acme&q=agent")]
    status, body = server.http("GET", "/api/search?q=agent&cursor=1_1", sue)
    assert status == 400 and body["error"]["field"] == "cursor"

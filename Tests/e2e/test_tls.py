"""chatd serving HTTPS and WSS itself (tlsCertificate, tlsPrivateKey): the e2e client checks the certificate
against a throwaway CA; a chat works end to end; plain HTTP on the TLS port gets nothing; SIGHUP reloads a
renewed certificate for new connections while an open chat continues."""
import signal
import socket
import ssl
import time
from pathlib import Path

import pytest

from chatlib import wait_for
from rawws import check_unmasked_ping_refused, frame, handshake, read_until_close
from tlslib import make_certificates


def served_certificate(port: int, context: ssl.SSLContext) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
        with context.wrap_socket(raw, server_hostname="localhost") as tls:
            return tls.getpeercert(binary_form=True)


@pytest.fixture
def tls_server(make_server, tmp_path):
    ca, cert, key = make_certificates(tmp_path, "first")
    live_cert, live_key = tmp_path / "server.pem", tmp_path / "server.key"
    live_cert.write_bytes(cert.read_bytes())
    live_key.write_bytes(key.read_bytes())
    server = make_server(config={"tlsCertificate": str(live_cert), "tlsPrivateKey": str(live_key)}, start=False)
    server.tls = ssl.create_default_context(cafile=str(ca))
    server.start()
    server.tls_files = (tmp_path, ca, live_cert, live_key)
    return server


def test_a_chat_over_wss_with_the_certificate_checked(tls_server):
    server = tls_server
    status, body = server.http("GET", "/healthz")
    assert status == 200 and body["status"] == "ok"
    ann = server.staff("ann", available=True)
    cust = server.customer("acme", "c1")
    sid = cust.request_chat("r1")["sessionId"]
    ann.expect_event(sid, "joined")
    cust.say(sid, "m1", "hello over TLS")
    assert ann.expect_event(sid, "message")["text"] == "hello over TLS"

    # Nobody gets in without TLS, and a client that does not trust the CA is refused by its own check.
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as raw:
        raw.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        raw.settimeout(3)
        try:
            answer = raw.recv(100)
        except (ConnectionResetError, socket.timeout):
            answer = b""
        assert not answer.startswith(b"HTTP/1.1 200"), answer
    with pytest.raises(ssl.SSLCertVerificationError):
        served_certificate(server.port, ssl.create_default_context())


def test_sighup_reloads_a_renewed_certificate_and_open_chats_continue(tls_server):
    server = tls_server
    directory, ca, live_cert, live_key = server.tls_files
    ann = server.staff("ann", available=True)
    cust = server.customer("acme", "c1")
    sid = cust.request_chat("r1")["sessionId"]
    ann.expect_event(sid, "joined")
    before = served_certificate(server.port, server.tls)

    _, renewed, renewed_key = make_certificates(directory, "second", ca=(ca, directory / "ca.key"))
    live_cert.write_bytes(renewed.read_bytes())
    live_key.write_bytes(renewed_key.read_bytes())
    server.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: served_certificate(server.port, server.tls) != before, what="the renewed certificate served")
    assert served_certificate(server.port, server.tls) == ssl.PEM_cert_to_DER_cert(renewed.read_text())

    # The chat opened before the reload goes on over its connection.
    cust.say(sid, "m2", "still here after the reload")
    assert ann.expect_event(sid, "message")["text"] == "still here after the reload"
    assert "TLS certificate reloaded" in server.stderr_path.read_text()


def test_an_unmasked_frame_over_wss_closes_with_1002(tls_server):
    """The mask check (RFC 6455 §5.1) holds when chatd does TLS itself: it looks at the bytes after decryption."""
    server = tls_server
    check_unmasked_ping_refused(server.port, tls=server.tls)
    # An unmasked control frame sent with the upgrade request, in the same TLS record, is refused too.
    s = handshake(server.port, early=frame(b"", opcode=9, masked=False), tls=server.tls)
    assert read_until_close(s)[:2] == (1002, "unmasked frame")
    s.close()
    status, body = server.http("GET", "/healthz")
    assert (status, body) == (200, {"status": "ok"})

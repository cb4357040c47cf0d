"""A chat through nginx (Debian package) terminating TLS and proxying the WebSocket upgrade to chatd, with the
configuration of docs/deploy/nginx-chatd.conf adapted to loopback ports and a throwaway CA."""
import os
import shutil
import socket
import ssl
import subprocess
import time
from pathlib import Path

import pytest

from chatlib import Client, http
from tlslib import make_certificates

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def nginx(server, tmp_path):
    binary = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("nginx is not installed (Scripts/install-deps --browser installs it)")
        pytest.skip("nginx is not installed (Scripts/install-deps --browser installs it)")
    ca, cert, key = make_certificates(tmp_path, "proxy")
    port = free_port()
    example = (REPO / "docs/deploy/nginx-chatd.conf").read_text()
    # The deployment example, pointed at this test's chatd, certificate and a loopback port; the port-80 redirect
    # server is left out.
    site = example.replace("127.0.0.1:8080", f"127.0.0.1:{server.port}")
    site = site.replace("listen 443 ssl;", f"listen 127.0.0.1:{port} ssl;")
    site = site.replace("/etc/letsencrypt/live/chat.example.com/fullchain.pem", str(cert))
    site = site.replace("/etc/letsencrypt/live/chat.example.com/privkey.pem", str(key))
    start = site.index("server {\n    listen 80;")
    end = site.index("}\n", start) + 2
    site = site[:start] + site[end:]
    for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (tmp_path / name).mkdir()
    (tmp_path / "nginx.conf").write_text(f"""
daemon off;
master_process off;
pid {tmp_path}/nginx.pid;
error_log {tmp_path}/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {tmp_path}/client_body;
    proxy_temp_path {tmp_path}/proxy;
    fastcgi_temp_path {tmp_path}/fastcgi;
    uwsgi_temp_path {tmp_path}/uwsgi;
    scgi_temp_path {tmp_path}/scgi;
{site}
}}
""")
    process = subprocess.Popen([binary, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
                               stderr=subprocess.PIPE)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    else:
        process.kill()
        _, stderr = process.communicate(timeout=5)
        log = (tmp_path / "error.log").read_text() if (tmp_path / "error.log").exists() else ""
        raise RuntimeError(f"nginx did not start: {stderr.decode()} {log}")
    yield port, ssl.create_default_context(cafile=str(ca))
    process.terminate()
    process.wait(timeout=10)


def test_a_chat_through_nginx_over_wss(server, nginx):
    port, context = nginx
    status, body = http(port, "GET", "/healthz", tls=context)
    assert status == 200 and body["status"] == "ok"

    def client(token):
        c = Client(f"wss://localhost:{port}/ws", ssl=context)
        server.clients.append(c)
        c.token = token
        c.hello(token)
        return c

    ann = client(server.login("ann"))
    ann.set_available()
    cust = client(server.token("acme", "c1"))
    sid = cust.request_chat("r1")["sessionId"]
    ann.expect_event(sid, "joined")
    cust.say(sid, "m1", "hello through the proxy")
    assert ann.expect_event(sid, "message")["text"] == "hello through the proxy"
    ann.say(sid, "a1", "and back")
    assert cust.expect_event(sid, "message")["text"] == "and back"

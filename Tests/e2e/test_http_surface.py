"""Hardening (issue 9, items 9 and 10): static pages' security headers, the web root's boundaries, and pipelined
HTTP requests, through the real server with plain sockets and http.client."""
import http.client
import os
import shutil
import socket

import pytest
from chatlib import REPO_ROOT

WIDGET_ORIGIN = "https://admin.example.com"


@pytest.fixture
def web_server(make_server, tmp_path):
    """chatd serving a copy of the WebClient with traps planted: dotfiles and symlinks leading out of the root."""
    root = tmp_path / "web"
    shutil.copytree(REPO_ROOT / "WebClient", root)
    (root / ".env").write_text("SECRET=1\n")
    (root / ".git").mkdir()
    (root / ".git" / "config").write_text("[core]\n")
    (root / "js" / ".hidden.js").write_text("export {};\n")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("outside the web root\n")
    os.symlink(outside / "secret.txt", root / "leak.txt")
    os.symlink("../../outside/secret.txt", root / "js" / "leak.js")
    os.symlink(outside, root / "outdir")
    os.symlink("js", root / "scripts")  # a symlink that stays inside the root is fine
    return make_server({"webRoot": str(root), "widgetFrameAncestors": [WIDGET_ORIGIN]})


def get(server, path, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    conn.request("GET", path, headers=headers or {})
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response, body


def csp_directives(response):
    policy = response.getheader("Content-Security-Policy")
    assert policy, "no Content-Security-Policy"
    return {part.split()[0]: part.split()[1:] for part in (p.strip() for p in policy.split(";")) if part}


@pytest.mark.parametrize("path", ["/", "/console/", "/supervisor/", "/console/console.js", "/css/console.css"])
def test_staff_pages_forbid_framing_and_allow_only_same_origin_code(web_server, path):
    response, _ = get(web_server, path)
    assert response.status == 200
    csp = csp_directives(response)
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["script-src"] == ["'self'"] and csp["style-src"] == ["'self'"]
    assert csp["default-src"] == ["'self'"] and csp["object-src"] == ["'none'"]
    assert response.getheader("X-Frame-Options") == "DENY"
    assert response.getheader("X-Content-Type-Options") == "nosniff"
    assert response.getheader("Referrer-Policy") == "no-referrer"


@pytest.mark.parametrize("path", ["/demo/", "/widget/widget.js"])
def test_widget_pages_may_be_framed_by_configured_origins(web_server, path):
    response, _ = get(web_server, path)
    assert response.status == 200
    csp = csp_directives(response)
    assert csp["frame-ancestors"] == ["'self'", WIDGET_ORIGIN]
    assert csp["script-src"] == ["'self'"]
    assert response.getheader("X-Frame-Options") is None  # cannot list origins; CSP decides
    assert response.getheader("X-Content-Type-Options") == "nosniff"


def test_widget_framing_defaults_to_same_origin(make_server):
    server = make_server({"webRoot": str(REPO_ROOT / "WebClient")})
    response, _ = get(server, "/demo/")
    assert csp_directives(response)["frame-ancestors"] == ["'self'"]
    assert response.getheader("X-Frame-Options") == "SAMEORIGIN"


def test_pages_have_no_inline_scripts_or_styles():
    """The CSP has no 'unsafe-inline': every page must load its code and styles from files."""
    for page in (REPO_ROOT / "WebClient").rglob("*.html"):
        html = page.read_text()
        assert "<style" not in html and " style=" not in html, page
        for chunk in html.split("<script")[1:]:
            assert "src=" in chunk.split(">")[0], f"inline script in {page}"


def test_json_api_answers_are_nosniff(web_server):
    for path in ["/healthz", "/api/me", "/api/nothing"]:
        response, _ = get(web_server, path)
        assert response.getheader("Content-Type").startswith("application/json"), path
        assert response.getheader("X-Content-Type-Options") == "nosniff", path


@pytest.mark.parametrize("path", ["/.env", "/.git/config", "/js/.hidden.js", "/leak.txt", "/js/leak.js",
                                  "/outdir/secret.txt", "/missing.js"])
def test_dotfiles_and_symlinks_out_of_the_root_are_not_found(web_server, path):
    response, body = get(web_server, path)
    assert response.status == 404, path
    assert b"outside the web root" not in body and b"SECRET" not in body


def test_dot_dot_in_a_raw_request_does_not_leave_the_root(web_server):
    for target in ["/js/../../outside/secret.txt", "/%2e%2e/outside/secret.txt", "/js/%2e%2e/.env"]:
        data = raw_exchange(web_server.port, f"GET {target} HTTP/1.1\r\nHost: x\r\n\r\n")
        assert b"outside the web root" not in data and b"SECRET" not in data, target


def test_symlink_inside_the_root_and_folder_redirect(web_server):
    response, body = get(web_server, "/scripts/dom.js")
    assert response.status == 200 and b"export function el" in body
    response, _ = get(web_server, "/console")
    assert response.status == 301 and response.getheader("Location") == "/console/"


def raw_exchange(port, data: str, timeout: float = 5) -> bytes:
    """Sends `data` in one write and reads until the server closes the connection."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data.encode())
        received = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return received
            received += chunk


def responses(data: bytes) -> list[bytes]:
    return [line for line in data.split(b"\r\n") if line.startswith(b"HTTP/1.1 ")]


@pytest.mark.parametrize("path", ["/healthz", "/js/dom.js"])
def test_pipelined_requests_get_one_answer_and_a_clean_close(web_server, path):
    """Three requests in one write: the first is answered with Connection: close and the connection ends (no stall,
    no 403); the client resends the others on new connections, which are answered the same way."""
    data = raw_exchange(web_server.port, f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n" * 3)
    assert responses(data) == [b"HTTP/1.1 200 OK"]
    assert b"\r\nconnection: close\r\n" in data.lower()
    for _ in range(2):
        again = raw_exchange(web_server.port, f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n")
        assert responses(again) == [b"HTTP/1.1 200 OK"]


def test_mixed_pipeline_static_after_api(web_server):
    data = raw_exchange(web_server.port, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
                                         "GET /js/dom.js HTTP/1.1\r\nHost: x\r\n\r\n")
    assert responses(data) == [b"HTTP/1.1 200 OK"]
    assert b"403" not in data

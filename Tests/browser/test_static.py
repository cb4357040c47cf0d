"""The server serves the WebClient's ES modules with a JavaScript MIME type (browsers refuse modules otherwise)."""
import urllib.request


def test_modules_are_served_as_javascript(server):
    with urllib.request.urlopen(f"http://127.0.0.1:{server.port}/js/chat-connection.js", timeout=5) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/javascript")
        assert b"export class ChatConnection" in response.read()


def test_pages_run_under_their_content_security_policy(server, browsers):
    """Every page works with the server's CSP (no inline code, same-origin WebSocket): no violation is logged, and
    each page got as far as its live state (the widget connected, the console and supervisor showed their login)."""
    import time

    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver = browsers()
    token = server.token("acme", "csp1")
    pages = {"/console/": "input", "/supervisor/": "input", f"/demo/?token={token}": "textarea, input", "/": "a"}
    for path, selector in pages.items():
        driver.get(f"http://127.0.0.1:{server.port}{path}")
        WebDriverWait(driver, 10).until(lambda d: d.find_elements(By.CSS_SELECTOR, selector))
        time.sleep(0.3)  # let module scripts and the WebSocket settle before reading the log
        violations = [e["message"] for e in driver.get_log("browser") if "Content Security Policy" in e["message"]
                      or "Refused to" in e["message"]]
        assert violations == [], (path, violations)
    # Logged in, the console and supervisor views build the rest of their pages: still no violation.
    from views import open_console, open_supervisor
    for opened in (open_console(browsers(), server), open_supervisor(browsers(), server)):
        time.sleep(0.3)
        violations = [e["message"] for e in opened.get_log("browser") if "Content Security Policy" in e["message"]
                      or "Refused to" in e["message"]]
        assert violations == [], violations
    policy = driver.execute_script(
        "return fetch('/console/').then(r => r.headers.get('content-security-policy'))")
    assert "frame-ancestors 'none'" in policy

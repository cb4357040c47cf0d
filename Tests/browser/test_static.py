"""The server serves the WebClient's ES modules with a JavaScript MIME type (browsers refuse modules otherwise)."""
import urllib.request


def test_modules_are_served_as_javascript(server):
    with urllib.request.urlopen(f"http://127.0.0.1:{server.port}/js/chat-connection.js", timeout=5) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/javascript")
        assert b"export class ChatConnection" in response.read()

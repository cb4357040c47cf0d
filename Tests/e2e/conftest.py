import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from chatlib import CHATD_BIN, ChatServer, new_root  # noqa: E402


@pytest.fixture(scope="session")
def seeded_template():
    """A data directory seeded once with the admin CLI; each server starts from a copy of it."""
    if not CHATD_BIN.exists():
        pytest.exit(f"chatd binary not found at {CHATD_BIN}; run swift build or set CHATD_BIN", returncode=2)
    root = new_root()
    seeder = ChatServer(root)
    yield seeder.data
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def make_server(seeded_template):
    """Factory: make_server(config={...}, policy={...}, start=True) -> a running ChatServer on a fresh copy of the
    seeded data (policy: a whole policy replacing chatlib.POLICY).
    Every server and client made through it is killed/closed at teardown."""
    made = []

    def factory(config=None, start=True, policy=None):
        root = new_root()
        server = ChatServer(root, template=seeded_template, config=config, policy=policy)
        made.append((root, server))
        if start:
            server.start()
        return server

    yield factory
    for root, server in made:
        for c in server.clients:
            c.close()
        server.kill()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def server(make_server):
    return make_server()

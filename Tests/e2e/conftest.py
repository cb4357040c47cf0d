import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from chatlib import ServerFactory, seed_template  # noqa: E402


@pytest.fixture(scope="session")
def seeded_template():
    """A data directory seeded once with the admin CLI; each server starts from a copy of it."""
    try:
        root, data = seed_template()
    except FileNotFoundError as error:
        pytest.exit(str(error), returncode=2)
    yield data
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def make_server(seeded_template):
    """Factory: make_server(config={...}, policy={...}, start=True) -> a running ChatServer on a fresh copy of the
    seeded data (policy: a whole policy replacing chatlib.POLICY).
    Every server and client made through it is killed/closed at teardown."""
    factory = ServerFactory(seeded_template)
    yield factory
    factory.close()


@pytest.fixture
def server(make_server):
    return make_server()

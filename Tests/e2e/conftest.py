import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from chatlib import POSTGRES_URL, ServerFactory, remove_template, seed_template  # noqa: E402


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "sqlite_only(reason): about SQLite files themselves (the database file, its backup, its disk); "
                   "skipped with the reason when the suite runs on PostgreSQL (CHATD_E2E_POSTGRES_URL)")


def pytest_collection_modifyitems(config, items):
    if not POSTGRES_URL:
        return
    for item in items:
        marker = item.get_closest_marker("sqlite_only")
        if marker is not None:
            reason = marker.kwargs.get("reason") or (marker.args[0] if marker.args else "about SQLite files")
            item.add_marker(pytest.mark.skip(reason=f"sqlite_only: {reason}"))


@pytest.fixture(scope="session")
def seeded_template():
    """A data directory seeded once with the admin CLI; each server starts from a copy of it (and, with
    CHATD_E2E_POSTGRES_URL set, from its own clone of the seeded PostgreSQL database)."""
    try:
        root, data = seed_template()
    except FileNotFoundError as error:
        pytest.exit(str(error), returncode=2)
    yield data
    remove_template(root)


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

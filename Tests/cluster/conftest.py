"""Fixtures for the cluster tests: one PostgreSQL and one Redis per session (from Scripts/with-services' environment
when set, else private ones started here), and a fresh empty database per test.

The e2e harness (Tests/e2e/chatlib.py: ServerFactory, ChatServer, seed_template) is importable from here:
`from chatlib import ...`.
"""
import os
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(1, str(HERE.parent / "e2e"))
from services import create_database, drop_database, postgres_server, redis_server  # noqa: E402


@pytest.fixture(scope="session")
def postgres_url():
    """libpq URL of a PostgreSQL server (database chatd, superuser chatd): $CHATD_TEST_POSTGRES_URL if set, else a
    private server for this session. Tests that need their own state should use fresh_database instead."""
    url = os.environ.get("CHATD_TEST_POSTGRES_URL")
    if url:
        yield url
        return
    with postgres_server() as url:
        yield url


@pytest.fixture(scope="session")
def redis_url():
    """redis://127.0.0.1:PORT: $CHATD_TEST_REDIS_URL if set, else a private server for this session."""
    url = os.environ.get("CHATD_TEST_REDIS_URL")
    if url:
        yield url
        return
    with redis_server() as url:
        yield url


@pytest.fixture
def make_database(postgres_url):
    """Factory: make_database(prefix="test") -> URL of a new empty database on the session's server.
    Every database made through it is dropped at teardown."""
    made = []

    def make(prefix="test"):
        url = create_database(postgres_url, prefix)
        made.append(url)
        return url

    yield make
    for url in made:
        drop_database(url)


@pytest.fixture
def fresh_database(make_database):
    """URL of a new empty database for this test alone (dropped afterwards)."""
    return make_database()

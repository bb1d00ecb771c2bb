"""The API fuzzing run (`make fuzz`, run by .ci/run) is its own target: it is collected only
when ISPGEST_FUZZ is set, so `make test` stays the unit suite.

The test database is seeded once per session with a small demo installation (clients,
contracts, invoices, payments, routers, tickets…), so generated requests reach real objects
and not only 404s; each operation runs inside a transaction that is rolled back, so one
operation's writes never leak into the next.
"""

import os

import pytest

collect_ignore = [] if os.environ.get("ISPGEST_FUZZ") else ["test_api_fuzz.py"]

DEMO_CLIENTS = 12


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    from django.core.management import call_command

    with django_db_blocker.unblock():
        call_command("demo_data", clients=DEMO_CLIENTS, seed=7, verbosity=0)


@pytest.fixture(scope="session", autouse=True)
def _keep_the_test_connection():
    """Requests go through the real WSGI handler, whose request_started/request_finished
    signals close "old" connections. Inside a test's transaction that closes the test
    database connection itself on PostgreSQL (SQLite's in-memory database ignores it), and
    every later query fails. Django's own test client disconnects the same receivers."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)

"""Every benchmark module (bench/bench_*.py) runs its `run(ctx)` on a tiny PostgreSQL
database, so a schema or code change that breaks a benchmark fails the suite instead of a
1M-client `make bench` after an hour of set-up.

The database is a copy of the test database (`CREATE DATABASE … TEMPLATE`, migrated already)
filled by `demo_data` with CLIENTS clients and committed (a module's subprocess code reads
it, and VACUUM runs outside a transaction); Django's default connection points at it while
a module runs, and it is dropped at the end. The test database itself is not touched.

Each module's size knob is set tiny (TINY); a module that adds a knob must add it there. To
stay cheap, each timed call runs once, the code a module gives `ctx.subprocess` runs in this
process (a Python start-up and Django set-up per call would be most of the time), and the
EXPLAIN plans are run but not written to var/bench/plans, where a real run keeps its own.
"""

from __future__ import annotations

import io
import json
import random
import re
import time
from contextlib import contextmanager
from importlib import import_module
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
MODULES = sorted(p.stem for p in (ROOT / "bench").glob("bench_*.py"))
CLIENTS = 120
TINY = {
    "BENCH_BILLING_CONTRACTS": "60",
    "BENCH_CRM_OPPORTUNITIES": "200",
    "BENCH_FISCAL_CONTRACTS": "40",
    "BENCH_IMPORT_ROWS": "150",
    "BENCH_IMPORT_BULK": "300",
    "BENCH_MAIL_MESSAGES": "300",
    "BENCH_SECRETS": "40",
    "BENCH_TICKETS": "300",
}

on_postgresql = pytest.mark.skipif(
    "postgresql" not in settings.DATABASES["default"]["ENGINE"],
    reason="the benchmarks run on PostgreSQL only (make bench); set DATABASE_URL=postgres://…",
)


def _url(params: dict, name: str) -> str:
    user = params.get("USER") or "postgres"
    password = f":{params['PASSWORD']}" if params.get("PASSWORD") else ""
    host = params.get("HOST") or "127.0.0.1"
    port = params.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{name}"


@contextmanager
def _default_connection(wrapper):
    """Point Django's default connection at `wrapper` (the test's own, with its transaction
    open, is put back untouched)."""
    from django.db import connections

    previous = connections["default"]
    connections["default"] = wrapper
    try:
        yield
    finally:
        connections["default"] = previous


@pytest.fixture(scope="module")
def bench_db(django_db_setup, django_db_blocker):
    """(context, connection) of a scratch database: a copy of the test database with demo
    data, committed (the modules' subprocess code reads it from its own connection)."""
    import psycopg
    from django.core.management import call_command
    from django.db import connection, connections

    from bench.__main__ import BenchContext, _ensure_balances, log

    class SmokeContext(BenchContext):
        def time(self, fn, repeat=20, warmup=2):
            return super().time(fn, repeat=1, warmup=0)

        def subprocess(self, code):
            started = time.perf_counter()
            exec(compile(code, "<bench subprocess>", "exec"), {"__name__": "bench_child"})  # noqa: S102
            return time.perf_counter() - started, 0.0

        def explain(self, name, sql, params=None):
            text = "\n".join(r[0] for r in self.sql(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params))
            self.plans[name] = text
            return text

    template = connection.settings_dict["NAME"]
    # Only ever a copy of the test database (pytest-django made it for the django_db mark).
    assert template.startswith("test_"), template
    scratch = f"{template}_bench"[:63]
    admin = _url(connection.settings_dict, "postgres")
    with django_db_blocker.unblock():
        connection.close()
        with psycopg.connect(admin, autocommit=True) as pg:
            pg.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
            # The template must have no other session (a live server's thread may hold one).
            pg.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                [template],
            )
            pg.execute(f'CREATE DATABASE "{scratch}" TEMPLATE "{template}"')
        real = connections["default"]
        wrapper = type(real)(dict(real.settings_dict, NAME=scratch), "default")
        try:
            with _default_connection(wrapper):
                # Ids far from 1, as after a whole test run (a rolled-back insert still
                # consumes its sequence value): a module must not assume ids start at 1.
                with wrapper.cursor() as cursor:
                    cursor.execute(
                        "SELECT setval(pg_get_serial_sequence('clients_client', 'id'), 500000)"
                    )
                call_command("demo_data", clients=CLIENTS, seed=2026, stdout=io.StringIO())
                url = _url(wrapper.settings_dict, scratch)
                with wrapper.cursor() as cursor:
                    cursor.execute("VACUUM ANALYZE")
                    cursor.execute("SELECT count(*) FROM clients_client")
                    clients = cursor.fetchone()[0]
                _ensure_balances(url)
            log(f"bench smoke: {scratch} with {clients} clients")
            ctx = SmokeContext(clients=clients, database_url=url, rng=random.Random(2026))
            yield ctx, wrapper
        finally:
            wrapper.close()
            with psycopg.connect(admin, autocommit=True) as pg:
                pg.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')


def test_every_size_knob_of_a_bench_module_has_a_tiny_value():
    knobs = set()
    for name in MODULES:
        source = (ROOT / "bench" / f"{name}.py").read_text()
        knobs |= set(re.findall(r"""environ\.get\(\s*["'](BENCH_[A-Z_]+)["']""", source))
    assert knobs - set(TINY) == set(), "add the new knobs to TINY in tests/test_bench.py"


@on_postgresql
@pytest.mark.django_db
@pytest.mark.parametrize("name", MODULES)
def test_the_bench_module_runs_on_a_tiny_database(name, bench_db, monkeypatch):
    for knob, value in TINY.items():
        monkeypatch.setenv(knob, value)
    ctx, wrapper = bench_db
    with _default_connection(wrapper):
        lines = list(import_module(f"bench.{name}").run(ctx))
    assert lines, f"{name} yielded no figure"
    for line in lines:
        assert {"figure", "value", "unit", "clients"} <= set(line), line
        assert isinstance(line["value"], int | float), line
        json.dumps(line, ensure_ascii=False)
    if name == "bench_billing":
        hooked = next(x for x in lines if x["figure"] == "billing_run_100k_contracts_webhook")
        plain = next(x for x in lines if x["figure"] == "billing_run_100k_contracts")
        # An event and a delivery per document the run issued, the subscription's one each.
        assert hooked["events"] == hooked["deliveries"] == plain["invoices"] > 0

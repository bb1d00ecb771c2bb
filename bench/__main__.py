"""`make bench` (`python -m bench`): ispgest's benchmarks on PostgreSQL, one JSON line per figure.

Preparation (once, reused when present): the database named by DATABASE_URL (default
postgres://postgres@127.0.0.1:5432/ispgest_bench) is created if missing, migrated, and
filled with BENCH_CLIENTS clients (default 100000; the target size is 1000000) by
`manage.py demo_data --clients N --seed BENCH_SEED`. A database that already holds at least
BENCH_CLIENTS clients is reused as it is; BENCH_REBUILD=1 drops and rebuilds it. After loading
the runner runs VACUUM ANALYZE so plans and index-only scans are those of a settled database.

Then every module bench/bench_*.py (sorted by name; BENCH_ONLY=clients,billing limits them)
is imported and its `run(ctx)` generator is iterated. Each yielded dict is one figure, printed
as one JSON line on stdout (progress and EXPLAIN plans go to stderr, and plans are also
written under var/bench/plans/).

The ctx protocol (BenchContext below), what a bench module may rely on:

    ctx.clients            int: number of clients in the database
    ctx.database_url       str
    ctx.rng                random.Random(BENCH_SEED): deterministic choices
    ctx.sql(sql, params=None) -> list[tuple]          plain SQL through Django's connection
    ctx.time(fn, repeat=20, warmup=2) -> list[float]  seconds per call of fn()
    ctx.explain(name, sql, params=None) -> str         EXPLAIN (ANALYZE, BUFFERS) text; kept
                                                       in var/bench/plans/<name>.txt and in
                                                       ctx.plans[name]
    ctx.subprocess(code) -> (seconds, peak_rss_mb)     runs `python -c code` with Django set up
                                                       (DJANGO_SETTINGS_MODULE, DATABASE_URL)
                                                       and reads its max RSS (getrusage)
    ctx.figure(name, value, unit, *, sql=None, **extra) -> dict
        builds the line: {"figure", "value", "unit", "clients", "sql_value", "ratio", ...}
        where sql_value is the same figure for the best plain SQL that gives the same result
        and ratio = value / sql_value (how much the application costs over raw SQL).
    ctx.percentiles(samples) -> (p50_ms, p95_ms)

A module: `def run(ctx): yield ctx.figure("quick_search_name_p95", 12.0, "ms", sql=9.0)`.
Modules must leave the data as they found it (wrap writes in a transaction and roll back).
"""

from __future__ import annotations

import json
import os
import random
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import import_module
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/ispgest_bench"


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


@dataclass
class BenchContext:
    clients: int
    database_url: str
    rng: random.Random
    plans: dict = field(default_factory=dict)

    @property
    def connection(self):
        from django.db import connection

        return connection

    def sql(self, sql: str, params=None) -> list[tuple]:
        with self.connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall() if cursor.description else []

    def time(self, fn: Callable[[], object], repeat: int = 20, warmup: int = 2) -> list[float]:
        for _ in range(warmup):
            fn()
        samples = []
        for _ in range(repeat):
            started = time.perf_counter()
            fn()
            samples.append(time.perf_counter() - started)
        return samples

    @staticmethod
    def percentiles(samples: list[float]) -> tuple[float, float]:
        ordered = sorted(samples)
        p50 = statistics.median(ordered)
        p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
        return round(p50 * 1000, 2), round(p95 * 1000, 2)

    def explain(self, name: str, sql: str, params=None) -> str:
        rows = self.sql(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
        text = "\n".join(r[0] for r in rows)
        self.plans[name] = text
        out = ROOT / "var" / "bench" / "plans"
        out.mkdir(parents=True, exist_ok=True)
        (out / f"{name}.txt").write_text(text + "\n")
        log(f"--- plan {name}\n{text}")
        return text

    def subprocess(self, code: str) -> tuple[float, float]:
        env = dict(os.environ, DATABASE_URL=self.database_url)
        env.setdefault("DJANGO_SETTINGS_MODULE", "ispgest.settings")
        prelude = "import django; django.setup()\n"
        wrapper = (
            "import resource, subprocess, sys, time\n"
            "t = time.perf_counter()\n"
            "p = subprocess.run([sys.executable, '-c', sys.argv[1]])\n"
            "dt = time.perf_counter() - t\n"
            "rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
            "print(dt, rss, p.returncode)\n"
        )
        out = subprocess.run(
            [sys.executable, "-c", wrapper, prelude + code],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        if out.stderr:
            log(out.stderr[-2000:])
        seconds, rss_kb, rc = out.stdout.strip().splitlines()[-1].split()
        if rc != "0":
            raise RuntimeError(f"subprocess failed ({rc})")
        return float(seconds), round(int(rss_kb) / 1024, 1)

    def figure(self, name: str, value: float, unit: str, *, sql: float | None = None, **extra):
        line = {"figure": name, "value": value, "unit": unit, "clients": self.clients}
        if sql is not None:
            line["sql_value"] = sql
            line["ratio"] = round(value / sql, 2) if sql else None
        line.update(extra)
        return line


def _admin_url(url: str) -> tuple[str, str]:
    parsed = urlparse(url)
    return urlunparse(parsed._replace(path="/postgres")), parsed.path.lstrip("/")


def prepare(database_url: str, clients: int, seed: int) -> int:
    """Create/migrate/fill the benchmark database unless it already holds enough clients."""
    import psycopg

    admin_url, dbname = _admin_url(database_url)
    rebuild = os.environ.get("BENCH_REBUILD") == "1"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [dbname]).fetchone()
        if exists and rebuild:
            conn.execute(f'DROP DATABASE "{dbname}" WITH (FORCE)')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{dbname}"')
    env = dict(os.environ, DATABASE_URL=database_url)
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], env=env, cwd=ROOT, check=True)
    with psycopg.connect(database_url) as conn:
        have = conn.execute("SELECT count(*) FROM clients_client").fetchone()[0]
    if have >= clients:
        log(f"bench: reusing {dbname} with {have} clients")
        _ensure_balances(database_url)
        return have
    if have:
        raise SystemExit(
            f"{dbname} holds {have} clients, fewer than BENCH_CLIENTS={clients}: "
            "run with BENCH_REBUILD=1"
        )
    log(f"bench: generating {clients} clients in {dbname} (demo_data)...")
    started = time.monotonic()
    subprocess.run(
        [*manage, "demo_data", "--clients", str(clients), "--seed", str(seed)],
        env=env,
        cwd=ROOT,
        check=True,
        stdout=sys.stderr,
    )
    log(f"bench: demo data in {time.monotonic() - started:.0f} s; VACUUM ANALYZE...")
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
        have = conn.execute("SELECT count(*) FROM clients_client").fetchone()[0]
    _ensure_balances(database_url)
    return have


def _ensure_balances(database_url: str) -> None:
    """Unpaid-invoice filters read billing's ClientBalance. When the demo data has none
    (billing demo absent), give a deterministic fifth of the clients unpaid figures so
    those filters select something; said on stderr, never done when balances exist."""
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM billing_clientbalance LIMIT 1").fetchone():
            return
        log("bench: no ClientBalance rows; deriving unpaid figures for clients with id % 5 = 0")
        conn.execute(
            "INSERT INTO billing_clientbalance (client_id, unpaid_count, unpaid_total, "
            "wallet_balance, updated_at) SELECT id, 1 + id % 3, (1 + id % 3) * 9500.00, 0, "
            "now() FROM clients_client WHERE id % 5 = 0"
        )
        conn.execute("ANALYZE billing_clientbalance")


def main() -> None:
    database_url = os.environ.get("DATABASE_URL", DEFAULT_URL)
    if not database_url.startswith(("postgres://", "postgresql://")):
        raise SystemExit("bench runs on PostgreSQL: set DATABASE_URL=postgres://...")
    clients = int(os.environ.get("BENCH_CLIENTS", "100000"))
    seed = int(os.environ.get("BENCH_SEED", "2026"))
    have = prepare(database_url, clients, seed)

    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ispgest.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()

    ctx = BenchContext(clients=have, database_url=database_url, rng=random.Random(seed))
    only = {m for m in os.environ.get("BENCH_ONLY", "").split(",") if m}
    modules = sorted(p.stem for p in (ROOT / "bench").glob("bench_*.py"))
    for name in modules:
        if only and name.removeprefix("bench_") not in only:
            continue
        log(f"bench: {name}")
        module = import_module(f"bench.{name}")
        for line in module.run(ctx):
            print(json.dumps(line, ensure_ascii=False), flush=True)
    usage = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    log(f"bench: done (runner peak RSS {usage / 1024:.0f} MB)")


if __name__ == "__main__":
    main()

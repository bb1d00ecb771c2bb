"""`manage.py scheduler` as real processes on a database of their own (a migrated SQLite
file): two started at once fire a due job once; SIGTERM stops one and frees the lease."""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    var = tmp_path_factory.mktemp("scheduler-var")
    environ = {
        **os.environ,
        "ISPGEST_VAR_DIR": str(var),
        "DATABASE_URL": f"sqlite:///{var / 'db.sqlite3'}",
        "ISPGEST_TASKS_BACKEND": "db",
        "DJANGO_SETTINGS_MODULE": "ispgest.settings",
    }
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=environ,
        check=True,
    )
    return environ, var / "db.sqlite3"


def _sql(db: Path, query: str, params=()):
    with sqlite3.connect(db, timeout=20) as conn:
        return conn.execute(query, params).fetchall()


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def test_two_scheduler_processes_fire_a_due_job_once(env):
    environ, db = env
    once = [sys.executable, "manage.py", "scheduler", "--once"]
    subprocess.run(once, cwd=ROOT, env=environ, check=True, capture_output=True)
    assert _sql(db, "SELECT count(*) FROM ops_jobstate WHERE name = 'messaging.email_retry'")
    past = _stamp(datetime.now(UTC) - timedelta(hours=5))
    _sql(db, "UPDATE ops_jobstate SET next_run_at = ? WHERE name = 'messaging.email_retry'", [past])
    procs = [
        subprocess.Popen(once, cwd=ROOT, env=environ, stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=120)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0]
    runs = _sql(db, "SELECT status FROM ops_jobrun WHERE job_name = 'messaging.email_retry'")
    assert runs == [("queued",)], outputs
    # The run's task waits on the database queue for a worker.
    tasks = _sql(
        db,
        "SELECT count(*) FROM django_tasks_database_dbtaskresult "
        "WHERE task_path = 'ispgest.ops.tasks.run_scheduled_job' AND status = 'READY'",
    )
    assert tasks == [(1,)]


def test_a_running_scheduler_beats_and_stops_on_sigterm_releasing_its_lease(env):
    environ, db = env
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "scheduler", "--tick", "1"],
        cwd=ROOT,
        env=environ,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        holder = ""
        while time.monotonic() < deadline and not holder:
            rows = _sql(db, "SELECT holder FROM ops_schedulerlease WHERE name = 'scheduler'")
            holder = rows[0][0] if rows else ""
            time.sleep(0.3)
        assert str(proc.pid) in holder
        first = _sql(db, "SELECT heartbeat_at FROM ops_schedulerlease")[0][0]
        time.sleep(2.5)
        assert _sql(db, "SELECT heartbeat_at FROM ops_schedulerlease")[0][0] > first
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    assert _sql(db, "SELECT holder, expires_at FROM ops_schedulerlease") == [("", None)]

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


def _descendants(root: int) -> dict[int, str]:
    """Every live process under `root` with its command line (read from /proc)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, todo = {}, [root]
    while todo:
        pid = todo.pop()
        for child, parent in parents.items():
            if parent == pid and child not in found:
                try:
                    cmdline = (Path("/proc") / str(child) / "cmdline").read_bytes()
                except OSError:
                    continue
                found[child] = cmdline.replace(b"\0", b" ").decode(errors="replace")
                todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("how", ["ctrl-c", "sigterm"])
def test_serve_starts_web_worker_and_scheduler_and_one_signal_stops_all_three(env, how):
    """`make run` ends in `manage.py serve`: gunicorn, the database-queue worker and the
    scheduler. Ctrl-C (SIGINT to the terminal's process group) or a SIGTERM to serve alone
    stops the three; the scheduler gives its lease back on the way out."""
    import json
    import urllib.error
    import urllib.request

    environ, db = env
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "serve"],
        cwd=ROOT,
        env={**environ, "PORT": str(port), "WEB_CONCURRENCY": "1"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group, as a terminal gives it
    )
    children: dict[int, str] = {}
    try:
        deadline = time.monotonic() + 90
        health = {}
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as r:
                    health = json.loads(r.read())
            except urllib.error.HTTPError as exc:
                health = json.loads(exc.read())  # 503 until the scheduler's first tick
            except OSError:
                pass
            if health.get("scheduler", {}).get("status") == "ok":
                break
            time.sleep(0.5)
        assert health.get("status") == "ok", health
        assert health["database"]["status"] == "ok"
        children = _descendants(proc.pid)
        commands = " | ".join(children.values())
        assert "gunicorn" in commands and "ispgest.wsgi:application" in commands, commands
        assert "db_worker" in commands, commands
        assert "manage.py scheduler" in commands, commands
        holder = _sql(db, "SELECT holder FROM ops_schedulerlease WHERE name = 'scheduler'")
        assert holder[0][0], holder

        if how == "ctrl-c":
            os.killpg(proc.pid, signal.SIGINT)
        else:
            proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and any(_alive(pid) for pid in children):
            time.sleep(0.2)
        assert [cmd for pid, cmd in children.items() if _alive(pid)] == []
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        for pid in children:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
    assert _sql(db, "SELECT holder, expires_at FROM ops_schedulerlease") == [("", None)]
    with pytest.raises(OSError):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)

from datetime import timedelta

import pytest

from ispgest.core.schedule import ScheduledJob


@pytest.fixture
def declare(monkeypatch):
    """declare(job, ...) makes these the only jobs declared in code."""
    from ispgest.core import schedule

    def _declare(*jobs: ScheduledJob):
        registry = {job.name: job for job in jobs}
        monkeypatch.setattr(schedule, "scheduled_jobs", lambda: dict(registry))
        return registry

    return _declare


@pytest.fixture
def note_job():
    return ScheduledJob(
        name="test.note",
        title="Nota de prueba",
        task="ispgest.ops.tests.sample_tasks.note",
        every=timedelta(minutes=5),
    )


@pytest.fixture
def explode_job():
    return ScheduledJob(
        name="test.explode",
        title="Tarea que falla",
        task="ispgest.ops.tests.sample_tasks.explode",
        cron="0 * * * *",
    )


@pytest.fixture
def ticked(django_capture_on_commit_callbacks):
    """ticked() runs one scheduler tick and then what it left for after commit (the test's
    transaction never commits): the enqueued runs execute on the immediate backend."""
    from ispgest.ops.scheduler import tick

    def _tick(now=None):
        with django_capture_on_commit_callbacks(execute=True):
            return tick(now=now)

    return _tick

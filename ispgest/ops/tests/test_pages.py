"""The "Tareas programadas" page, its services, /healthz and the declaration checks."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from ispgest.accounts.roles import BILLING
from ispgest.core.models import AuditEntry
from ispgest.core.schedule import ScheduledJob
from ispgest.ops.models import JobRun, JobState, SchedulerLease
from ispgest.ops.scheduler import Scheduler, tick

pytestmark = pytest.mark.django_db


def test_the_page_lists_every_job_with_schedule_state_and_next_run(
    admin_client, declare, note_job, explode_job
):
    declare(note_job, explode_job)
    tick()
    response = admin_client.get(reverse("ops:job_list"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Nota de prueba" in html and "Tarea que falla" in html
    assert "Cada 5 minutos" in html and "0 * * * *" in html
    assert "no se ha ejecutado nunca" in html  # no scheduler ran in this test
    assert "Ejecutar ahora" in html


def test_run_now_enqueues_the_job_and_the_page_shows_its_result(
    admin_client, admin_user, declare, note_job, django_capture_on_commit_callbacks
):
    declare(note_job)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("ops:job_run", args=["test.note"]), follow=True)
    assert "encolada" in response.content.decode()
    run = JobRun.objects.get()
    assert run.trigger == JobRun.Trigger.MANUAL and run.requested_by == admin_user
    assert run.status == JobRun.Status.SUCCEEDED
    assert AuditEntry.objects.filter(action="job.run_now", actor=admin_user).count() == 1
    detail = admin_client.get(reverse("ops:job_detail", args=["test.note"])).content.decode()
    assert "Correcta" in detail and "hecho" in detail


def test_run_now_is_refused_while_a_run_is_still_going(admin_client, declare, note_job):
    declare(note_job)
    JobRun.objects.create(job_name="test.note", status=JobRun.Status.RUNNING)
    response = admin_client.post(reverse("ops:job_run", args=["test.note"]), follow=True)
    assert "ya está en cola o en curso" in response.content.decode()
    assert JobRun.objects.count() == 1


def test_switching_a_job_off_and_on(admin_client, declare, note_job):
    declare(note_job)
    tick()
    admin_client.post(reverse("ops:job_toggle", args=["test.note"]), {"enabled": "0"})
    state = JobState.objects.get(name="test.note")
    assert state.enabled is False and state.next_run_at is None
    JobState.objects.filter(pk=state.pk).update(next_run_at=timezone.now())
    assert tick() == []  # switched off: even a due slot does not fire
    admin_client.post(reverse("ops:job_toggle", args=["test.note"]), {"enabled": "1"})
    state.refresh_from_db()
    assert state.enabled is True
    assert state.next_run_at > timezone.now()  # slots missed while off never fire
    assert AuditEntry.objects.filter(action__in=["job.enabled", "job.disabled"]).count() == 2


def test_an_invalid_cron_expression_is_refused_with_a_spanish_message(
    admin_client, declare, note_job
):
    declare(note_job)
    tick()
    before = JobState.objects.get(name="test.note")
    url = reverse("ops:job_schedule", args=["test.note"])
    response = admin_client.post(url, {"cron": "61 * * * *", "every_minutes": ""})
    assert response.status_code == 200
    html = response.content.decode()
    assert "no es una expresión cron válida" in html and "fuera de rango" in html
    after = JobState.objects.get(name="test.note")
    assert (after.cron, after.next_run_at) == ("", before.next_run_at)
    assert not AuditEntry.objects.filter(action="job.schedule_changed").exists()


def test_a_cron_and_an_interval_together_are_refused(admin_client, declare, note_job):
    declare(note_job)
    url = reverse("ops:job_schedule", args=["test.note"])
    response = admin_client.post(url, {"cron": "0 3 * * *", "every_minutes": "10"})
    assert "no ambos" in response.content.decode()
    assert not JobState.objects.filter(name="test.note").exclude(cron="").exists()


def test_an_administrator_gives_a_job_its_own_schedule_and_resets_it(
    admin_client, declare, note_job, settings
):
    settings.TIME_ZONE = "America/Argentina/Buenos_Aires"
    declare(note_job)
    url = reverse("ops:job_schedule", args=["test.note"])
    admin_client.post(url, {"cron": "0 4 * * *", "every_minutes": ""})
    state = JobState.objects.get(name="test.note")
    assert state.cron == "0 4 * * *"
    local = timezone.localtime(state.next_run_at)
    assert (local.hour, local.minute) == (4, 0)
    assert "A las 04:00" in admin_client.get(reverse("ops:job_list")).content.decode()
    admin_client.post(url, {"cron": "", "every_minutes": ""})
    state.refresh_from_db()
    assert state.cron == "" and state.every_minutes is None
    assert state.next_run_at <= timezone.now() + timedelta(minutes=5)


def test_other_roles_cannot_see_or_run_jobs(client, make_user, declare, note_job):
    declare(note_job)
    client.force_login(make_user(BILLING))
    assert client.get(reverse("ops:job_list")).status_code == 403
    assert client.post(reverse("ops:job_run", args=["test.note"])).status_code == 403
    assert client.post(reverse("ops:job_toggle", args=["test.note"])).status_code == 403
    assert JobRun.objects.count() == 0


def test_an_unknown_job_is_not_found(admin_client, declare, note_job):
    declare(note_job)
    assert admin_client.get(reverse("ops:job_detail", args=["no.existe"])).status_code == 404
    assert admin_client.post(reverse("ops:job_run", args=["no.existe"])).status_code == 404


# /healthz ------------------------------------------------------------------------------


def test_healthz_is_unhealthy_until_a_scheduler_ticks(client):
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["scheduler"] == {
        "status": "error",
        "error": "never_ticked",
        "heartbeat_age_seconds": None,
    }
    assert body["database"]["status"] == "ok"


def test_healthz_reports_the_heartbeat_and_turns_unhealthy_when_it_stops(client):
    Scheduler().acquire()
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["scheduler"]["status"] == "ok"
    assert body["scheduler"]["heartbeat_age_seconds"] < 5
    SchedulerLease.objects.update(heartbeat_at=timezone.now() - timedelta(minutes=5))
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["scheduler"]["error"] == "stale_heartbeat"
    assert response.json()["scheduler"]["heartbeat_age_seconds"] >= 299


# declarations --------------------------------------------------------------------------


def test_the_system_check_reports_broken_declarations(declare):
    from ispgest.ops.checks import check_scheduled_jobs

    declare(
        ScheduledJob(
            name="a", title="A", task="ispgest.ops.tests.sample_tasks.nada", cron="0 3 * * *"
        ),
        ScheduledJob(
            name="b", title="B", task="ispgest.ops.tests.conftest.note_job", cron="0 3 * * *"
        ),
        ScheduledJob(
            name="c", title="C", task="ispgest.ops.tasks.run_scheduled_job", cron="0 3 * * *"
        ),
        ScheduledJob(
            name="d", title="D", task="ispgest.ops.tests.sample_tasks.note", cron="0 3 * * *"
        ),
    )
    ids = sorted(e.id for e in check_scheduled_jobs())
    assert ids == ["ops.E002", "ops.E003", "ops.E004"]


def test_a_job_declared_with_a_wrong_cron_fails_at_import():
    with pytest.raises(ValueError, match="invalid cron"):
        ScheduledJob(name="x", title="X", task="a.b", cron="0 25 * * *")


def test_every_job_declared_by_the_apps_is_sound():
    from ispgest.core.schedule import scheduled_jobs
    from ispgest.ops.checks import check_scheduled_jobs

    assert check_scheduled_jobs() == []
    assert {"messaging.email_retry", "core.expired_files_cleanup"} <= set(scheduled_jobs())


def test_an_english_speaking_administrator_reads_the_page_in_english(
    client, make_user, declare, note_job
):
    from ispgest.accounts.roles import ADMIN

    declare(note_job)
    user = make_user(ADMIN, language="en")
    client.post(
        reverse("accounts:login"), {"username": user.username, "password": "secreto-123456"}
    )
    html = client.get(reverse("ops:job_list")).content.decode()
    assert "Scheduled jobs" in html and "Run now" in html and "Every 5 minutes" in html
    assert "Tareas programadas" not in html

"""System cards on "Inicio" (administrators: who may see the scheduled jobs): the task
queue, failures of the last day, the scheduler's heartbeat."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.timesince import timesince
from django.utils.translation import gettext as _

from ispgest.core.dashboard import Card
from ispgest.ops.queue import failed_emails_recent, queue_state
from ispgest.ops.selectors import scheduler_heartbeat


def dashboard_cards(request) -> list[Card]:
    if not request.user.has_perm("ops.view_jobstate"):
        return []
    n = lambda v: "—" if v is None else number_format(v, force_grouping=True)  # noqa: E731
    queue = queue_state()
    beat = scheduler_heartbeat()
    oldest = queue.oldest_age
    queue_hint = (
        _("la más antigua espera desde hace %(t)s")
        % {"t": timesince(queue.oldest_pending_at, timezone.now())}
        if queue.oldest_pending_at
        else (_("Redis no responde") if queue.error else _("nada esperando"))
    )
    failed_mail = failed_emails_recent()
    if beat.ok:
        beat_value, beat_hint, beat_level = _("En marcha"), "", ""
        beat_hint = _("último latido hace %(s)s s") % {"s": int(beat.age_seconds or 0)}
    elif beat.status == "stale":
        beat_value, beat_level = _("Detenido"), "danger"
        beat_hint = _("último latido hace %(t)s") % {"t": timesince(beat.at, timezone.now())}
    else:
        beat_value, beat_hint, beat_level = _("Nunca arrancó"), "", "danger"
    return [
        Card(
            key="ops.queue",
            title=_("Tareas en cola"),
            value=n(queue.pending),
            hint=queue_hint,
            url=reverse("ops:task_list"),
            section="system",
            order=10,
            level="warning" if oldest and oldest.total_seconds() > 600 else "",
        ),
        Card(
            key="ops.failed_tasks",
            title=_("Tareas fallidas (24 h)"),
            value=n(queue.failed_recent),
            url=reverse("ops:task_list") + "?estado=fallidas",
            section="system",
            order=20,
            level="danger" if queue.failed_recent else "",
        ),
        Card(
            key="ops.failed_emails",
            title=_("E-mails fallidos (24 h)"),
            value=n(failed_mail),
            url=reverse("ops:task_list") + "?estado=emails",
            section="system",
            order=30,
            level="danger" if failed_mail else "",
        ),
        Card(
            key="ops.scheduler",
            title=_("Programador de tareas"),
            value=beat_value,
            hint=beat_hint,
            url=reverse("ops:job_list"),
            section="system",
            order=40,
            level=beat_level,
        ),
    ]

"""Pages of operations: "Tareas programadas" (thin views over ops.services/selectors)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ispgest.accounts.decorators import staff_required
from ispgest.core import schedule as core_schedule
from ispgest.ops import selectors, services
from ispgest.ops.forms import ScheduleForm
from ispgest.ops.queue import failed_emails_recent, failed_emails_rows, queue_state
from ispgest.ops.schedule import Schedule, describe


def _job_or_404(name: str):
    job = core_schedule.scheduled_jobs().get(name)
    if job is None:
        raise Http404
    return job


def _show_errors(request, exc: ValidationError, form=None) -> None:
    if form is not None and hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            for err in errors:
                for msg in err.messages:
                    form.add_error(field if field in form.fields else None, msg)
        return
    for msg in exc.messages:
        messages.error(request, msg)


def _table_context() -> dict:
    rows = selectors.job_rows()
    return {
        "rows": rows,
        "heartbeat": selectors.scheduler_heartbeat(),
        "busy": any(r.active_run for r in rows),
        "time_zone": settings.TIME_ZONE,
    }


@staff_required("ops.view_jobstate")
def job_list(request):
    return render(request, "ops/job_list.html", _table_context())


@staff_required("ops.view_jobstate")
def job_table(request):
    """The table alone: the page polls it while a run is queued or going."""
    return render(request, "ops/_job_table.html", _table_context())


@staff_required("ops.view_jobstate")
def job_detail(request, name: str):
    job = _job_or_404(name)
    row = next(r for r in selectors.job_rows() if r.name == name)
    return render(
        request, "ops/job_detail.html", {"job": job, "row": row, "runs": selectors.job_runs(name)}
    )


@staff_required("ops.view_jobstate", "ops.change_jobstate")
def job_schedule(request, name: str):
    job = _job_or_404(name)
    row = next(r for r in selectors.job_rows() if r.name == name)
    state = row.state
    initial = {"cron": state.cron if state else "", "every_minutes": state and state.every_minutes}
    form = ScheduleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.job_set_schedule(
                actor=request.user,
                name=name,
                cron=form.cleaned_data["cron"],
                every_minutes=form.cleaned_data["every_minutes"],
            )
        except ValidationError as exc:
            _show_errors(request, exc, form)
        else:
            messages.success(request, _("Programación guardada."))
            return redirect("ops:job_list")
    declared = Schedule(cron=job.cron, every=job.every)
    return render(
        request,
        "ops/job_schedule.html",
        {
            "job": job,
            "row": row,
            "form": form,
            "declared": declared,
            "declared_text": describe(declared),
        },
    )


@require_POST
@staff_required("ops.change_jobstate")
def job_toggle(request, name: str):
    job = _job_or_404(name)
    enabled = request.POST.get("enabled") == "1"
    try:
        services.job_set_enabled(actor=request.user, name=name, enabled=enabled)
    except ValidationError as exc:
        _show_errors(request, exc)
    else:
        text = _("Tarea «%(t)s» activada.") if enabled else _("Tarea «%(t)s» desactivada.")
        messages.success(request, text % {"t": job.title})
    return redirect("ops:job_list")


@require_POST
@staff_required("ops.run_jobstate")
def job_run(request, name: str):
    job = _job_or_404(name)
    try:
        services.job_run_now(actor=request.user, name=name)
    except ValidationError as exc:
        _show_errors(request, exc)
    else:
        messages.success(
            request, _("«%(t)s» encolada: un trabajador la ejecutará enseguida.") % {"t": job.title}
        )
    if request.POST.get("next") == "detail":
        return redirect("ops:job_detail", name=name)
    return redirect("ops:job_list")


@staff_required("ops.view_jobstate")
def task_list(request):
    """ "Cola de tareas": what waits for a worker and what failed in the last 24 h."""
    tab = request.GET.get("estado", "")
    tab = tab if tab in ("fallidas", "emails") else ""
    state = queue_state(rows=100)
    context = {
        "queue": state,
        "tab": tab,
        "failed_only": tab == "fallidas",
        "failed_email_count": failed_emails_recent(),
        "failed_emails": failed_emails_rows() if tab == "emails" else [],
    }
    return render(request, "ops/task_list.html", context)

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from ispgest.core.health import run_checks


@login_required
def home(request):
    """Inicio: every app's figures for this user (core.dashboard), charts as SVG."""
    from ispgest.core.charts import render_chart
    from ispgest.core.dashboard import SECTIONS, collect

    board = collect(request)
    titles = {
        "clients": _("Clientes"),
        "money": _("Cobros y facturación"),
        "work": _("Trabajo"),
        "system": _("Sistema"),
    }
    sections = [
        {
            "key": key,
            "title": titles.get(key, key),
            "cards": board.cards.get(key, []),
            "charts": [(c, render_chart(c)) for c in board.charts.get(key, [])],
        }
        for key in (*SECTIONS, *(k for k in board.cards if k not in SECTIONS))
        if board.cards.get(key) or board.charts.get(key)
    ]
    return render(request, "core/home.html", {"sections": sections})


def _queue_state() -> dict:
    backend = settings.TASKS["default"]["BACKEND"]
    state: dict = {"backend": backend.rsplit(".", 1)[-1]}
    if backend.startswith("django_tasks_db"):
        from django_tasks.base import TaskResultStatus
        from django_tasks_db.models import DBTaskResult

        pending = DBTaskResult.objects.filter(status=TaskResultStatus.READY)
        oldest = pending.order_by("enqueued_at").values_list("enqueued_at", flat=True).first()
        state["pending"] = pending.count()
        state["oldest_pending_age_seconds"] = (
            round((timezone.now() - oldest).total_seconds(), 1) if oldest else 0
        )
        state["status"] = "ok"
    elif backend.startswith("django_tasks_rq"):
        try:
            import django_rq

            queue = django_rq.get_queue("default")
            state["pending"] = queue.count
            state["status"] = "ok"
        except Exception as exc:  # Redis down: report, don't crash the probe
            state["status"] = "error"
            state["error"] = type(exc).__name__
    else:
        state["status"] = "ok"
        state["pending"] = 0
    return state


@never_cache
@require_GET
def healthz(request):
    """Liveness and readiness for load balancers and monitoring; public, reveals no data."""
    body: dict = {"version": settings.VERSION}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        body["database"] = {"status": "ok", "vendor": connection.vendor}
    except Exception as exc:
        body["database"] = {"status": "error", "error": type(exc).__name__}
        body["status"] = "error"
        return JsonResponse(body, status=503)
    try:
        body["queue"] = _queue_state()
    except Exception as exc:
        body["queue"] = {"status": "error", "error": type(exc).__name__}
    # What other apps registered (ispgest.core.health), e.g. the scheduler's heartbeat.
    results, healthy = run_checks()
    body.update(results)
    body["status"] = "ok" if healthy else "error"
    return JsonResponse(body, status=200 if healthy else 503)

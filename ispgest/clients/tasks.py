"""Background work of the client list: exports and large mass updates (thin: load, call).

Both run on a core.models.Job created by `start_export` / `start_mass_update`, which keep
the parameters; the task reports progress on the job and tells the user when it ends.
"""

from __future__ import annotations

import logging
import tempfile
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django_tasks import task

from ispgest.core.models import Job

logger = logging.getLogger(__name__)

EXPORT_KIND = "clients.export"
MASS_UPDATE_KIND = "clients.mass_update"
EXPORT_LINK_DAYS = 7


def _fail(job_id: int, error: str) -> None:
    Job.objects.filter(pk=job_id).update(
        status=Job.Status.FAILED, finished_at=timezone.now(), error=error[:4000]
    )


def _claim(job_id: int) -> Job | None:
    """Mark the job running unless another run got it first (idempotent reruns)."""
    claimed = Job.objects.filter(pk=job_id, status=Job.Status.PENDING).update(
        status=Job.Status.RUNNING, started_at=timezone.now()
    )
    if not claimed:
        return None
    return Job.objects.select_related("created_by").get(pk=job_id)


@task()
def export_clients_task(job_id: int) -> str:
    from ispgest.clients.export import FORMATS, write_export
    from ispgest.clients.search import resolve_targets
    from ispgest.core.visibility import can_view_money

    job = _claim(job_id)
    if job is None:
        return "skipped"
    user = job.created_by
    fmt = job.params.get("format", "csv")
    try:
        qs = resolve_targets(user, job.params.get("filters", {}), job.params.get("ids"))
        Job.objects.filter(pk=job.pk).update(total=qs.count())
        with tempfile.TemporaryFile() as tmp:
            rows = write_export(qs, fmt, tmp, money=can_view_money(user))
            size = tmp.tell()
            tmp.seek(0)
            stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
            name = f"clientes-{stamp}.{FORMATS[fmt][1]}"
            job.result_file.save(f"{job.pk}-{name}", File(tmp, name=name), save=False)
        job.result_name = name
        job.expires_at = timezone.now() + timedelta(days=EXPORT_LINK_DAYS)
        job.status = Job.Status.DONE
        job.done = job.total = rows
        job.finished_at = timezone.now()
        job.result = {"rows": rows, "bytes": size, "format": fmt}
        job.message = f"Exportación lista: {rows} clientes."
        job.save()
        _mail_export(job, size)
    except Exception as exc:
        logger.exception("client export %s failed", job_id)
        _fail(job_id, f"{type(exc).__name__}: {exc}")
        return "failed"
    return "done"


def _mail_export(job: Job, size: int) -> None:
    from ispgest.clients.export import FORMATS
    from ispgest.messaging.emails import Attachment, send_email

    user = job.created_by
    if user is None or not user.email:
        return
    attach = size <= settings.ISPGEST_EXPORT_ATTACH_MAX_BYTES
    attachments = []
    if attach:
        with job.result_file.open("rb") as fh:
            content = fh.read()
        attachments.append(Attachment(job.result_name, content, FORMATS[job.result["format"]][0]))
    link = settings.SITE_URL.rstrip("/") + reverse("clients:export_download", args=[job.pk])
    with transaction.atomic():
        message = send_email(
            template="client_export",
            to=[user.email],
            context={
                "user": user,
                "job": job,
                "rows": job.result["rows"],
                "format": job.result["format"].upper(),
                "attached": attach,
                "link": link,
                "expires_at": job.expires_at,
            },
            sent_by=user,
            attachments=attachments,
        )
        # The job page reads the message's delivery status from here.
        job.result = {**job.result, "email_id": message.pk}
        job.save(update_fields=["result"])


@task()
def mass_update_task(job_id: int) -> str:
    from ispgest.clients.mass_update import clients_mass_update
    from ispgest.clients.search import resolve_targets

    job = _claim(job_id)
    if job is None:
        return "skipped"
    user = job.created_by

    def progress(done: int, total: int) -> None:
        # Inside the update's transaction other sessions see this only at the end; the
        # page shows the phase instead ("Aplicando cambios...").
        Job.objects.filter(pk=job.pk).update(done=done, total=total)

    try:
        targets = resolve_targets(user, job.params.get("filters", {}), job.params.get("ids"))
        Job.objects.filter(pk=job.pk).update(total=targets.count(), message="Aplicando cambios…")
        extra = {int(k): v for k, v in (job.params.get("extra") or {}).items()}
        result = clients_mass_update(
            actor=user,
            targets=targets,
            changes=job.params.get("changes", {}),
            extra=extra,
            progress=progress,
        )
    except ValidationError as exc:
        messages = (
            [m for msgs in exc.message_dict.values() for m in msgs]
            if hasattr(exc, "error_dict")
            else exc.messages
        )
        _fail(job_id, "No se aplicó ningún cambio: " + " ".join(messages))
        _notify_mass_update(job_id)
        return "invalid"
    except Exception as exc:
        logger.exception("mass update %s failed", job_id)
        _fail(job_id, f"No se aplicó ningún cambio: {type(exc).__name__}: {exc}")
        _notify_mass_update(job_id)
        return "failed"
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.DONE,
        finished_at=timezone.now(),
        done=result.selected,
        total=result.selected,
        result={"selected": result.selected, "changed": result.changed},
        message=f"Actualización masiva terminada: {result.changed} de {result.selected} "
        "clientes cambiaron.",
    )
    _notify_mass_update(job_id)
    return "done"


def _notify_mass_update(job_id: int) -> None:
    from ispgest.messaging.emails import send_email

    job = Job.objects.select_related("created_by").get(pk=job_id)
    user = job.created_by
    if user is None or not user.email:
        return
    link = settings.SITE_URL.rstrip("/") + reverse("clients:job", args=[job.pk])
    with transaction.atomic():
        send_email(
            template="client_mass_update",
            to=[user.email],
            context={"user": user, "job": job, "link": link},
            sent_by=user,
        )


# --- starting the work (called by views and the API) ----------------------------------------

#: Mass updates of at most this many clients run in the request; larger ones in the background.
SYNC_MASS_UPDATE_LIMIT = 2000


def _filters_param(filters) -> dict:
    """A QueryDict or dict -> a JSON-able dict of the filter values (lists collapsed)."""
    from ispgest.clients.search import ClientFilterForm

    out = {}
    for name in ClientFilterForm.base_fields:
        if hasattr(filters, "getlist"):
            value = filters.get(name)
        else:
            value = filters.get(name)
        if value not in (None, ""):
            out[name] = str(value) if not isinstance(value, bool) else ("on" if value else "")
    return out


@transaction.atomic
def start_export(*, actor, filters, fmt: str, ids: list[int] | None = None) -> Job:
    """Validate the request and queue the export; the file goes to the actor by e-mail."""
    from django.core.exceptions import PermissionDenied

    from ispgest.clients.export import FORMATS
    from ispgest.clients.search import resolve_targets

    if not actor.has_perm("clients.export_client"):
        raise PermissionDenied
    if fmt not in FORMATS:
        raise ValidationError({"format": ["Formato: elija CSV o XLSX."]})
    params = {"filters": _filters_param(filters), "format": fmt, "ids": ids}
    resolve_targets(actor, params["filters"], ids)  # malformed filters fail here, in Spanish
    job = Job.objects.create(kind=EXPORT_KIND, created_by=actor, params=params)
    transaction.on_commit(lambda: export_clients_task.enqueue(job.pk))
    return job


def start_mass_update(
    *, actor, filters, changes: dict, extra: dict | None = None, ids: list[int] | None = None
):
    """Run a small mass update now (returns MassUpdateResult) or queue a large one (Job)."""
    from django.core.exceptions import PermissionDenied

    from ispgest.clients.mass_update import clients_mass_update, normalise_changes
    from ispgest.clients.search import resolve_targets

    if not actor.has_perm("clients.mass_update_client"):
        raise PermissionDenied
    params_filters = _filters_param(filters)
    targets = resolve_targets(actor, params_filters, ids)
    changes = normalise_changes(changes)
    bad = [k for k in (extra or {}) if not str(k).strip().isdigit()]
    if bad:
        raise ValidationError(
            {"extra": [f"Campos extra: «{bad[0]}» no es el número de un campo extra."]}
        )
    extra = {int(k): v for k, v in (extra or {}).items()}
    if not changes and not extra:
        raise ValidationError({"__all__": ["Elija al menos un campo para actualizar."]})
    count = targets.count()
    if count <= SYNC_MASS_UPDATE_LIMIT:
        return clients_mass_update(actor=actor, targets=targets, changes=changes, extra=extra)
    with transaction.atomic():
        job = Job.objects.create(
            kind=MASS_UPDATE_KIND,
            created_by=actor,
            total=count,
            params={
                "filters": params_filters,
                "ids": ids,
                "changes": changes,
                "extra": {str(k): v for k, v in extra.items()},
            },
        )
        transaction.on_commit(lambda: mass_update_task.enqueue(job.pk))
    return job


# --- imports (clients/importing.py) ---------------------------------------------------------

IMPORT_KIND = "clients.import"


@task()
def import_task(job_id: int) -> str:
    """One step of a DataImport: the dry run ("check") or the import ("run")."""
    from ispgest.clients import importing
    from ispgest.clients.models import DataImport

    job = _claim(job_id)
    if job is None:
        return "skipped"
    imp = DataImport.objects.get(pk=job.params["import_id"])
    step = job.params.get("step")

    def progress(done: int) -> None:
        Job.objects.filter(pk=job.pk).update(done=done)

    try:
        if step == "check":
            imp = importing.import_check(actor=job.created_by, imp=imp, progress=progress)
            message = f"Simulación terminada: {imp.valid_count} filas válidas, "
            message += f"{imp.error_count} con errores."
        else:
            imp = importing.import_run(actor=job.created_by, imp=imp, progress=progress)
            message = f"Importación terminada: {imp.imported_count} registros importados."
    except ValidationError as exc:
        text = " ".join(exc.messages)
        importing.import_fail(imp.pk, text, step=step)
        _fail(job_id, text)
        return "invalid"
    except Exception as exc:
        logger.exception("import %s step %s failed", imp.pk, step)
        text = f"No se importó nada: {type(exc).__name__}: {exc}"
        importing.import_fail(imp.pk, text, step=step)
        _fail(job_id, text)
        return "failed"
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.DONE,
        finished_at=timezone.now(),
        done=imp.row_count,
        total=imp.row_count,
        message=message,
    )
    return "done"


def start_import_job(*, actor, imp, step: str) -> Job:
    with transaction.atomic():
        job = Job.objects.create(
            kind=IMPORT_KIND,
            created_by=actor if getattr(actor, "pk", None) else None,
            total=imp.row_count,
            params={"import_id": imp.pk, "step": step},
            message="Comprobando filas…" if step == "check" else "Importando…",
        )
        type(imp).objects.filter(pk=imp.pk).update(job=job)
        imp.job = job
        transaction.on_commit(lambda: import_task.enqueue(job.pk))
    return job

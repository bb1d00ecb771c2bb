"""The submission queue ("remisión"): per issuer, records go to the agency in chain order,
in batches of up to 1,000, never sooner than the wait the agency's last answer asked for
(TiempoEsperaEnvio) unless 1,000 records are already waiting.

One worker at a time sends for an issuer: it claims the issuer with a conditional UPDATE (a
lease, so a crashed worker's claim expires) and holds no database lock while it talks to the
agency. An answer is applied record by record; a transport failure (no connection, time-out,
dropped connection, a certificate that no longer opens) changes no record: they stay queued
in order and are sent later, with a growing pause, and flagged as sent after an incident
(Incidencia = S) once the agency is back.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from ispgest.core.audit import audit
from ispgest.fiscal.models import Issuer, Record, RecordStatus, SoftwareRelease, Submission
from ispgest.fiscal.verifactu import certs, client
from ispgest.fiscal.verifactu import huella as H
from ispgest.fiscal.verifactu import xml as X

BATCH = 1000
LEASE = timedelta(minutes=10)
MAX_BACKOFF = 3600
DUPLICATE = 3000  # "Registro de facturación duplicado"

_STATUS_OF_LINE = {
    "Correcto": RecordStatus.ACCEPTED,
    "AceptadoConErrores": RecordStatus.ACCEPTED_WITH_ERRORS,
    "Incorrecto": RecordStatus.REJECTED,
}
_STATUS_OF_DUPLICATE = {
    "Correcta": RecordStatus.ACCEPTED,
    "AceptadaConErrores": RecordStatus.ACCEPTED_WITH_ERRORS,
    "Anulada": RecordStatus.ACCEPTED,
}


def pending(issuer: Issuer):
    """The issuer's queue: records of its current environment not yet answered, in order.
    (Test-environment records left when an issuer moves to production are never sent.)"""
    return Record.objects.filter(
        issuer_id=issuer.pk, status=RecordStatus.PENDING, environment=issuer.environment
    ).order_by("position")


def is_due(issuer: Issuer, now, waiting: int) -> bool:
    if waiting == 0 or not issuer.certificate:
        return False
    return waiting >= BATCH or issuer.next_send_at is None or issuer.next_send_at <= now


def _claim(issuer_id: int, now) -> bool:
    return bool(
        Issuer.objects.filter(pk=issuer_id)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .update(claimed_until=now + LEASE)
    )


def _release(issuer_id: int) -> None:
    Issuer.objects.filter(pk=issuer_id).update(claimed_until=None)


def submit_issuer(
    issuer_id: int, *, force: bool = False, max_batches: int = 50
) -> list[Submission]:
    """Send what is due for one issuer (`force`: ignore the wait, for "Reintentar")."""
    done: list[Submission] = []
    for _ in range(max_batches):
        now = timezone.now()
        issuer = Issuer.objects.get(pk=issuer_id)
        waiting = pending(issuer)[:BATCH].count()
        if not (force and waiting and issuer.certificate) and not is_due(issuer, now, waiting):
            break
        if not _claim(issuer_id, now):
            break
        try:
            submission = _send_batch(Issuer.objects.get(pk=issuer_id))
        finally:
            _release(issuer_id)
        if submission is None:
            break
        done.append(submission)
        force = False
        if submission.status == Submission.Status.FAILED:
            break
    return done


def build_batch(issuer: Issuer, records: list[Record], *, incident: bool):
    software = {
        s.pk: s for s in SoftwareRelease.objects.filter(pk__in={r.software_id for r in records})
    }
    root = X.submission_element(
        nif=issuer.nif, name=issuer.name, records=records, software=software, incident=incident
    )
    X.validate(root)
    return root


def _send_batch(issuer: Issuer) -> Submission | None:
    records = list(pending(issuer)[:BATCH])
    if not records:
        return None
    incident = issuer.failing_since is not None
    submission = Submission.objects.create(
        issuer=issuer,
        environment=issuer.environment,
        incident=incident,
        count=len(records),
        first_position=records[0].position,
        last_position=records[-1].position,
    )
    try:
        envelope = X.envelope(build_batch(issuer, records, incident=incident))
        data = client.post(issuer, envelope)
        answer = X.parse_answer(data)
    except certs.CertificateError as exc:
        return _failed(issuer, submission, str(exc))
    except client.TransportError as exc:
        return _failed(issuer, submission, str(exc))
    except X.Fault as exc:
        return _failed(issuer, submission, f"La AEAT rechazó el envío: {exc.text or exc.code}")
    except X.SchemaError as exc:
        return _failed(issuer, submission, f"Respuesta de la AEAT no reconocida: {exc}")
    return _apply(issuer, submission, records, answer, data)


def _failed(issuer: Issuer, submission: Submission, message: str) -> Submission:
    now = timezone.now()
    failures = issuer.failures + 1
    pause = min(60 * 2 ** (failures - 1), MAX_BACKOFF)
    with transaction.atomic():
        submission.status = Submission.Status.FAILED
        submission.finished_at = now
        submission.error = message
        submission.save(update_fields=["status", "finished_at", "error"])
        Issuer.objects.filter(pk=issuer.pk).update(
            failures=F("failures") + 1,
            failing_since=issuer.failing_since or now,
            next_send_at=now + timedelta(seconds=pause),
            last_error=message,
        )
        audit(
            actor=None,
            action="fiscal.submission_failed",
            obj=submission,
            summary=f"Envío de {submission.count} registros de {issuer.nif} sin respuesta: {message}",
        )
    return submission


def _line_key(line: X.LineAnswer) -> tuple:
    return (line.num_serie, line.fecha, "anulacion" if line.operation == "Anulacion" else "alta")


def _apply(issuer, submission, records, answer: X.Answer, data: bytes) -> Submission:
    now = timezone.now()
    by_ref = {f"R{r.position}": r for r in records}
    by_key = {(r.num_serie, H.fecha(r.issue_date), r.kind): r for r in records}
    groups: dict[tuple, list[int]] = defaultdict(list)
    counts = {s: 0 for s in RecordStatus}
    for line in answer.lines:
        record = by_ref.get(line.ref) or by_key.get(_line_key(line))
        if record is None:
            continue
        status = _STATUS_OF_LINE.get(line.status, RecordStatus.REJECTED)
        code, text = line.code, line.text
        if status == RecordStatus.REJECTED and code == DUPLICATE and line.duplicate_status:
            # Registered by an earlier submission whose answer was lost.
            status = _STATUS_OF_DUPLICATE.get(line.duplicate_status, RecordStatus.ACCEPTED)
            text = f"Ya constaba en la AEAT ({line.duplicate_status}). {text}".strip()
        if status == RecordStatus.ACCEPTED:
            code, text = (None, text) if code == DUPLICATE else (None, "")
        groups[(status, code, text[:1500])].append(record.pk)
        counts[status] += 1
    with transaction.atomic():
        for (status, code, text), ids in groups.items():
            Record.objects.filter(pk__in=ids).update(
                status=status,
                error_code=code,
                error_text=text,
                submission=submission,
                sent_at=now,
            )
        answered = sum(counts.values())
        if answered == 0:
            submission.status = Submission.Status.REJECTED
        elif counts[RecordStatus.REJECTED] == answered:
            submission.status = Submission.Status.REJECTED
        elif counts[RecordStatus.REJECTED]:
            submission.status = Submission.Status.PARTIAL
        else:
            submission.status = Submission.Status.CORRECT
        submission.finished_at = now
        submission.accepted = counts[RecordStatus.ACCEPTED]
        submission.accepted_with_errors = counts[RecordStatus.ACCEPTED_WITH_ERRORS]
        submission.rejected = counts[RecordStatus.REJECTED]
        submission.csv = answer.csv[:64]
        submission.wait_seconds = answer.wait_seconds
        submission.response_xml = data.decode("utf-8", "replace")[:2_000_000]
        if answered == 0:
            submission.error = (
                f"La AEAT rechazó el envío entero ({answer.status}): ningún registro quedó "
                "registrado; siguen en la cola."
            )
        submission.save()
        Issuer.objects.filter(pk=issuer.pk).update(
            failures=0,
            failing_since=None,
            last_error=submission.error,
            last_sent_at=now,
            wait_seconds=answer.wait_seconds,
            next_send_at=now + timedelta(seconds=answer.wait_seconds),
        )
        audit(
            actor=None,
            action="fiscal.submission",
            obj=submission,
            summary=(
                f"Envío de {submission.count} registros de {issuer.nif}: "
                f"{submission.get_status_display()} (CSV {submission.csv or '—'})"
            ),
        )
    return submission


def due_issuers() -> list[int]:
    """Issuers with records waiting and a certificate (the scheduled job's work list)."""
    return [i.pk for i in Issuer.objects.exclude(certificate="") if pending(i).exists()]

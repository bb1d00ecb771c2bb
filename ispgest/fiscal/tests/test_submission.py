"""Submission to the agency: against the stand-in AEAT on loopback (real HTTPS with client
certificates, every request checked against the XSD, answers per RespuestaSuministro.xsd)."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from ispgest.billing import services as billing
from ispgest.billing.models import Invoice, InvoiceStatus
from ispgest.billing.services import LineInput
from ispgest.core.models import AuditEntry
from ispgest.fiscal import services
from ispgest.fiscal.models import Issuer, Record, RecordKind, RecordStatus, Submission
from ispgest.fiscal.tests.factories import spanish_client, spanish_entity
from ispgest.fiscal.verifactu import queue, records

pytestmark = pytest.mark.django_db


def _issue(client, n=1):
    return [
        billing.document_create(
            actor=None, client=client, lines=[LineInput("Fibra", "1", "30")], notify=False
        )
        for _ in range(n)
    ]


def _issuer():
    return Issuer.objects.get()


def _send(force=True):
    return queue.submit_issuer(_issuer().pk, force=force)


def test_records_wait_without_a_certificate_and_go_once_it_is_uploaded(aeat):
    client = spanish_client(spanish_entity())
    _issue(client, 3)
    assert Record.objects.filter(status=RecordStatus.PENDING).count() == 3
    assert aeat.standin.received == []
    aeat.give_certificate(_issuer())  # uploading enqueues the queue (immediate backend)
    assert Record.objects.filter(status=RecordStatus.ACCEPTED).count() == 3
    (sub,) = aeat.standin.received
    assert [r["num"] for r in sub.records] == list(
        Invoice.objects.order_by("id").values_list("number_display", flat=True)
    )
    assert sub.records[0]["first"] and sub.records[1]["previous"] == sub.records[0]["huella"]
    assert "VATES-B12345674" in sub.client_subject
    submission = Submission.objects.get()
    assert submission.status == Submission.Status.CORRECT and submission.csv
    assert aeat.standin.invalid == []


def test_issuing_enqueues_the_send_and_the_wait_is_respected(aeat):
    client = spanish_client(spanish_entity())
    _issue(client, 1)
    aeat.give_certificate(_issuer())
    assert len(aeat.standin.received) == 1
    issuer = _issuer()
    assert issuer.wait_seconds == 60 and issuer.next_send_at > timezone.now()
    with aeat.committing():
        _issue(client, 2)  # within the 60 s the agency asked for: they wait
    assert len(aeat.standin.received) == 1
    assert Record.objects.filter(status=RecordStatus.PENDING).count() == 2
    Issuer.objects.update(next_send_at=timezone.now() - timedelta(seconds=1))
    queue.submit_issuer(issuer.pk)
    assert len(aeat.standin.received) == 2
    assert not Record.objects.filter(status=RecordStatus.PENDING).exists()


def test_a_longer_wait_asked_by_the_agency_is_kept(aeat):
    aeat.standin.wait_seconds = 1800
    client = spanish_client(spanish_entity())
    _issue(client)
    aeat.give_certificate(_issuer())
    issuer = _issuer()
    assert issuer.wait_seconds == 1800
    assert issuer.next_send_at - issuer.last_sent_at == timedelta(seconds=1800)
    _issue(client)
    queue.submit_issuer(issuer.pk)  # not forced: too early
    assert len(aeat.standin.received) == 1


def test_a_rejected_record_is_marked_and_the_rest_of_the_batch_accepted(aeat):
    client = spanish_client(spanish_entity())
    invoices = _issue(client, 4)
    bad = invoices[2].number_display
    aeat.standin.reject[bad] = (1100, "Valor o tipo incorrecto del campo: NombreRazon.")
    aeat.give_certificate(_issuer())
    statuses = dict(Record.objects.values_list("num_serie", "status"))
    assert statuses.pop(bad) == RecordStatus.REJECTED
    assert set(statuses.values()) == {RecordStatus.ACCEPTED}
    rejected = Record.objects.get(num_serie=bad)
    assert rejected.error_code == 1100 and "NombreRazon" in rejected.error_text
    assert Submission.objects.get().status == Submission.Status.PARTIAL


def test_a_rejected_record_is_corrected_and_resubmitted_with_rechazo_previo(aeat, admin_user):
    client = spanish_client(spanish_entity())
    (invoice,) = _issue(client)
    aeat.standin.reject[invoice.number_display] = (4107, "El NIF no está identificado en el censo.")
    aeat.give_certificate(_issuer())
    rejected = Record.objects.get()
    assert rejected.status == RecordStatus.REJECTED
    fixed = services.record_correct(
        actor=admin_user,
        record=rejected,
        reason="NIF del cliente corregido",
        recipient_tax_id="87654321X",
    )
    assert fixed.subsanacion and fixed.rechazo_previo == "X" and fixed.corrects_id == rejected.pk
    assert fixed.recipient_nif == "87654321X" and fixed.position == 2
    assert fixed.previous_huella == rejected.huella
    with aeat.committing():
        services.issuer_submit_now(actor=admin_user, issuer=_issuer())
    fixed.refresh_from_db()
    assert fixed.status == RecordStatus.ACCEPTED
    last = aeat.standin.received[-1].records[0]
    assert last["subsanacion"] and last["rechazo_previo"] == "X"
    assert AuditEntry.objects.filter(action="fiscal.record_corrected").exists()
    with pytest.raises(ValidationError, match="rechazados o aceptados con errores"):
        services.record_correct(actor=admin_user, record=fixed, reason="otra vez")


def test_accepted_with_errors_is_shown_and_can_be_corrected(aeat, admin_user):
    client = spanish_client(spanish_entity())
    (invoice,) = _issue(client)
    aeat.standin.with_errors[invoice.number_display] = (2000, "El NIF del destinatario no coincide")
    aeat.give_certificate(_issuer())
    record = Record.objects.get()
    assert record.status == RecordStatus.ACCEPTED_WITH_ERRORS and record.error_code == 2000
    fixed = services.record_correct(
        actor=admin_user, record=record, reason="Nombre corregido", recipient_name="Ana Pérez Gómez"
    )
    assert (
        fixed.subsanacion
        and fixed.rechazo_previo == ""
        and fixed.recipient_name == "Ana Pérez Gómez"
    )


def test_an_unreachable_agency_for_an_hour_loses_nothing_and_sends_later_in_order(aeat):
    client = spanish_client(spanish_entity())
    issuer = aeat.give_certificate(records.issuer_for("B12345674", "Red Norte S.L."))
    aeat.standin.stop()
    for _round in range(6):  # an hour of attempts, with the pauses pushed into the past
        _issue(client, 3)
        Issuer.objects.update(next_send_at=timezone.now() - timedelta(seconds=1))
        (failed,) = queue.submit_issuer(issuer.pk)
        assert failed.status == Submission.Status.FAILED
        assert "No se pudo conectar" in failed.error
    issuer.refresh_from_db()
    assert issuer.failures == 6 and issuer.failing_since is not None
    assert issuer.next_send_at - timezone.now() > timedelta(minutes=30)  # growing pause
    assert Record.objects.filter(status=RecordStatus.PENDING).count() == 18
    aeat.standin.start()  # back, on the same port
    queue.submit_issuer(issuer.pk, force=True)
    (sub,) = aeat.standin.received
    assert sub.incident  # flagged as sent after an incident
    assert [r["num"] for r in sub.records] == list(
        Record.objects.order_by("position").values_list("num_serie", flat=True)
    )
    assert not Record.objects.exclude(status=RecordStatus.ACCEPTED).exists()
    issuer.refresh_from_db()
    assert issuer.failures == 0 and issuer.failing_since is None


@pytest.mark.parametrize("mode", ["timeout", "drop"])
def test_a_lost_answer_is_resent_and_the_duplicates_count_as_accepted(aeat, mode):
    client = spanish_client(spanish_entity())
    _issue(client, 2)
    aeat.standin.mode, aeat.standin.mode_times, aeat.standin.hang_seconds = mode, 1, 4
    aeat.give_certificate(_issuer())
    (failed,) = Submission.objects.all()
    assert failed.status == Submission.Status.FAILED
    assert ("no respondió a tiempo" if mode == "timeout" else "se cortó") in failed.error
    assert Record.objects.filter(status=RecordStatus.PENDING).count() == 2
    _issue(client, 1)
    _send()
    assert [r["num"] for r in aeat.standin.received[-1].records] == list(
        Record.objects.order_by("position").values_list("num_serie", flat=True)
    )
    assert set(Record.objects.values_list("status", flat=True)) == {RecordStatus.ACCEPTED}
    assert Record.objects.filter(error_text__startswith="Ya constaba").count() == 2


def test_a_soap_fault_keeps_the_records_queued_with_the_reason(aeat):
    client = spanish_client(spanish_entity())
    _issue(client)
    aeat.standin.mode, aeat.standin.mode_times = "fault", 1
    aeat.give_certificate(_issuer())
    sub = Submission.objects.get()
    assert sub.status == Submission.Status.FAILED and "4109" in sub.error
    assert Record.objects.get().status == RecordStatus.PENDING
    assert "4109" in _issuer().last_error


def test_batches_hold_at_most_1000_records_and_1000_waiting_go_without_waiting(aeat):
    from datetime import date

    from ispgest.billing import engine
    from ispgest.billing.models import BillingRun
    from ispgest.fiscal.tests.factories import make_contract, plan

    entity = spanish_entity()
    issuer = aeat.give_certificate(records.issuer_for("B12345674", "Red Norte S.L."))
    # The agency asked for a long wait a moment ago...
    Issuer.objects.filter(pk=issuer.pk).update(
        wait_seconds=3600, next_send_at=timezone.now() + timedelta(hours=1)
    )
    aeat.standin.wait_seconds = 3600
    p = plan("20.00")
    for _ in range(1005):
        make_contract(spanish_client(entity), p, start=date(2025, 1, 1))
    with aeat.committing():
        engine.billing_run_execute(
            BillingRun.objects.create(run_date=date(2026, 11, 1)), notify=False, chunk_size=2000
        )
    # ...but 1,000 records waiting go at once; the other 5 wait for the pause.
    assert [len(s.records) for s in aeat.standin.received] == [1000]
    assert Record.objects.filter(status=RecordStatus.PENDING).count() == 5
    assert set(Record.objects.filter(position__lte=1000).values_list("status", flat=True)) == {
        RecordStatus.ACCEPTED
    }


def test_an_anulacion_voids_the_invoice_and_is_chained_and_sent(aeat, admin_user):
    client = spanish_client(spanish_entity())
    (invoice,) = _issue(client)
    aeat.give_certificate(_issuer())
    record = services.record_cancel(actor=admin_user, invoice=invoice, reason="Emitida por error")
    assert record.kind == RecordKind.ANULACION and record.position == 2
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.VOIDED
    _send()
    assert aeat.standin.received[-1].records[0]["op"] == "Anulacion"
    record.refresh_from_db()
    assert record.status == RecordStatus.ACCEPTED
    assert AuditEntry.objects.filter(action="fiscal.record_cancelled", actor=admin_user).exists()
    with pytest.raises(ValidationError, match="ya está anulado"):
        services.record_cancel(actor=admin_user, invoice=invoice, reason="otra")
    with pytest.raises(ValidationError, match="anulada"):
        billing.credit_note_create(actor=None, invoice=invoice, reason="x", notify=False)


def test_a_paid_invoice_cannot_be_cancelled(admin_user):
    from ispgest.billing.tests.factories import method

    client = spanish_client(spanish_entity())
    (invoice,) = _issue(client)
    billing.payment_register(
        actor=None,
        client=client,
        method=method("cash"),
        amount="10",
        invoices=[invoice],
        notify=False,
    )
    with pytest.raises(ValidationError, match="nota de crédito"):
        services.record_cancel(actor=admin_user, invoice=invoice, reason="Error")
    assert Record.objects.filter(kind=RecordKind.ANULACION).count() == 0


def test_an_expired_or_wrong_password_certificate_is_refused_in_spanish(aeat):
    from datetime import UTC, datetime

    client = spanish_client(spanish_entity())
    _issue(client)
    issuer = _issuer()
    with pytest.raises(ValidationError, match="contraseña del certificado no es correcta"):
        services.issuer_certificate_upload(
            actor=None, issuer=issuer, data=aeat.p12("buena"), password="mala"
        )
    past = datetime.now(UTC) - timedelta(days=400)
    expired = aeat.p12("clave", not_before=past, not_after=past + timedelta(days=30))
    with pytest.raises(ValidationError, match="caducó"):
        services.issuer_certificate_upload(
            actor=None, issuer=issuer, data=expired, password="clave"
        )
    with pytest.raises(ValidationError, match="PKCS#12"):
        services.issuer_certificate_upload(
            actor=None, issuer=issuer, data=b"-----BEGIN CERTIFICATE-----", password="x"
        )
    assert not _issuer().certificate


def test_a_certificate_that_expired_after_upload_stops_sending_with_a_clear_error(aeat):
    from datetime import UTC, datetime

    client = spanish_client(spanish_entity())
    _issue(client)
    issuer = _issuer()
    soon = aeat.p12("clave", not_after=datetime.now(UTC) + timedelta(seconds=2))
    services.issuer_certificate_upload(actor=None, issuer=issuer, data=soon, password="clave")
    Record.objects.update(status=RecordStatus.PENDING)
    Submission.objects.all()
    import time

    time.sleep(2.5)
    _send()
    sub = Submission.objects.order_by("-id").first()
    assert sub.status == Submission.Status.FAILED and "caducó" in sub.error
    assert Record.objects.get().status == RecordStatus.PENDING


def test_the_certificate_is_stored_encrypted_and_never_in_clear(aeat):
    client = spanish_client(spanish_entity())
    _issue(client)
    data = aeat.p12("secreta-99")
    issuer = services.issuer_certificate_upload(
        actor=None, issuer=_issuer(), data=data, password="secreta-99"
    )
    import base64

    assert "secreta-99" not in issuer.certificate_password
    assert base64.b64encode(data).decode()[:40] not in issuer.certificate
    assert issuer.certificate_nif == "B12345674"
    assert "secreta" not in AuditEntry.objects.get(action="fiscal.certificate_uploaded").summary

"""Invoice records: generated with the document, chained, recomputable, XSD-valid."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone
from lxml import etree

from ispgest.billing import engine, services
from ispgest.billing.models import BillingRun, Invoice
from ispgest.billing.services import LineInput
from ispgest.catalog.models import FiscalRegime
from ispgest.fiscal.models import Record, RecordKind
from ispgest.fiscal.tests.factories import (
    ISSUER_NIF,
    make_contract,
    plan,
    spanish_client,
    spanish_entity,
)
from ispgest.fiscal.verifactu import huella as H
from ispgest.fiscal.verifactu import records
from ispgest.fiscal.verifactu import xml as X

pytestmark = pytest.mark.django_db


def _invoice(client, *lines, issue_date=None):
    return services.document_create(
        actor=None,
        client=client,
        lines=[LineInput(d, q, p) for d, q, p in lines] or [LineInput("Fibra 300", "1", "30")],
        issue_date=issue_date,
        notify=False,
    )


# --- the huella, against the AEAT's worked examples ------------------------------------------


def test_the_huella_matches_the_agency_worked_examples():
    first = H.alta(
        nif="89890001K",
        num_serie="12345678/G33",
        issue_date=date(2024, 1, 1),
        invoice_type="F1",
        tax_total=Decimal("12.35"),
        total=Decimal("123.45"),
        previous_huella="",
        generated_at="2024-01-01T19:20:30+01:00",
    )
    assert first == "3C464DAF61ACB827C65FDA19F352A4E3BDC2C640E9E9FC4CC058073F38F12F60"
    second = H.alta(
        nif="89890001K",
        num_serie="12345679/G34",
        issue_date=date(2024, 1, 1),
        invoice_type="F1",
        tax_total=Decimal("12.35"),
        total=Decimal("123.45"),
        previous_huella=first,
        generated_at="2024-01-01T19:20:35+01:00",
    )
    assert second == "F7B94CFD8924EDFF273501B01EE5153E4CE8F259766F88CF6ACB8935802A2B97"
    cancel = H.anulacion(
        nif="89890001K",
        num_serie="12345679/G34",
        issue_date=date(2024, 1, 1),
        previous_huella=second,
        generated_at="2024-01-01T19:20:40+01:00",
    )
    assert cancel == "177547C0D57AC74748561D054A9CEC14B4C4EA23D1BEFD6F2E69E3A388F90C68"


# --- generation --------------------------------------------------------------------------------


def test_a_manual_invoice_of_a_verifactu_entity_gets_its_alta_in_the_same_transaction():
    entity = spanish_entity()
    client = spanish_client(entity, tax_id="12345678Z", name="Ana Pérez")
    invoice = _invoice(client, ("Fibra 300", "1", "30.00"), ("Router", "1", "10.00"))
    (record,) = Record.objects.filter(invoice=invoice)
    assert record.kind == RecordKind.ALTA
    assert record.position == 1 and record.is_first
    assert record.issuer_nif == ISSUER_NIF and record.issuer_name == "Red Norte S.L."
    assert record.num_serie == invoice.number_display
    assert record.issue_date == invoice.issue_date
    assert record.invoice_type == "F1"
    assert record.recipient_nif == "12345678Z" and record.recipient_name == "Ana Pérez"
    assert record.breakdown == [
        {
            "impuesto": "01",
            "clave_regimen": "01",
            "calificacion": "S1",
            "base": "40.00",
            "tipo": "21.00",
            "cuota": "8.40",
        }
    ]
    assert record.tax_total == Decimal("8.40") and record.total == Decimal("48.40")
    assert record.huella == H.of_record(record)
    assert record.generated_at_text.endswith(("+01:00", "+02:00"))
    assert record.software.producer_nif == "A58700329"


def test_fantasy_and_regimeless_entities_produce_no_records():
    plain = spanish_entity(regime=FiscalRegime.NONE, nif="A58700329", name="Sin régimen S.A.")
    _invoice(spanish_client(plain))
    assert not Record.objects.exists()
    quote = services.document_create(
        actor=None,
        client=spanish_client(spanish_entity()),
        kind="quote",
        lines=[LineInput("Instalación", "1", "50")],
        notify=False,
    )
    assert not Record.objects.filter(invoice=quote).exists()


def test_records_chain_per_issuer_in_issue_order_and_recompute():
    entity = spanish_entity()
    client = spanish_client(entity)
    invoices = [_invoice(client) for _ in range(4)]
    rows = list(Record.objects.order_by("position"))
    assert [r.invoice_id for r in rows] == [i.pk for i in invoices]
    assert [r.position for r in rows] == [1, 2, 3, 4]
    for prev, rec in zip(rows, rows[1:], strict=False):
        assert rec.previous_huella == prev.huella
        assert rec.previous_num_serie == prev.num_serie
        assert rec.previous_issue_date == prev.issue_date
        assert rec.generated_at >= prev.generated_at
    assert records.chain_problems(rows[0].issuer) == []


def test_a_billing_run_records_every_invoice_and_a_credit_note_gets_an_r1():
    entity = spanish_entity()
    p = plan("30.00")
    contracts = [make_contract(spanish_client(entity), p, start=date(2025, 1, 1)) for _ in range(5)]
    run = engine.billing_run_execute(
        BillingRun.objects.create(run_date=date(2026, 11, 1)), notify=False
    )
    assert run.invoices_issued == 5
    invoices = list(Invoice.objects.filter(contract__in=contracts).order_by("id"))
    assert Record.objects.filter(invoice__in=invoices).count() == 5
    note = services.credit_note_create(
        actor=None, invoice=invoices[0], amount="12.10", reason="Corte del servicio", notify=False
    )
    credit = Record.objects.get(invoice=note)
    assert credit.invoice_type == "R1" and credit.rectification_type == "I"
    assert credit.rectified == [
        [ISSUER_NIF, invoices[0].number_display, H.fecha(invoices[0].issue_date)]
    ]
    assert credit.total == Decimal("-12.10") and credit.tax_total == Decimal("-2.10")
    assert credit.breakdown[0]["base"] == "-10.00" and credit.breakdown[0]["cuota"] == "-2.10"
    assert credit.position == 6 and credit.previous_huella == Record.objects.get(position=5).huella
    X.validate(X.record_element(credit), "SuministroInformacion.xsd")


def test_a_simplified_invoice_is_f2_without_recipient_and_its_credit_note_r5():
    entity = spanish_entity()
    client = spanish_client(entity, simplified=True, tax_id="")
    invoice = _invoice(client, ("Bono 10 GB", "1", "15"))
    alta = Record.objects.get(invoice=invoice)
    assert alta.invoice_type == "F2" and alta.recipient_name == ""
    note = services.credit_note_create(actor=None, invoice=invoice, reason="Error", notify=False)
    assert Record.objects.get(invoice=note).invoice_type == "R5"
    element = X.record_element(alta)
    assert element.find(X._sf("Destinatarios")) is None
    X.validate(element, "SuministroInformacion.xsd")


# --- refusals before issue ---------------------------------------------------------------------


def test_a_recipient_nif_with_a_wrong_check_digit_is_refused_before_issue():
    entity = spanish_entity()
    client = spanish_client(entity, tax_id="12345678A")  # the letter of 12345678 is Z
    with pytest.raises(ValidationError) as exc:
        _invoice(client)
    assert "dígito de control" in str(exc.value)
    assert not Invoice.objects.exists() and not Record.objects.exists()


def test_a_billing_run_turns_a_bad_recipient_into_that_contracts_error_only():
    entity = spanish_entity()
    p = plan("30.00")
    good = [make_contract(spanish_client(entity), p, start=date(2025, 1, 1)) for _ in range(3)]
    bad = make_contract(spanish_client(entity, tax_id="87654321A"), p, start=date(2025, 1, 1))
    run = engine.billing_run_execute(
        BillingRun.objects.create(run_date=date(2026, 11, 1)), notify=False
    )
    assert run.invoices_issued == 3
    assert [e["contract_id"] for e in run.errors] == [bad.pk]
    assert "87654321A" in run.errors[0]["message"]
    assert set(Invoice.objects.values_list("contract_id", flat=True)) == {c.pk for c in good}
    assert Record.objects.count() == 3


def test_a_complete_invoice_without_recipient_id_and_a_future_date_are_refused():
    entity = spanish_entity()
    with pytest.raises(ValidationError, match="factura completa necesita"):
        _invoice(spanish_client(entity, tax_id=""))
    tomorrow = timezone.localdate() + timedelta(days=2)
    with pytest.raises(ValidationError, match="posterior a hoy"):
        _invoice(spanish_client(entity), issue_date=tomorrow)


def test_a_simplified_invoice_over_400_euros_is_refused():
    entity = spanish_entity()
    with pytest.raises(ValidationError, match="400"):
        _invoice(spanish_client(entity, simplified=True), ("Equipo", "1", "400"))


def test_nothing_is_issued_while_the_invoicing_system_has_no_producer_nif(settings):
    settings.ISPGEST_VERIFACTU_PRODUCER_NIF = ""
    with pytest.raises(ValidationError, match="ISPGEST_VERIFACTU_PRODUCER_NIF"):
        _invoice(spanish_client(spanish_entity()))


def test_a_failure_while_recording_rolls_the_numbered_document_back(monkeypatch):
    """A crash between numbering and record: neither exists (same transaction)."""
    entity = spanish_entity()
    client = spanish_client(entity)
    _invoice(client)

    def crash(*args, **kwargs):
        raise RuntimeError("killed between numbering and record")

    monkeypatch.setattr(records, "append_records", crash)
    with pytest.raises(RuntimeError):
        _invoice(client)
    assert Invoice.objects.count() == 1 and Record.objects.count() == 1
    monkeypatch.undo()
    again = _invoice(client)
    assert again.number == 2  # the number came back: gapless
    assert Record.objects.get(invoice=again).position == 2


# --- XML ----------------------------------------------------------------------------------------


def test_a_submission_of_records_validates_against_the_agency_schema():
    entity = spanish_entity()
    client = spanish_client(entity)
    for _ in range(3):
        _invoice(client)
    rows = list(Record.objects.order_by("position"))
    software = {r.software_id: r.software for r in rows}
    root = X.submission_element(
        nif=ISSUER_NIF, name="Red Norte S.L.", records=rows, software=software, incident=True
    )
    X.validate(root)
    ns = {"sf": X.NS_SF, "lr": X.NS_LR}
    altas = root.findall("lr:RegistroFactura/sf:RegistroAlta", ns)
    assert len(altas) == 3
    assert altas[0].find("sf:Encadenamiento/sf:PrimerRegistro", ns).text == "S"
    prev = altas[1].find("sf:Encadenamiento/sf:RegistroAnterior", ns)
    assert prev.find("sf:Huella", ns).text == rows[0].huella
    assert altas[2].find("sf:Huella", ns).text == rows[2].huella
    assert root.find("lr:Cabecera/sf:RemisionVoluntaria/sf:Incidencia", ns).text == "S"


def test_the_schema_check_catches_a_broken_record():
    entity = spanish_entity()
    _invoice(spanish_client(entity))
    element = X.record_element(Record.objects.get())
    element.find(X._sf("TipoFactura")).text = "F9"
    with pytest.raises(X.SchemaError):
        X.validate(element, "SuministroInformacion.xsd")


def test_a_foreign_recipient_goes_as_idotro():
    entity = spanish_entity()
    client = spanish_client(entity)
    Client = type(client)
    Client.objects.filter(pk=client.pk).update(tax_id="20123456786", tax_id_kind="CUIT")
    client.refresh_from_db()
    invoice = _invoice(client)
    record = Record.objects.get(invoice=invoice)
    assert (record.recipient_country, record.recipient_id_type, record.recipient_id) == (
        "AR",
        "04",
        "20123456786",
    )
    element = X.record_element(record)
    X.validate(element, "SuministroInformacion.xsd")
    assert (
        element.find(f"{X._sf('Destinatarios')}/{X._sf('IDDestinatario')}/{X._sf('IDOtro')}")
        is not None
    )


# --- nothing changes after issue ---------------------------------------------------------------


def test_an_issued_invoice_and_its_record_refuse_every_edit():
    from ispgest.core.models import ImmutableRowError

    entity = spanish_entity()
    invoice = _invoice(spanish_client(entity))
    record = Record.objects.get(invoice=invoice)
    invoice.total = Decimal("1.00")
    with pytest.raises(ImmutableRowError):
        invoice.save()
    with pytest.raises(ImmutableRowError):
        invoice.save(update_fields=["total"])
    with pytest.raises(ImmutableRowError):
        Invoice.objects.filter(pk=invoice.pk).update(client_name="Otro")
    with pytest.raises(ImmutableRowError):
        invoice.delete()
    record.huella = "0" * 64
    with pytest.raises(ImmutableRowError):
        record.save()
    with pytest.raises(ImmutableRowError):
        Record.objects.filter(pk=record.pk).update(total=Decimal("0"))
    with pytest.raises(ImmutableRowError):
        Record.objects.filter(pk=record.pk).delete()
    # What payments and the agency's answer move still moves.
    Invoice.objects.filter(pk=invoice.pk).update(sepa_state="submitted")
    Record.objects.filter(pk=record.pk).update(error_text="x")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL triggers")
def test_postgresql_refuses_raw_sql_edits_of_an_invoice_or_its_record():
    from django.db import DatabaseError, transaction

    entity = spanish_entity()
    invoice = _invoice(spanish_client(entity))
    record = Record.objects.get(invoice=invoice)
    for sql in (
        f"UPDATE billing_invoice SET total = 1 WHERE id = {invoice.pk}",
        f"UPDATE billing_invoice SET number_display = 'X' WHERE id = {invoice.pk}",
        f"DELETE FROM billing_invoice WHERE id = {invoice.pk}",
        f"UPDATE fiscal_record SET huella = 'X' WHERE id = {record.pk}",
        f"UPDATE fiscal_record SET recipient_nif = '00000000T' WHERE id = {record.pk}",
        f"DELETE FROM fiscal_record WHERE id = {record.pk}",
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
            cur.execute(sql)
    with connection.cursor() as cur:
        cur.execute(f"UPDATE fiscal_record SET status = 'accepted' WHERE id = {record.pk}")
        cur.execute(f"UPDATE billing_invoice SET sepa_state = 'submitted' WHERE id = {invoice.pk}")


def test_the_xml_is_parseable_utf8_with_the_agency_namespaces():
    entity = spanish_entity()
    _invoice(spanish_client(entity, name="Peña & Cía"))
    data = etree.tostring(X.record_element(Record.objects.get()), encoding="UTF-8")
    assert b"Pe\xc3\xb1a &amp; C\xc3\xada" in data

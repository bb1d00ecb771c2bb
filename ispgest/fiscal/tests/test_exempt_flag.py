"""A fiscal record says an operation is exempt when the client's tax condition was flagged
exempt at issue, whatever the condition is called (renaming it changes no record)."""

import pytest

from ispgest.billing import services
from ispgest.billing.services import LineInput
from ispgest.catalog.models import TaxCondition
from ispgest.fiscal.models import Record
from ispgest.fiscal.tests.factories import spanish_client, spanish_entity

pytestmark = pytest.mark.django_db


def _client(entity, condition, **extra):
    client = spanish_client(entity, tax_id="12345678Z", **extra)
    type(client).objects.filter(pk=client.pk).update(tax_condition=condition)
    client.refresh_from_db()
    return client


def _invoice(client):
    return services.document_create(
        actor=None, client=client, lines=[LineInput("Fibra 300", "1", "30")], notify=False
    )


def test_an_exempt_condition_renamed_still_records_an_exempt_operation():
    entity = spanish_entity()
    exento = TaxCondition.objects.get(country="ES", name="Exento")
    assert exento.tax_exempt
    exento.name = "Cliente especial"
    exento.save()
    client = _client(entity, exento)
    invoice = _invoice(client)
    assert invoice.client_tax_exempt and invoice.tax_total == 0
    (record,) = Record.objects.filter(invoice=invoice)
    assert [block.get("exenta") for block in record.breakdown] == ["E1"]
    note = services.credit_note_create(actor=None, invoice=invoice, reason="Error", notify=False)
    assert note.client_tax_exempt  # from the invoice's snapshot
    (note_record,) = Record.objects.filter(invoice=note)
    assert [block.get("exenta") for block in note_record.breakdown] == ["E1"]


def test_a_condition_named_like_an_exemption_records_no_exempt_operation():
    entity = spanish_entity()
    general = TaxCondition.objects.get(country="ES", name="Régimen general")
    client = _client(entity, general, billing_tax=None)
    general.name = "Exento de palabra"  # the name reads as exempt; the flag says otherwise
    general.save()
    invoice = _invoice(client)
    assert not invoice.client_tax_exempt
    (record,) = Record.objects.filter(invoice=invoice)
    assert all("exenta" not in block for block in record.breakdown)

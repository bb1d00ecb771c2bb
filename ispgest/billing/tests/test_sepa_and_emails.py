from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from lxml import etree

from ispgest.billing import services
from ispgest.billing.models import ClientBalance, InvoiceStatus, SepaBatch, SepaState
from ispgest.billing.sepa import sepa_batch_create, sepa_preview, sepa_return_record, validate_xml
from ispgest.billing.services import LineInput
from ispgest.billing.tests.factories import make_client, mandate, method, setup_billing
from ispgest.messaging.models import EmailMessage

pytestmark = pytest.mark.django_db


def invoice(client, amount="100", notify=False):
    return services.document_create(
        actor=None, client=client, lines=[LineInput("Servicio", "1", amount)], notify=notify
    )


def test_sepa_refuses_to_remit_when_the_installation_does_not_invoice_in_euros(settings):
    settings.ISPGEST_COUNTRY = "AR"
    entity = setup_billing()
    today = timezone.localdate()
    with pytest.raises(ValidationError, match="solo se cobran en euros"):
        sepa_batch_create(
            actor=None, entity=entity, due_until=today, collection_date=today + timedelta(days=5)
        )
    assert not SepaBatch.objects.exists()


def test_sepa_batch_validates_and_reports_clients_without_iban(settings):
    entity = setup_billing()
    settings.ISPGEST_COUNTRY = "ES"  # SEPA collects in euros
    dd = method("direct_debit")
    ok = make_client(entity, payment_method=dd, name="Ana Pérez")
    mandate(ok)
    no_iban = make_client(entity, payment_method=dd, name="Sin Mandato")
    bad_iban = make_client(entity, payment_method=dd, name="IBAN Malo")
    mandate(bad_iban, iban="ES0000000000000000000000")
    cash = make_client(entity, payment_method=method("cash"))
    inv_ok = invoice(ok, "45.99")
    invoice(no_iban)
    invoice(bad_iban)
    invoice(cash)
    today = timezone.localdate()
    preview = sepa_preview(entity=entity, due_until=today + timedelta(days=30))
    assert [i.invoice for i in preview.items] == [inv_ok]
    assert preview.items[0].sequence_type == "FRST"
    messages = {e["client"].name: e["message"] for e in preview.errors}
    assert "mandato" in messages["Sin Mandato"] and "no es válido" in messages["IBAN Malo"]

    batch, _ = sepa_batch_create(
        actor=None,
        entity=entity,
        due_until=today + timedelta(days=30),
        collection_date=today + timedelta(days=5),
    )
    validate_xml(batch.xml.encode())  # against sepaxml's pain.008.001.02 XSD
    root = etree.fromstring(batch.xml.encode())
    ns = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.008.001.02"}
    assert root.findtext(".//p:MndtId", namespaces=ns) == f"MANDATO-{ok.pk}"
    assert root.findtext(".//p:SeqTp", namespaces=ns) == "FRST"
    assert (
        root.find(".//p:CdtrSchmeId", namespaces=ns).findtext(
            ".//p:PrvtId/p:Othr/p:Id", namespaces=ns
        )
        == "ES79ZZZ12345678"
    )
    assert root.find(".//p:InstdAmt", namespaces=ns).text == "45.99"
    inv_ok.refresh_from_db()
    assert inv_ok.sepa_state == SepaState.SUBMITTED and inv_ok.status == InvoiceStatus.PAID
    # Nothing of it is remitted twice; the next debit of the mandate is RCUR.
    again = sepa_preview(entity=entity, due_until=today + timedelta(days=30))
    assert again.items == []

    item = batch.items.get()
    sepa_return_record(actor=None, item=item, reason="AM04 fondos insuficientes")
    inv_ok.refresh_from_db()
    assert inv_ok.status == InvoiceStatus.PENDING and inv_ok.sepa_state == SepaState.RETURNED
    assert ClientBalance.objects.get(client=ok).unpaid_total == Decimal("45.99")
    again = sepa_preview(entity=entity, due_until=today + timedelta(days=30))
    assert [i.invoice for i in again.items] == [inv_ok] and again.items[0].sequence_type == "RCUR"


@pytest.mark.django_db(transaction=True)
def test_invoice_mail_goes_to_principal_and_notify_receipt_to_principal_only(smtp_server):
    entity = setup_billing()
    client = make_client(
        entity, email="ana@cliente.test", notify="conta@cliente.test,jefe@cliente.test"
    )
    silent = make_client(entity, email=None, notify="x@cliente.test")
    inv = invoice(client, notify=True)
    invoice(silent, notify=True)
    services.payment_register(
        actor=None, client=client, method=method("cash"), amount="100", invoices=[inv]
    )
    assert len(smtp_server.received) == 2
    by_kind = {m.subject.split()[0]: m for m in smtp_server.received}
    inv_mail, receipt_mail = by_kind["Factura"], by_kind["Recibo"]
    assert inv_mail.subject.startswith("Factura")
    assert sorted(inv_mail.rcpt_tos) == [
        "ana@cliente.test",
        "conta@cliente.test",
        "jefe@cliente.test",
    ]
    assert inv_mail.attachments()[0].get_content_type() == "application/pdf"
    assert receipt_mail.subject.startswith("Recibo")
    assert receipt_mail.rcpt_tos == ["ana@cliente.test"]
    assert receipt_mail.attachments()[0].get_content().startswith(b"%PDF")
    assert EmailMessage.objects.filter(client=client).count() == 2
    assert not EmailMessage.objects.filter(client=silent).exists()


def test_switched_off_payment_mails_are_not_sent(django_capture_on_commit_callbacks):
    client = make_client(setup_billing(), email="b@cliente.test", send_payment_emails=False)
    inv = invoice(client)
    with django_capture_on_commit_callbacks(execute=True):
        services.payment_register(
            actor=None, client=client, method=method("cash"), amount="10", invoices=[inv]
        )
    assert not EmailMessage.objects.filter(client=client, template="payment_registered").exists()
    # The same payment with the switch on does send its receipt: the test can fail.
    type(client).objects.filter(pk=client.pk).update(send_payment_emails=True)
    with django_capture_on_commit_callbacks(execute=True):
        services.payment_register(
            actor=None, client=client, method=method("cash"), amount="10", invoices=[inv]
        )
    assert EmailMessage.objects.filter(client=client, template="payment_registered").count() == 1

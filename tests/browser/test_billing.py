"""The billing "Done when" flow in a real Chromium: a month's run, the PDF opens, e-mails go
to principal + notify (invoice) and principal only (receipt), a wallet deposit pays an
invoice, and a SEPA batch validates against the pain.008 schema."""

import re
from datetime import timedelta
from decimal import Decimal

import pypdfium2
import pytest
from django.utils import timezone

from ispgest.billing.models import Invoice, SepaBatch
from ispgest.billing.sepa import validate_xml
from ispgest.billing.tests.factories import (
    make_client,
    make_contract,
    make_plan,
    mandate,
    method,
    setup_billing,
    tax,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_clerk_runs_billing_opens_the_pdf_pays_from_the_wallet_and_remits_sepa(
    page, login, admin_user, smtp_server, settings
):
    entity = setup_billing()
    iva = tax("IVA 21%", "21.00", included=False)
    ana = make_client(
        entity,
        name="Ana Gómez",
        email="ana@cliente.test",
        notify="pagos@empresa.test",
        billing_tax=iva,
    )
    make_contract(ana, make_plan("1000.00", name="Fibra 300"))
    dd = method("direct_debit")
    luis = make_client(entity, name="Luis Díaz", payment_method=dd, billing_tax=iva)
    mandate(luis)
    make_contract(luis, make_plan("500.00", name="Fibra 100"))
    sin_iban = make_client(entity, name="Sin Iban", payment_method=dd, billing_tax=iva)
    make_contract(sin_iban, make_plan("400.00", name="Radio 20"))

    login(admin_user)
    page.goto("/facturacion/")
    page.get_by_role("link", name="Lanzar facturación periódica").click()
    page.get_by_label("Fecha de facturación").fill("2026-11-01")
    page.get_by_role("button", name="Lanzar").click()
    page.wait_for_url(re.compile(r"/facturacion/facturacion-periodica/\d+/$"))
    page.locator("#run-status", has_text="Terminada").wait_for()
    assert Invoice.objects.count() == 3  # one per contract
    invoice = Invoice.objects.get(client=ana)
    assert (invoice.subtotal, invoice.tax_total, invoice.total) == (
        Decimal("1000.00"),
        Decimal("210.00"),
        Decimal("1210.00"),
    )

    # The invoice page and its PDF.
    page.get_by_role("link", name=invoice.number_display).click()
    pdf_url = page.get_by_role("link", name="Ver PDF").get_attribute("href")
    pdf = page.request.get(pdf_url)
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF")
    text = "".join(p.get_textpage().get_text_range() for p in pypdfium2.PdfDocument(pdf.body()))
    assert invoice.number_display in text and "Ana Gómez" in text and "1.210,00" in text

    # A wallet deposit, then the invoice paid with the Monedero payment method.
    page.goto(f"/facturacion/clientes/{ana.pk}/monedero/")
    page.get_by_label("Concepto").fill("Depósito en efectivo")
    page.get_by_label("Importe").fill("1500")
    page.get_by_role("button", name="Añadir movimiento").click()
    page.wait_for_url(re.compile(r"/seccion/monedero/$"))  # back in the client's workspace
    nav = page.get_by_role("navigation", name="Secciones del cliente")
    nav.get_by_role("link", name=re.compile(r"Monedero \(\$ 1\.500,00\)")).wait_for()
    page.goto(f"/facturacion/clientes/{ana.pk}/pagos/nuevo/?invoice={invoice.pk}")
    page.get_by_label("Forma de pago").select_option(label="Monedero")
    page.get_by_label("Importe").fill("1210")
    page.get_by_role("button", name="Pagar").click()
    page.wait_for_load_state()
    invoice.refresh_from_db()
    assert invoice.status == "paid"
    ana.wallet.refresh_from_db()
    assert ana.wallet.balance == Decimal("290.00")

    # SEPA: the client without IBAN is an error, the other one is remitted (in euros).
    settings.ISPGEST_COUNTRY = "ES"
    page.goto("/facturacion/sepa/nueva/")
    page.get_by_label("Razón social").select_option(label=entity.name)
    page.get_by_label("Facturas con vencimiento hasta").fill(
        (timezone.localdate() + timedelta(days=30)).isoformat()
    )
    page.get_by_role("button", name="Previsualizar").click()
    assert "Sin Iban" in page.locator("#sepa-errors").inner_text()
    page.get_by_role("button", name="Crear remesa").click()
    page.wait_for_url(re.compile(r"/facturacion/sepa/\d+/$"))
    batch = SepaBatch.objects.get()
    xml = page.request.get(f"/facturacion/sepa/{batch.pk}/xml/").body()
    validate_xml(xml)
    assert b"MANDATO-" in xml and batch.count == 1

    # E-mails: the invoice to principal + notify, the receipt to the principal only.
    invoice_mails = [m for m in smtp_server.received if m.subject.startswith("Factura")]
    receipts = [m for m in smtp_server.received if m.subject.startswith("Recibo")]
    assert sorted(invoice_mails[0].rcpt_tos) == ["ana@cliente.test", "pagos@empresa.test"]
    assert len(invoice_mails) == 1  # the other clients have no e-mail address
    assert [m.rcpt_tos for m in receipts] == [["ana@cliente.test"]]

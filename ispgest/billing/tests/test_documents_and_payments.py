from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from ispgest.billing import engine, services
from ispgest.billing.models import (
    BillingRun,
    ClientBalance,
    ImmutableRowError,
    Invoice,
    InvoiceStatus,
    WalletMovement,
)
from ispgest.billing.services import LineInput
from ispgest.billing.tests.factories import (
    make_client,
    make_contract,
    make_plan,
    method,
    setup_billing,
    tax,
)
from ispgest.catalog.models import BillingEntity, LegalKind, TaxCondition
from ispgest.clients.models import ClientEvent

pytestmark = pytest.mark.django_db


def manual(client, *lines, actor=None, **kw):
    return services.document_create(
        actor=actor,
        client=client,
        lines=[LineInput(*line) for line in lines],
        notify=False,
        **kw,
    )


def test_crear_factura_refuses_negative_prices_and_quantities_and_changes_nothing():
    client = make_client(setup_billing())
    with pytest.raises(ValidationError, match="precio unitario no puede ser negativo"):
        manual(client, ("Instalación", "1", "-10"))
    with pytest.raises(ValidationError, match="cantidad debe ser mayor que cero"):
        manual(client, ("Router", "-2", "10"))
    with pytest.raises(ValidationError, match="no es un número válido"):
        manual(client, ("Router", "dos", "10"))
    assert Invoice.objects.count() == 0
    inv = manual(client, ("Instalación", "2", "60.50"), ("Router", "1", "1"))
    assert inv.total == Decimal("122.00") and inv.number == 1


def test_payment_larger_than_due_is_refused_in_spanish():
    client = make_client(setup_billing())
    inv = manual(client, ("Servicio", "1", "100"))
    with pytest.raises(ValidationError, match="supera lo adeudado"):
        services.payment_register(
            actor=None,
            client=client,
            method=method("cash"),
            amount="100.01",
            invoices=[inv],
            notify=False,
        )
    inv.refresh_from_db()
    assert inv.status == InvoiceStatus.PENDING and inv.paid_amount == 0


def test_partial_then_full_payment_moves_states_and_balance():
    client = make_client(setup_billing())
    a = manual(client, ("Servicio A", "1", "100"))
    b = manual(client, ("Servicio B", "1", "50"))
    assert ClientBalance.objects.get(client=client).unpaid_total == Decimal("150.00")
    p = services.payment_register(
        actor=None,
        client=client,
        method=method("cash"),
        amount="120",
        invoices=[a, b],
        notify=False,
    )
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.status == InvoiceStatus.PAID
    assert b.status == InvoiceStatus.PARTIALLY_PAID and b.remaining == Decimal("30.00")
    assert p.receipt.number == 1
    bal = ClientBalance.objects.get(client=client)
    assert (bal.unpaid_count, bal.unpaid_total) == (1, Decimal("30.00"))
    services.payment_register(
        actor=None,
        client=client,
        method=method("transfer"),
        amount="30",
        invoices=[b],
        notify=False,
    )
    b.refresh_from_db()
    assert b.status == InvoiceStatus.PAID
    bal.refresh_from_db()
    assert (bal.unpaid_count, bal.unpaid_total) == (0, Decimal("0.00"))
    assert ClientEvent.objects.filter(client=client, action="payment.registered").count() == 2


def test_credit_note_never_larger_than_remaining_and_invoice_never_changes():
    client = make_client(setup_billing(), billing_tax=tax())
    inv = manual(client, ("Servicio", "1", "121"))
    services.payment_register(
        actor=None, client=client, method=method("cash"), amount="21", invoices=[inv], notify=False
    )
    with pytest.raises(ValidationError, match="no puede superar lo que queda"):
        services.credit_note_create(actor=None, invoice=inv, amount="100.01", reason="error")
    note = services.credit_note_create(actor=None, invoice=inv, amount="100", reason="Baja")
    inv.refresh_from_db()
    assert note.kind == "credit_note" and note.total == Decimal("100.00")
    assert note.tax_total == Decimal("17.36") and note.number_display.startswith("NC B")
    assert inv.total == Decimal("121.00") and inv.lines.count() == 1
    assert inv.status == InvoiceStatus.PAID  # paid 21 + credited 100


def test_full_credit_note_voids_the_invoice():
    client = make_client(setup_billing())
    inv = manual(client, ("Servicio", "1", "80"))
    services.credit_note_create(actor=None, invoice=inv, reason="Facturada por error")
    inv.refresh_from_db()
    assert inv.status == InvoiceStatus.VOIDED
    assert ClientBalance.objects.get(client=client).unpaid_count == 0
    with pytest.raises(ValidationError):
        services.credit_note_create(actor=None, invoice=inv, reason="otra")


def test_wallet_deposit_pays_an_invoice_and_never_goes_below_zero():
    client = make_client(setup_billing())
    inv = manual(client, ("Servicio", "1", "30"))
    dep = services.wallet_deposit(actor=None, client=client, amount="12,50", concept="Depósito")
    assert dep.date is not None and dep.amount == Decimal("12.50")
    with pytest.raises(ValidationError, match="Saldo insuficiente"):
        services.payment_register(
            actor=None,
            client=client,
            method=method("wallet"),
            amount="30",
            invoices=[inv],
            notify=False,
        )
    services.payment_register(
        actor=None,
        client=client,
        method=method("wallet"),
        amount="12.50",
        invoices=[inv],
        notify=False,
    )
    client.wallet.refresh_from_db()
    assert client.wallet.balance == 0
    assert sum(m.amount for m in WalletMovement.objects.filter(wallet=client.wallet)) == 0
    with pytest.raises(ImmutableRowError):
        dep.save()
    with pytest.raises(ImmutableRowError):
        dep.delete()


def test_wallet_deposit_correction_is_a_reversing_movement():
    client = make_client(setup_billing())
    dep = services.wallet_deposit(actor=None, client=client, amount="20", concept="Depósito")
    services.wallet_movement_reverse(actor=None, movement=dep, reason="Importe equivocado")
    assert WalletMovement.objects.count() == 2
    assert ClientBalance.objects.get(client=client).wallet_balance == 0
    with pytest.raises(ValidationError):
        services.wallet_deposit(actor=None, client=client, amount="-5", concept="x")
    with pytest.raises(ValidationError, match="concepto"):
        services.wallet_deposit(actor=None, client=client, amount="5", concept=" ")


def test_fantasy_entities_number_on_their_own_and_say_no_legal_validity():
    legal = setup_billing()
    fantasy = BillingEntity.objects.create(name="Interno", kind=LegalKind.FANTASY, country="AR")
    from ispgest.catalog.defaults import allow_default_invoice_types
    from ispgest.catalog.models import InvoiceType

    allow_default_invoice_types(fantasy)
    client_l = make_client(legal)
    client_f = make_client(fantasy, condition=TaxCondition.objects.get(name="Sin factura legal"))
    client_f.invoice_type = InvoiceType.objects.get(code="X")
    client_f.save()
    a = manual(client_l, ("S", "1", "10"))
    b = manual(client_f, ("S", "1", "10"))
    assert (a.number, b.number) == (1, 1) and b.legal is False
    from django.template.loader import render_to_string

    from ispgest.billing.pdf import document_context

    html = render_to_string("billing/pdf/document.html", document_context(b))
    assert "SIN VALIDEZ LEGAL" in html.upper()


def test_pdf_renders_with_entity_client_lines_and_taxes():
    client = make_client(setup_billing(), billing_tax=tax())
    make_contract(client, make_plan("1210"))
    engine.billing_run_execute(BillingRun.objects.create(run_date=date(2026, 11, 1)), notify=False)
    inv = Invoice.objects.get()
    from ispgest.billing.pdf import document_pdf

    pdf = document_pdf(inv)
    import pypdfium2

    text = "".join(page.get_textpage().get_text_range() for page in pypdfium2.PdfDocument(pdf))
    assert inv.number_display in text and "Red Sur S.A." in text
    assert client.name in text and "IVA 21%" in text
    assert "1.210,00" in text


def test_the_models_refuse_to_edit_or_delete_ledger_rows():
    client = make_client(setup_billing())
    dep = services.wallet_deposit(actor=None, client=client, amount="5", concept="Depósito")
    inv = manual(client, ("S", "1", "10"))
    line = inv.lines.get()
    for attempt in (dep.save, dep.delete, line.save, line.delete):
        with pytest.raises(ImmutableRowError):
            attempt()
    dep.refresh_from_db()
    assert dep.amount == Decimal("5.00") and inv.lines.count() == 1


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the immutability triggers are PostgreSQL's (SQLite's flush deletes rows one by one)",
)
def test_the_database_refuses_to_edit_ledger_rows_on_postgresql():
    """The PostgreSQL run of the suite checks the triggers; the SQLite run reports the test
    skipped with its reason."""
    from django.db import DatabaseError, transaction

    client = make_client(setup_billing())
    dep = services.wallet_deposit(actor=None, client=client, amount="5", concept="Depósito")
    inv = manual(client, ("S", "1", "10"))
    for sql in (
        f"UPDATE billing_walletmovement SET amount = 1 WHERE id = {dep.pk}",
        f"DELETE FROM billing_invoiceline WHERE invoice_id = {inv.pk}",
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
            cur.execute(sql)


def test_the_unpaid_invoices_figures_count_invoices_not_delivery_notes(admin_user):
    """ "Facturas impagas" on the client, the list and the export counts invoices; a
    delivery note (albarán) stays payable but is not an unpaid invoice."""
    from ispgest.billing.selectors import compute_client_balances, unpaid_summary
    from ispgest.billing.services import LineInput, document_create, payment_register

    client = make_client(setup_billing(), billing_tax=tax())
    invoice = document_create(
        actor=admin_user, client=client, lines=[LineInput("Alta", "1", "100")], notify=False
    )
    note = document_create(
        actor=admin_user,
        client=client,
        kind="delivery_note",
        lines=[LineInput("Router", "1", "50")],
        notify=False,
    )
    summary = unpaid_summary([client.pk])[client.pk]
    assert (summary["unpaid_count"], summary["unpaid_total"]) == (1, invoice.total)
    assert compute_client_balances([client.pk])[client.pk] == (1, invoice.total)
    payment_register(
        actor=admin_user, client=client, amount=note.total, method=method("cash"), invoices=[note]
    )
    note.refresh_from_db()
    assert note.status == "paid"
    assert unpaid_summary([client.pk])[client.pk]["unpaid_count"] == 1
    from ispgest.billing.selectors import rebuild_all_client_balances

    document_create(
        actor=admin_user,
        client=client,
        kind="delivery_note",
        lines=[LineInput("Cable", "1", "10")],
        notify=False,
    )
    rebuild_all_client_balances()
    summary = unpaid_summary([client.pk])[client.pk]
    assert (summary["unpaid_count"], summary["unpaid_total"]) == (1, invoice.total)

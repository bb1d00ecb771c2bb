from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from ispgest.accounts.models import ApiToken
from ispgest.billing import services
from ispgest.billing.models import BillingRun, Invoice, WalletMovement
from ispgest.billing.panels import client_panels
from ispgest.billing.services import LineInput
from ispgest.billing.tests.factories import (
    make_client,
    make_contract,
    make_plan,
    method,
    setup_billing,
    tax,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def billing_client():
    client = make_client(setup_billing(), billing_tax=tax(), email="c@x.test")
    make_contract(client, make_plan("1210"))
    return client


def test_roles_facturacion_all_recaudador_payments_vendedor_views_tecnico_nothing(
    client, make_user, billing_client
):
    inv = services.document_create(
        actor=None, client=billing_client, lines=[LineInput("S", "1", "10")], notify=False
    )
    for role, home, pay, run in [
        ("Facturación", 200, 200, 200),
        ("Recaudador", 200, 200, 403),
        ("Vendedor", 200, 403, 403),
        ("Técnico", 403, 403, 403),
    ]:
        client.force_login(make_user(role))
        assert client.get(reverse("billing:home")).status_code == home, role
        assert client.get(
            reverse("billing:payment_create", args=[billing_client.pk])
        ).status_code in (
            pay,
            404,
        ), role
        assert client.get(reverse("billing:run_start")).status_code == run, role
    client.force_login(make_user("Vendedor"))
    # A Vendedor only sees its seller's clients: this invoice's client is not one of them.
    assert client.get(reverse("billing:invoice_detail", args=[inv.pk])).status_code == 404


def test_run_page_starts_a_run_and_shows_progress(
    admin_client, billing_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("billing:run_start"), {"run_date": "2026-11-01"})
    run = BillingRun.objects.get()
    assert response.status_code == 302
    assert run.status == "done" and run.invoices_issued == 1  # immediate task backend
    page = admin_client.get(reverse("billing:run_progress", args=[run.pk]))
    assert "Terminada" in page.content.decode()
    inv = Invoice.objects.get()
    pdf = admin_client.get(reverse("billing:invoice_pdf", args=[inv.pk]))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")


def test_crear_factura_page_refuses_negative_price_with_a_message(admin_client, billing_client):
    url = reverse("billing:invoice_create", args=[billing_client.pk])
    page = admin_client.get(url)
    assert '<label for="id_lines-0-unit_price"' in page.content.decode()
    data = {
        "kind": "invoice",
        "issue_date": "2026-11-05",
        "notes": "",
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "0",
        "lines-0-description": "Instalación",
        "lines-0-quantity": "1",
        "lines-0-unit_price": "-5",
    }
    response = admin_client.post(url, data)
    assert "no puede ser negativo" in response.content.decode()
    assert Invoice.objects.count() == 0
    data["lines-0-unit_price"] = "50"
    response = admin_client.post(url, data)
    assert response.status_code == 302 and Invoice.objects.get().total == Decimal("50.00")


def test_wallet_panel_title_and_deposit_page(admin_client, admin_user, rf, billing_client):
    url = reverse("billing:wallet", args=[billing_client.pk])
    page = admin_client.get(url).content.decode()
    for name, label in (("concept", "Concepto"), ("movement_date", "Fecha"), ("amount", "Importe")):
        assert f'<label for="id_{name}">{label}' in page
    admin_client.post(
        url,
        {
            "concept": "Depósito",
            "movement_date": timezone.localdate().isoformat(),  # not before the client
            "amount": "12.50",
        },
    )
    assert WalletMovement.objects.get().amount == Decimal("12.50")
    request = rf.get("/")
    request.user = admin_user
    titles = [p.title for p in client_panels(request, billing_client)]
    assert "Monedero ($ 12,50)" in titles
    assert {"Documentos", "Pagos", "Próximo previo"} <= set(titles)


def test_preview_page_computes_and_stores_nothing(admin_client, billing_client):
    response = admin_client.get(
        reverse("billing:preview", args=[billing_client.pk]), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200 and "Próxima facturación" in response.content.decode()
    assert Invoice.objects.count() == 0


def test_api_documents_payments_wallet_preview_and_runs(
    client, admin_user, billing_client, django_capture_on_commit_callbacks
):
    _, raw = ApiToken.issue(user=admin_user, name="t")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    r = client.post(
        "/api/v1/billing/invoices",
        {"client_id": billing_client.pk, "lines": [{"description": "X", "unit_price": "-1"}]},
        content_type="application/json",
        **auth,
    )
    assert r.status_code == 422 and "negativo" in r.json()["detail"]
    r = client.post(
        "/api/v1/billing/invoices",
        {"client_id": billing_client.pk, "lines": [{"description": "X", "unit_price": "121"}]},
        content_type="application/json",
        **auth,
    )
    assert r.status_code == 201, r.content
    inv_id = r.json()["id"]
    assert r.json()["tax_total"] == "21.00"
    r = client.post(
        "/api/v1/billing/payments",
        {
            "client_id": billing_client.pk,
            "method_id": method("cash").pk,
            "amount": "200",
            "invoice_ids": [inv_id],
        },
        content_type="application/json",
        **auth,
    )
    assert r.status_code == 422 and "supera lo adeudado" in r.json()["detail"]
    r = client.post(
        "/api/v1/billing/payments",
        {
            "client_id": billing_client.pk,
            "method_id": method("cash").pk,
            "amount": "21",
            "invoice_ids": [inv_id],
        },
        content_type="application/json",
        **auth,
    )
    assert r.status_code == 201 and r.json()["receipt_number"] == "REC-00000001"
    r = client.post(
        f"/api/v1/billing/invoices/{inv_id}/credit-notes",
        {"amount": "100.01", "reason": "x"},
        content_type="application/json",
        **auth,
    )
    assert r.status_code == 422
    r = client.post(
        f"/api/v1/billing/clients/{billing_client.pk}/wallet/deposits",
        {"amount": "5", "concept": "Adelanto"},
        content_type="application/json",
        **auth,
    )
    assert r.status_code == 201 and r.json()["date"] == date.today().isoformat()
    r = client.get(f"/api/v1/billing/clients/{billing_client.pk}/preview", **auth)
    assert r.status_code == 200
    # Numbering is chronological: after today's manual invoice the run is dated today, on
    # the client's cycle day.
    from ispgest.catalog.models import BillingCycle

    today = timezone.localdate()
    BillingCycle.objects.filter(pk=billing_client.billing_cycle_id).update(day_of_month=today.day)
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(
            "/api/v1/billing/runs",
            {"run_date": today.isoformat()},
            content_type="application/json",
            **auth,
        )
    assert r.status_code == 202
    r = client.get(f"/api/v1/billing/runs/{r.json()['id']}", **auth)
    assert r.json()["status"] == "done" and r.json()["invoices_issued"] == 1
    r = client.get(f"/api/v1/billing/invoices?client_id={billing_client.pk}", **auth)
    assert r.json()["count"] == 2
    assert client.get(f"/api/v1/billing/invoices/{inv_id}/pdf", **auth).content.startswith(b"%PDF")


def test_api_refuses_roles_without_permission(client, make_user, billing_client):
    _, raw = ApiToken.issue(user=make_user("Técnico"), name="t")
    r = client.get("/api/v1/billing/invoices", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert r.status_code == 403


def test_management_command_runs_billing(billing_client):
    from django.core.management import call_command

    call_command("billing_run", "--date", "2026-11-01", "--no-email")
    call_command("billing_run", "--date", "2026-11-01", "--no-email")
    assert Invoice.objects.count() == 1


def test_renovaciones_generate_a_quote_or_delivery_note_from_a_package(
    admin_client, billing_client
):
    from ispgest.contracts.models import (
        PackageAssignment,
        PackageAssignmentLine,
        RenewablePackage,
    )

    package = RenewablePackage.objects.create(name="Mantenimiento anual", renewal_months=12)
    assignment = PackageAssignment.objects.create(
        client=billing_client,
        package=package,
        start_date=date(2026, 1, 1),
        renewal_months=12,
        next_renewal_date=date(2027, 1, 1),
    )
    PackageAssignmentLine.objects.create(
        assignment=assignment, description="Visita técnica", quantity=2, unit_price=Decimal("60.50")
    )
    url = reverse("billing:document_from_package", args=[assignment.pk, "quote"])
    assert admin_client.get(url).status_code == 405
    response = admin_client.post(url)
    doc = Invoice.objects.get()
    assert response.status_code == 302 and doc.kind == "quote"
    assert doc.total == Decimal("121.00") and doc.tax_total == Decimal("21.00")  # IVA included
    assert doc.number_display == "PRE-000001" and doc.source_package_id == assignment.pk
    admin_client.post(
        reverse("billing:document_from_package", args=[assignment.pk, "delivery_note"])
    )
    assert Invoice.objects.filter(kind="delivery_note").count() == 1


def test_client_panels_run_a_fixed_number_of_queries(rf, admin_user, billing_client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    request = rf.get("/")
    request.user = admin_user

    def count():
        admin_user._perm_cache = set(admin_user.get_all_permissions())
        with CaptureQueriesContext(connection) as ctx:
            for panel in client_panels(request, billing_client):
                list(panel.context.values())
        return len(ctx.captured_queries)

    def add_one():
        inv = services.document_create(
            actor=None, client=billing_client, lines=[LineInput("S", "1", "10")], notify=False
        )
        services.payment_register(
            actor=None,
            client=billing_client,
            method=method("cash"),
            amount="10",
            invoices=[inv],
            notify=False,
        )
        services.wallet_deposit(actor=None, client=billing_client, amount="1", concept="x")

    add_one()
    few = count()
    for _ in range(5):
        add_one()
    assert count() == few


def test_a_quote_from_a_package_charges_the_clients_own_tax(admin_client, admin_user):
    """The client's own tax wins over the product's, as on invoices the run issues."""
    from ispgest.catalog.models import Product
    from ispgest.contracts import services as contract_services

    client = make_client(setup_billing(), billing_tax=tax("IVA 21%", "21.00"), email="q@x.test")
    product = Product.objects.create(
        name="Router WiFi", price=Decimal("100.00"), tax=tax("IVA 27%", "27.00")
    )
    package = contract_services.package_create(
        actor=admin_user,
        data={"name": "Equipo", "renewal_months": 12},
        lines=[{"product": product, "quantity": Decimal("1"), "unit_price": Decimal("121.00")}],
    )
    assignment = contract_services.package_assign(
        actor=admin_user, client=client, package=package, start_date=date(2026, 1, 1)
    )
    assert assignment.lines.get().tax.rate == Decimal("27.00")  # the product's, on the line
    admin_client.post(reverse("billing:document_from_package", args=[assignment.pk, "quote"]))
    quote = Invoice.objects.get(kind="quote")
    line = quote.lines.get()
    assert line.tax_rate == Decimal("21.00")
    assert quote.total == Decimal("121.00") and quote.tax_total == Decimal("21.00")


def test_the_run_progress_fragment_brings_the_issued_invoices_when_it_finishes(
    admin_client, billing_client, django_capture_on_commit_callbacks
):
    """The page swaps only the progress fragment; when it reaches 100 % the fragment must
    carry the invoice list, or the page keeps saying there are none until a reload."""
    run = BillingRun.objects.create(run_date=date(2026, 11, 1), created_by=None)
    waiting = admin_client.get(reverse("billing:run_detail", args=[run.pk])).content.decode()
    assert "No hay documentos" in waiting
    assert 'hx-get="' + reverse("billing:run_progress", args=[run.pk]) in waiting  # polls
    from ispgest.billing import engine

    engine.billing_run_execute(run, notify=False)
    fragment = admin_client.get(reverse("billing:run_progress", args=[run.pk])).content.decode()
    inv = Invoice.objects.get()
    assert inv.number_display in fragment and "No hay documentos" not in fragment
    assert "hx-get" not in fragment  # finished: no more polling

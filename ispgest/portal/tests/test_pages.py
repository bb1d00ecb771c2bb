"""The client's pages: what each shows, and that another client's ids are a 404."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from ispgest.catalog.models import PaymentGateway
from ispgest.clients.models import Client, GatewayAccount
from ispgest.contracts.services import contract_suspend
from ispgest.portal.models import GatewayInstructions
from ispgest.portal.selectors import portal_settings

pytestmark = pytest.mark.django_db


def test_inicio_shows_debt_due_dates_wallet_contracts_and_suspension(
    portal_client, alice, admin_user
):
    contract_suspend(actor=admin_user, contract=alice.contract, reason="Falta de pago")
    page = portal_client.get(reverse("portal:home")).content.decode()
    from ispgest.billing.models import Invoice

    unpaid = Invoice.objects.filter(client=alice.client).exclude(pk=alice.invoice.pk).get()
    assert unpaid.number_display in page
    assert unpaid.due_date.strftime("%d/%m/%Y") in page
    assert alice.invoice.number_display not in page  # paid: not among the unpaid
    assert "250,00" in page  # wallet
    assert alice.contract.plan.name in page and "Suspendido" in page
    assert "Falta de pago" in page
    assert 'id="next-invoice"' in page


def test_facturas_lists_only_the_clients_documents(portal_client, alice, bob):
    page = portal_client.get(reverse("portal:invoices")).content.decode()
    assert reverse("portal:invoice_pdf", args=[alice.invoice.pk]) in page
    assert reverse("portal:invoice_pdf", args=[bob.invoice.pk]) not in page


def test_the_invoice_pdf_downloads_and_another_clients_is_404(portal_client, alice, bob):
    response = portal_client.get(reverse("portal:invoice_pdf", args=[alice.invoice.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert "attachment" in response["Content-Disposition"]
    other = portal_client.get(reverse("portal:invoice_pdf", args=[bob.invoice.pk]))
    assert other.status_code == 404


def test_pagos_lists_receipts_and_another_clients_receipt_is_404(portal_client, alice, bob):
    page = portal_client.get(reverse("portal:payments")).content.decode()
    assert alice.payment.receipt.number_display in page
    own = portal_client.get(reverse("portal:receipt_pdf", args=[alice.payment.pk]))
    assert own.status_code == 200 and own.content.startswith(b"%PDF")
    other = portal_client.get(reverse("portal:receipt_pdf", args=[bob.payment.pk]))
    assert other.status_code == 404


def test_monedero_shows_balance_and_movements(portal_client, alice):
    page = portal_client.get(reverse("portal:wallet")).content.decode()
    assert "Anticipo" in page and "250,00" in page


def test_contratos_show_plan_speed_address_status_and_equipment(portal_client, alice, bob):
    from datetime import date

    from ispgest.contracts.models import Equipment

    Equipment.objects.create(
        client=alice.client,
        contract=alice.contract,
        description="Router Wi-Fi",
        serial_number="SN-ALICIA-1",
        installed_on=date(2026, 1, 2),
    )
    page = portal_client.get(reverse("portal:contracts")).content.decode()
    assert alice.contract.plan.name in page and alice.contract.address in page
    assert "SN-ALICIA-1" in page and "kbps" in page and "Activo" in page
    assert bob.contract.plan.name not in page


def _hour(day, hour=12):
    from datetime import datetime, time

    return timezone.make_aware(datetime.combine(day, time(hour)))


def test_consumo_says_there_are_no_samples_yet(portal_client, alice):
    page = portal_client.get(reverse("portal:usage")).content.decode()
    assert "Todavía no hay mediciones de consumo" in page
    assert f'id="usage-empty-{alice.contract.pk}"' in page
    assert "usage-chart" not in page


def test_consumo_draws_the_clients_daily_and_monthly_charts(portal_client, alice):
    from datetime import timedelta

    from ispgest.network.models import UsageHour

    today = timezone.localdate()
    earlier = today - timedelta(days=3)
    c = alice.contract
    UsageHour.objects.create(contract=c, hour=_hour(today), bytes_down=2_000_000_000, bytes_up=0)
    UsageHour.objects.create(contract=c, hour=_hour(earlier), bytes_down=500_000_000, bytes_up=0)
    UsageHour.objects.create(contract=c, hour=_hour(today, 1), bytes_down=0, bytes_up=3_000_000)
    page = portal_client.get(reverse("portal:usage")).content.decode()
    assert "Todavía no hay mediciones de consumo" not in page
    assert page.count('<svg xmlns="http://www.w3.org/2000/svg" role="img"') == 4
    assert page.count('class="usage-bar"') == 2 * (30 + 12)
    down = re.search(rf'id="usage-{c.pk}-day-down".*?</figure>', page, re.S).group(0)
    heights = [float(h) for h in re.findall(r'class="usage-bar"[^>]*height="([\d.]+)"', down)]
    assert len(heights) == 30
    assert [n for n, h in enumerate(heights) if h > 0] == [26, 29]  # three days ago, today
    assert heights[29] == 4 * heights[26]  # 2 GB against 500 MB
    assert "Total: 2,5 GB" in down
    assert f"<title>{today.strftime('%d/%m')}: 2,0 GB</title>" in down
    assert f"<title>{earlier.strftime('%d/%m')}: 500 MB</title>" in down
    up = re.search(rf'id="usage-{c.pk}-day-up".*?</figure>', page, re.S).group(0)
    assert "Total: 3,0 MB" in up
    month = re.search(rf'id="usage-{c.pk}-month-down".*?</figure>', page, re.S).group(0)
    assert "Total: 2,5 GB" in month
    assert "<script" not in page.split("<h1", 1)[1]


def test_consumo_never_shows_another_clients_contract(portal_client, alice, bob):
    from ispgest.network.models import UsageHour

    UsageHour.objects.create(
        contract=bob.contract, hour=_hour(timezone.localdate()), bytes_down=7_000, bytes_up=70
    )
    page = portal_client.get(reverse("portal:usage")).content.decode()
    assert f'id="usage-{alice.contract.pk}"' in page
    assert f"usage-{bob.contract.pk}" not in page
    assert "usage-chart" not in page and "7,0 KB" not in page


def test_pasarelas_show_the_clients_codes_and_the_isps_instructions(portal_client, alice, bob):
    gateway = PaymentGateway.objects.create(name="PagoFácil", code="pagofacil")
    GatewayAccount.objects.create(client=alice.client, gateway=gateway, reference="PF-0001")
    GatewayAccount.objects.create(client=bob.client, gateway=gateway, reference="PF-0002")
    GatewayInstructions.objects.create(gateway=gateway, text="Pague en cualquier sucursal.")
    page = portal_client.get(reverse("portal:gateways")).content.decode()
    assert "PF-0001" in page and "Pague en cualquier sucursal." in page
    assert "PF-0002" not in page


def test_a_hidden_section_is_404_and_leaves_the_menu(portal_client, alice):
    conf = portal_settings()
    conf.sections = ["facturas"]
    conf.save()
    assert portal_client.get(reverse("portal:wallet")).status_code == 404
    page = portal_client.get(reverse("portal:home")).content.decode()
    assert reverse("portal:invoices") in page and reverse("portal:wallet") not in page


def test_the_portal_off_answers_unavailable(portal_client, client):
    conf = portal_settings()
    conf.enabled = False
    conf.save()
    response = portal_client.get(reverse("portal:home"))
    assert response.status_code == 503 and "no está disponible" in response.content.decode()
    assert client.get(reverse("portal:login")).status_code == 503


def test_perfil_edits_phones_through_the_clients_validation(portal_client, alice):
    url = reverse("portal:profile")
    response = portal_client.post(url, {"form": "profile", "phone": "011 4444-5555", "mobile": ""})
    assert response.status_code == 302
    client = Client.objects.get(pk=alice.client.pk)
    assert client.phone == "011 4444-5555"
    assert client.events.filter(action="client.updated").exists()


def test_perfil_ignores_what_the_configuration_does_not_allow(portal_client, alice):
    conf = portal_settings()
    conf.clients_edit_phones = False
    conf.save()
    page = portal_client.get(reverse("portal:profile")).content.decode()
    assert 'name="phone"' not in page and 'name="notify_emails"' not in page
    portal_client.post(
        reverse("portal:profile"), {"form": "profile", "phone": "999", "notify_emails": "x@y.test"}
    )
    client = Client.objects.get(pk=alice.client.pk)
    assert client.phone != "999" and client.notify_emails == ""


def test_perfil_refuses_a_bad_notify_address_naming_the_field(portal_client, alice):
    conf = portal_settings()
    conf.clients_edit_notify_emails = True
    conf.save()
    response = portal_client.post(
        reverse("portal:profile"),
        {"form": "profile", "phone": "", "mobile": "", "notify_emails": "bien@example.test, mal@"},
    )
    assert response.status_code == 200
    assert "Emails a notificar" in response.content.decode()
    assert Client.objects.get(pk=alice.client.pk).notify_emails == ""


def test_portal_pages_are_escaped(portal_client, alice):
    Client.objects.filter(pk=alice.client.pk).update(name="<script>alert(1)</script>")
    page = portal_client.get(reverse("portal:home")).content.decode()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page


def test_every_portal_form_carries_a_csrf_token(portal_client):
    from django.test import Client as TestClient

    assert (
        portal_client.get(reverse("portal:profile")).content.decode().count("csrfmiddlewaretoken")
        >= 3
    )  # profile, password, logout
    anonymous = TestClient()
    for name in ("portal:login", "portal:reset_request"):
        assert "csrfmiddlewaretoken" in anonymous.get(reverse(name)).content.decode()


def test_a_post_without_csrf_is_refused(alice):
    from django.test import Client as TestClient

    browser = TestClient(enforce_csrf_checks=True)
    response = browser.post(reverse("portal:login"), {"email": alice.client.email, "password": "x"})
    assert response.status_code == 403

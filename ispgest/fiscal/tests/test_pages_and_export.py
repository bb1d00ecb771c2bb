"""The fiscal pages, the API and the export of a period."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from lxml import etree

from ispgest.accounts.roles import BILLING, SELLER
from ispgest.billing import services as billing
from ispgest.billing.models import Invoice
from ispgest.billing.services import LineInput
from ispgest.fiscal.models import Issuer, Record, RecordStatus
from ispgest.fiscal.tests.factories import spanish_client, spanish_entity
from ispgest.fiscal.verifactu import export, records
from ispgest.fiscal.verifactu import xml as X

pytestmark = pytest.mark.django_db


def _issue(client, n=1, **kw):
    return [
        billing.document_create(
            actor=None, client=client, lines=[LineInput("Fibra", "1", "30")], notify=False, **kw
        )
        for _ in range(n)
    ]


@pytest.fixture
def billing_client(client, make_user):
    client.force_login(make_user(BILLING))
    return client


def test_the_home_lists_each_issuer_with_its_queue(billing_client):
    entity = spanish_entity()
    _issue(spanish_client(entity), 3)
    Record.objects.filter(position=2).update(status=RecordStatus.REJECTED, error_code=1100)
    page = billing_client.get(reverse("fiscal:home")).content.decode()
    assert "Red Norte S.L." in page and "B12345674" in page
    assert "Sin certificado" in page
    issuer = Issuer.objects.get()
    detail = billing_client.get(
        reverse("fiscal:issuer_detail", args=[issuer.pk]) + "?estado=rejected"
    ).content.decode()
    rejected = Record.objects.get(position=2)
    others = Record.objects.exclude(pk=rejected.pk)
    assert reverse("fiscal:record_detail", args=[rejected.pk]) in detail
    assert all(reverse("fiscal:record_detail", args=[r.pk]) not in detail for r in others)
    assert reverse("fiscal:record_correct", args=[rejected.pk]) in detail


def test_the_issuer_page_runs_a_fixed_number_of_queries(billing_client):
    entity = spanish_entity()
    client = spanish_client(entity)
    _issue(client, 2)
    issuer = Issuer.objects.get()
    url = reverse("fiscal:issuer_detail", args=[issuer.pk])
    with CaptureQueriesContext(connection) as few:
        billing_client.get(url)
    _issue(client, 20)
    with CaptureQueriesContext(connection) as many:
        billing_client.get(url)
    assert len(many) == len(few)


def test_the_document_page_shows_the_record_and_the_agency_answer(billing_client):
    entity = spanish_entity()
    (invoice,) = _issue(spanish_client(entity))
    Record.objects.update(
        status=RecordStatus.ACCEPTED_WITH_ERRORS, error_code=2000, error_text="NIF no censado"
    )
    page = billing_client.get(reverse("billing:invoice_detail", args=[invoice.pk])).content.decode()
    assert "Registros VERI*FACTU" in page
    assert "Aceptado con errores" in page and "[2000] NIF no censado" in page
    assert reverse("fiscal:record_cancel", args=[invoice.pk]) in page


def test_a_seller_may_not_open_the_fiscal_pages(client, make_user):
    client.force_login(make_user(SELLER))
    assert client.get(reverse("fiscal:home")).status_code == 403
    assert client.get(reverse("fiscal:export")).status_code == 403


def test_cancelling_from_the_page_voids_the_invoice_and_audits(billing_client):
    entity = spanish_entity()
    (invoice,) = _issue(spanish_client(entity))
    url = reverse("fiscal:record_cancel", args=[invoice.pk])
    assert "no se entregó al cliente" in billing_client.get(url).content.decode()
    response = billing_client.post(url, {"reason": ""})
    assert response.status_code == 200 and Record.objects.count() == 1
    response = billing_client.post(url, {"reason": "Duplicada por error"})
    assert response.status_code == 302
    assert Record.objects.filter(kind="anulacion").count() == 1
    assert Invoice.objects.get(pk=invoice.pk).status == "voided"


def test_the_correction_page_refuses_a_bad_nif_in_spanish(billing_client):
    entity = spanish_entity()
    _issue(spanish_client(entity))
    record = Record.objects.get()
    Record.objects.update(status=RecordStatus.REJECTED, error_code=4107, error_text="NIF")
    url = reverse("fiscal:record_correct", args=[record.pk])
    response = billing_client.post(url, {"reason": "NIF", "recipient_tax_id": "12345678A"})
    assert response.status_code == 200
    assert "no es válido" in response.content.decode()
    assert Record.objects.count() == 1
    response = billing_client.post(url, {"reason": "NIF", "recipient_tax_id": "12345678Z"})
    assert response.status_code == 302 and Record.objects.count() == 2


def test_only_an_administrator_uploads_the_certificate_and_an_error_shows_in_spanish(
    admin_client, make_user, aeat
):
    from django.test import Client

    billing_client = Client()
    billing_client.force_login(make_user(BILLING))
    entity = spanish_entity()
    _issue(spanish_client(entity))
    issuer = Issuer.objects.get()
    url = reverse("fiscal:issuer_certificate", args=[issuer.pk])
    data = aeat.p12("buena")
    assert billing_client.post(url).status_code == 403
    response = admin_client.post(
        url,
        {"certificate": io.BytesIO(data), "password": "mala"},
        follow=True,
    )
    assert "La contraseña del certificado no es correcta" in response.content.decode()
    assert not Issuer.objects.get().certificate
    upload = io.BytesIO(data)
    upload.name = "cert.p12"
    page = admin_client.post(url, {"certificate": upload, "password": "buena"}, follow=True)
    text = page.content.decode()
    assert "Certificado guardado" in text and "VATES-B12345674" in text
    assert "buena" not in text.split("Certificado guardado")[1]


def test_the_export_holds_the_period_records_in_order_and_each_validates(billing_client):
    entity = spanish_entity()
    client = spanish_client(entity)
    today = timezone.localdate()
    old = _issue(client, 2, issue_date=today - timedelta(days=40))
    new = _issue(client, 3)
    billing.credit_note_create(actor=None, invoice=new[0], reason="Error", notify=False)
    out = io.BytesIO()
    count = export.write(out, entity, today - timedelta(days=5), today)
    assert count == 4
    root = etree.fromstring(out.getvalue())
    assert root.get("NIF") == "B12345674"
    children = list(root)
    nums = [c.find(f"{X._sf('IDFactura')}/{X._sf('NumSerieFactura')}").text for c in children]
    expected = list(
        Record.objects.filter(issue_date__gte=today - timedelta(days=5))
        .order_by("position")
        .values_list("num_serie", flat=True)
    )
    assert nums == expected and old[0].number_display not in nums
    for child in children:
        X.validate(child, "SuministroInformacion.xsd")
    response = billing_client.get(
        reverse("fiscal:export"),
        {"entity": entity.pk, "date_from": str(today - timedelta(days=5)), "date_to": str(today)},
    )
    assert response.status_code == 200
    downloaded = etree.fromstring(b"".join(response.streaming_content))
    assert [etree.tostring(c) for c in downloaded] == [etree.tostring(c) for c in root]


def test_the_export_command_writes_the_same_file(tmp_path):
    entity = spanish_entity()
    _issue(spanish_client(entity), 2)
    target = tmp_path / "periodo.xml"
    today = timezone.localdate()
    call_command(
        "fiscal_export",
        "--entity",
        str(entity.pk),
        "--from",
        str(today - timedelta(days=1)),
        "--to",
        str(today),
        "--output",
        str(target),
    )
    root = etree.parse(str(target)).getroot()
    assert len(root) == 2
    assert [c.find(X._sf("Huella")).text for c in root] == list(
        Record.objects.order_by("position").values_list("huella", flat=True)
    )


def test_the_chain_check_finds_an_intact_chain(billing_client):
    entity = spanish_entity()
    _issue(spanish_client(entity), 3)
    issuer = Issuer.objects.get()
    response = billing_client.get(reverse("fiscal:issuer_verify", args=[issuer.pk]), follow=True)
    assert "La cadena está completa" in response.content.decode()
    assert records.chain_problems(issuer) == []


def test_the_api_lists_records_cancels_and_refuses_a_seller(client, make_user):
    from ispgest.accounts.models import ApiToken

    _, raw = ApiToken.issue(user=make_user(BILLING), name="t")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    entity = spanish_entity()
    (invoice,) = _issue(spanish_client(entity))
    issuer = Issuer.objects.get()
    response = client.get(f"/api/v1/fiscal/issuers/{issuer.pk}/records", **auth)
    assert response.status_code == 200
    (row,) = response.json()["items"]
    assert row["num_serie"] == invoice.number_display and row["status"] == "pending"
    assert row["huella"] == Record.objects.get().huella
    xml = client.get(f"/api/v1/fiscal/records/{row['id']}/xml", **auth)
    X.validate(etree.fromstring(xml.content), "SuministroInformacion.xsd")
    response = client.post(
        f"/api/v1/fiscal/documents/{invoice.pk}/cancel",
        {"reason": ""},
        content_type="application/json",
        **auth,
    )
    assert response.status_code == 422 and "reason" in response.json()["errors"]
    response = client.post(
        f"/api/v1/fiscal/documents/{invoice.pk}/cancel",
        {"reason": "Emitida por error"},
        content_type="application/json",
        **auth,
    )
    assert response.status_code == 201 and response.json()["kind"] == "anulacion"
    _, seller = ApiToken.issue(user=make_user(SELLER), name="s")
    denied = client.get("/api/v1/fiscal/issuers", HTTP_AUTHORIZATION=f"Bearer {seller}")
    assert denied.status_code == 403


def test_going_live_starts_the_production_chain_and_counts_only_its_records(admin_user):
    from ispgest.core.exceptions import DomainError
    from ispgest.fiscal import selectors, services
    from ispgest.fiscal.models import Environment

    entity = spanish_entity()
    client = spanish_client(entity)
    _issue(client, 3)
    Record.objects.filter(position=1).update(status=RecordStatus.ACCEPTED)
    Record.objects.filter(position=2).update(status=RecordStatus.REJECTED)
    issuer = Issuer.objects.get()
    assert selectors.issuer_counts(issuer) == {
        "pending": 1,
        "accepted": 1,
        "accepted_with_errors": 0,
        "rejected": 1,
    }
    issuer = services.issuer_settings_update(
        actor=admin_user, issuer=issuer, environment=Environment.PRODUCTION, credit_note_type="R4"
    )
    (invoice,) = _issue(client)
    first = Record.objects.get(invoice=invoice)
    assert first.environment == Environment.PRODUCTION and first.is_first and first.position == 4
    assert selectors.issuer_counts(Issuer.objects.get()) == {
        "pending": 1,
        "accepted": 0,
        "accepted_with_errors": 0,
        "rejected": 0,
    }
    assert records.chain_problems(issuer) == []
    with pytest.raises(DomainError, match="no vuelve al entorno de pruebas"):
        services.issuer_settings_update(
            actor=admin_user, issuer=issuer, environment=Environment.TEST, credit_note_type="R4"
        )
    note = billing.credit_note_create(actor=None, invoice=invoice, reason="Error", notify=False)
    assert Record.objects.get(invoice=note).invoice_type == "R4"

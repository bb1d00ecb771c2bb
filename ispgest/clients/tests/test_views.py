"""The record pages: create/edit form with tabs, overview, deactivation, history entries."""

import pytest
from django.urls import reverse

from ispgest.clients.models import BankMandate, Client, ClientEvent, Contact, ExtraFieldValue
from ispgest.clients.tests.conftest import BAD_CUIT, BAD_IBAN, VALID_CUIT, VALID_IBAN

pytestmark = pytest.mark.django_db


def form_post(cat, **overrides):
    data = {
        "person_type": "natural",
        "first_name": "María",
        "first_surname": "González",
        "email": "maria@example.com",
        "seller": cat.seller.pk,
        "billing_enabled": "on",
        "billing_entity": cat.legal.pk,
        "tax_condition": cat.cond["Consumidor Final"].pk,
        "invoice_type": cat.types["B"].pk,
        "tax_id_kind": "CUIT",
        "tax_id": VALID_CUIT,
        "send_invoice_emails": "on",
        "contacts-TOTAL_FORMS": "2",
        "contacts-INITIAL_FORMS": "0",
        "contacts-MIN_NUM_FORMS": "0",
        "contacts-MAX_NUM_FORMS": "1000",
        "contacts-0-name": "Juan Técnico",
        "contacts-0-role": "technical",
        "contacts-0-phone": "351 111",
        "contacts-1-name": "Laura Dueña",
        "contacts-1-role": "owner",
        "contacts-1-email": "laura@example.com",
        "fin-payment_method": cat.direct_debit.pk,
        "fin-iban": VALID_IBAN,
        "fin-bic": "CAIXESBBXXX",
        "fin-mandate_reference": "MAND-77",
        "fin-signed_on": "2026-01-10",
        f"otros-extra_{cat.antenna.pk}": "12,5",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def nothing_written():
    return (
        not Client.objects.exists()
        and not Contact.objects.exists()
        and not BankMandate.objects.exists()
        and not ClientEvent.objects.exists()
    )


def test_the_form_shows_every_tab_and_labels_tied_to_inputs(admin_client, cat):
    response = admin_client.get(reverse("clients:create"))
    html = response.content.decode()
    for tab in [
        "Básico",
        "Contacto",
        "Facturación",
        "Datos financieros",
        "Personas de contacto",
        "Otros",
        "Datos operadora",
        "Historial",
    ]:
        assert f">{tab}</button>" in html
    for label, input_id in [
        ("E-mail de contacto", "id_email"),
        ("Tipo de persona", "id_person_type"),
        ("Teléfono fijo", "id_phone"),
        ("Teléfono celular", "id_mobile"),
        ("Provincia/Estado/Región", "id_region"),
        ("Barrio", "id_neighbourhood"),
        ("Dirección", "id_address"),
        ("ID Cliente Personalizable", "id_custom_id"),
        ("Documento o cédula de identidad (DNI)", "id_document_number"),
        ("Observaciones", "id_notes"),
        ("Vendedor", "id_seller"),
        ("Recaudador", "id_collector"),
        ("Zona", "id_zone"),
        ("Emails a notificar", "id_notify_emails"),
        ("IBAN", "id_fin-iban"),
        ("Altura de antena", f"id_otros-extra_{cat.antenna.pk}"),
    ]:
        assert f'<label for="{input_id}"' in html, label
        assert label in html
    assert "Máximo 10.000 caracteres." in html


def test_the_name_fields_follow_the_person_type(admin_client, cat):
    url = reverse("clients:name_fields")
    natural = admin_client.get(url, {"person_type": "natural"}).content.decode()
    assert (
        "Primer nombre" in natural
        and "Primer apellido" in natural
        and "Razón social" not in natural
    )
    legal = admin_client.get(url, {"person_type": "legal"}).content.decode()
    assert "Razón social" in legal and "Primer nombre" not in legal
    other = admin_client.get(url, {"person_type": "other"}).content.decode()
    assert 'id="id_name"' in other and "Primer nombre" not in other


def test_it_creates_a_client_with_contacts_mandate_and_extra_value(admin_client, cat):
    response = admin_client.post(reverse("clients:create"), form_post(cat))
    assert response.status_code == 302, response.content.decode()[:3000]
    client = Client.objects.get()
    assert client.name == "María González"
    assert client.contacts.count() == 2
    assert client.mandates.get().iban == "ES9121000418450200051332"
    assert ExtraFieldValue.objects.get(client=client).value == "12.5"
    page = admin_client.get(reverse("clients:detail", args=[client.pk])).content.decode()
    assert "20-26756539-3" in page  # displayed formatted
    assert "Juan Técnico" in page and "MAND-77" in page


@pytest.mark.parametrize(
    "overrides, field, words",
    [
        ({"tax_id": BAD_CUIT}, "tax_id", "dígito verificador"),
        ({"first_name": ""}, "first_name", "Primer nombre"),
        ({"fin-iban": BAD_IBAN}, "fin-iban", "IBAN"),
        ({"notify_emails": "a@b.com, no-es-correo"}, "notify_emails", "Emails a notificar"),
        ({"notes": "x" * 10_001}, "notes", "10.000"),
        ({"otros-extra_{antenna}": "mucho"}, "extra", "no es un número"),
        (
            {"tax_condition": "{fantasy_cond}", "invoice_type": ""},
            "tax_condition",
            "fantasía",
        ),
    ],
)
def test_the_form_refuses_bad_input_and_writes_nothing(admin_client, cat, overrides, field, words):
    resolved = {}
    for key, value in overrides.items():
        key = key.replace("{antenna}", str(cat.antenna.pk))
        if value == "{fantasy_cond}":
            value = cat.cond["Sin factura legal"].pk
        resolved[key] = value
    response = admin_client.post(reverse("clients:create"), form_post(cat, **resolved))
    assert response.status_code == 200
    html = response.content.decode()
    assert words in html
    assert "No se guardó nada" in html
    assert nothing_written()


def test_the_form_refuses_an_email_taken_in_another_case(admin_client, cat, make_client):
    make_client(email="Maria@Example.com")
    response = admin_client.post(reverse("clients:create"), form_post(cat))
    html = response.content.decode()
    assert "ya lo usa otro cliente" in html and "Emails a notificar" in html
    assert Client.objects.count() == 1


def test_a_script_in_a_name_is_escaped(admin_client, cat):
    response = admin_client.post(
        reverse("clients:create"),
        form_post(cat, first_name="<script>alert(1)</script>", **{"contacts-0-name": "<b>x</b>"}),
    )
    client = Client.objects.get()
    for url in [
        reverse("clients:detail", args=[client.pk]),
        reverse("clients:edit", args=[client.pk]),
    ]:
        html = admin_client.get(url).content.decode()
        assert "<script>alert(1)</script>" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert response.status_code == 302


def test_editing_records_old_and_new_values(admin_client, cat, make_client):
    client = make_client(name="Antiguo", phone="111")
    post = {
        "person_type": "other",
        "name": "Antiguo",
        "phone": "222",
        "seller": cat.seller.pk,
        "contacts-TOTAL_FORMS": "0",
        "contacts-INITIAL_FORMS": "0",
        "send_invoice_emails": "on",
        "send_payment_emails": "on",
        "send_reminder_emails": "on",
        "send_manual_emails": "on",
    }
    response = admin_client.post(reverse("clients:edit", args=[client.pk]), post)
    assert response.status_code == 302
    event = ClientEvent.objects.filter(client=client, action="client.updated").get()
    assert event.changes == {"Teléfono fijo": ["111", "222"]}
    html = admin_client.get(reverse("clients:detail", args=[client.pk])).content.decode()
    assert "Teléfono fijo" in html and "222" in html


def test_borrar_deactivates_and_only_admins_reactivate(admin_client, make_user, cat, make_client):
    client = make_client()
    admin_client.post(reverse("clients:deactivate", args=[client.pk]))
    client.refresh_from_db()
    assert client.status == "inactive"
    assert (
        "Inactivo" in admin_client.get(reverse("clients:detail", args=[client.pk])).content.decode()
    )
    clerk = make_user("Facturación")
    admin_client.force_login(clerk)
    assert admin_client.post(reverse("clients:reactivate", args=[client.pk])).status_code == 403
    admin_client.force_login(make_user("Administrador"))
    admin_client.post(reverse("clients:reactivate", args=[client.pk]))
    client.refresh_from_db()
    assert client.status == "active"


def test_a_seller_cannot_open_another_sellers_client(client, make_user, cat, make_client):
    theirs = make_client(seller=cat.other_seller.pk)
    mine = make_client(seller=cat.seller.pk)
    user = make_user("Vendedor", seller=cat.seller)
    client.force_login(user)
    assert client.get(reverse("clients:detail", args=[mine.pk])).status_code == 200
    for name in ["clients:detail", "clients:edit"]:
        assert client.get(reverse(name, args=[theirs.pk])).status_code == 404
    assert client.post(reverse("clients:deactivate", args=[theirs.pk])).status_code == 404


def test_a_technician_cannot_create_clients(client, make_user, cat):
    client.force_login(make_user("Técnico"))
    assert client.get(reverse("clients:create")).status_code == 403


def test_manual_history_entries_can_be_edited_and_deleted(admin_client, cat, make_client):
    c = make_client()
    admin_client.post(
        reverse("clients:event_create", args=[c.pk]),
        {"entry_type": "call", "occurred_on": "2026-11-20", "summary": "Llamó por la factura"},
    )
    event = ClientEvent.objects.get(client=c, kind="manual")
    admin_client.post(
        reverse("clients:event_edit", args=[c.pk, event.pk]),
        {"entry_type": "visit", "occurred_on": "2026-11-21", "summary": "Visita técnica"},
    )
    event.refresh_from_db()
    assert event.entry_type == "visit" and event.summary == "Visita técnica"
    auto = ClientEvent.objects.get(client=c, kind="auto")
    assert (
        admin_client.post(reverse("clients:event_delete", args=[c.pk, auto.pk])).status_code == 403
    )
    assert admin_client.get(reverse("clients:event_edit", args=[c.pk, auto.pk])).status_code == 403
    admin_client.post(reverse("clients:event_delete", args=[c.pk, event.pk]))
    assert not ClientEvent.objects.filter(pk=event.pk).exists()
    assert ClientEvent.objects.filter(pk=auto.pk).exists()


@pytest.mark.parametrize(
    "person_type, field, label",
    [("legal", "legal_name", "Razón social"), ("other", "name", "Nombre")],
)
def test_the_form_requires_the_names_of_each_person_type(
    admin_client, cat, person_type, field, label
):
    post = form_post(cat, person_type=person_type, first_name=None, first_surname=None)
    response = admin_client.post(reverse("clients:create"), post)
    html = response.content.decode()
    assert f"{label}: es obligatori" in html
    assert nothing_written()


def test_the_form_refuses_a_duplicate_mandate_reference(admin_client, cat, make_client):
    from ispgest.clients.services import mandate_create

    other = make_client(email="otro@example.com")
    mandate_create(
        actor=None,
        client=other,
        data={"iban": VALID_IBAN, "signed_on": "2026-01-01", "mandate_reference": "MAND-77"},
    )
    clients_before = Client.objects.count()
    response = admin_client.post(reverse("clients:create"), form_post(cat))
    html = response.content.decode()
    assert "Referencia del mandato SEPA: «MAND-77» ya la usa otro mandato" in html
    assert Client.objects.count() == clients_before
    assert BankMandate.objects.count() == 1


def test_the_openapi_spec_documents_the_client_endpoints(admin_client):
    spec = admin_client.get("/api/v1/openapi.json").json()
    paths = spec["paths"]
    assert "/api/v1/clients/{client_id}" in paths
    assert {"get", "put", "patch", "delete"} <= set(paths["/api/v1/clients/{client_id}"])
    assert "/api/v1/clients/{client_id}/history" in paths


def test_a_seller_creates_clients_for_itself_only(client, make_user, cat):
    client.force_login(make_user("Vendedor", seller=cat.seller))
    post = form_post(cat, seller=cat.other_seller.pk)
    for key in [k for k in post if k.startswith("fin-")]:
        post.pop(key)
    response = client.post(reverse("clients:create"), post)
    assert response.status_code == 200
    assert "seller" in response.context["form"].errors
    assert nothing_written()
    response = client.post(reverse("clients:create"), form_post(cat, **{"fin-iban": None}))
    assert response.status_code == 302
    assert Client.objects.get().seller == cat.seller


@pytest.mark.parametrize(
    "country, kind, bad",
    [
        ("AR", "CUIT", "20-26756539-4"),
        ("CO", "NIT", "213.123.432-2"),
        ("EC", "RUC", "0992397536001"),
        ("MX", "RFC", "GODE561231GR9"),
        ("ES", "NIF", "12345678A"),
    ],
)
def test_the_form_refuses_a_wrong_check_digit_in_each_country(
    settings, admin_client, cat, country, kind, bad
):
    settings.ISPGEST_COUNTRY = country
    post = {
        "person_type": "other",
        "name": "Cliente",
        "tax_id_kind": kind,
        "tax_id": bad,
        "contacts-TOTAL_FORMS": "0",
        "contacts-INITIAL_FORMS": "0",
    }
    response = admin_client.post(reverse("clients:create"), post)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "tax_id" in errors and errors["tax_id"][0].startswith("Número tributario")
    assert nothing_written()


def test_renaming_a_client_with_invoices_asks_for_confirmation_in_the_form(
    admin_client, cat, make_client, monkeypatch
):
    from ispgest.clients import services

    monkeypatch.setattr(services, "client_has_invoices", lambda client: True)
    c = make_client(name="Viejo")
    post = {
        "person_type": "other",
        "name": "Nuevo",
        "seller": cat.seller.pk,
        "contacts-TOTAL_FORMS": "0",
        "contacts-INITIAL_FORMS": "0",
        "send_invoice_emails": "on",
        "send_payment_emails": "on",
        "send_reminder_emails": "on",
        "send_manual_emails": "on",
    }
    url = reverse("clients:edit", args=[c.pk])
    html = admin_client.post(url, post).content.decode()
    assert "renombrarlo puede generar conflictos" in html and 'name="confirm_rename"' in html
    c.refresh_from_db()
    assert c.name == "Viejo"
    assert admin_client.post(url, {**post, "confirm_rename": "1"}).status_code == 302
    c.refresh_from_db()
    assert c.name == "Nuevo"


def test_the_rename_confirmation_says_why_even_when_the_name_is_composed(admin_client):
    """A natural person's name is composed from its parts, so no "Nombre" input shows the
    error: the page itself must say why it asks for confirmation."""
    from lxml import html as lxml_html

    from ispgest.billing import services as billing
    from ispgest.billing.tests.factories import make_client as billing_client
    from ispgest.billing.tests.factories import setup_billing
    from ispgest.core.testing import form_values

    client = billing_client(
        setup_billing("AR"),
        person_type="natural",
        first_name="José",
        first_surname="Pérez",
        name="José Pérez",
    )
    billing.document_create(
        actor=None, client=client, lines=[billing.LineInput("Alta", "1", "100")], notify=False
    )
    url = reverse("clients:edit", args=[client.pk])
    data = form_values(admin_client.get(url).content)
    data["first_name"] = "Josefa"
    page = lxml_html.fromstring(admin_client.post(url, data).content.decode())
    alerts = " ".join(a.text_content() for a in page.xpath("//*[@role='alert']"))
    assert "renombrarlo puede generar conflictos" in alerts
    assert page.xpath("//input[@name='confirm_rename']")
    client.refresh_from_db()
    assert client.first_name == "José"

import pytest
from django.core.exceptions import ValidationError

from ispgest.clients.models import Client, ClientEvent
from ispgest.clients.services import client_create, client_update
from ispgest.clients.tests.conftest import BAD_CUIT

pytestmark = pytest.mark.django_db


def test_it_creates_a_natural_person_with_composed_name_and_history(admin_user, natural_data):
    client = client_create(actor=admin_user, data=natural_data)
    assert client.name == "María González Pérez"
    assert client.tax_id == "20267565393"
    assert client.sort_name.startswith("maria gonzalez")
    event = ClientEvent.objects.get(client=client)
    assert event.action == "client.created"
    assert event.changes["Primer nombre"] == ["", "María"]


def test_it_refuses_a_wrong_cuit_and_writes_nothing(admin_user, natural_data):
    natural_data["tax_id"] = BAD_CUIT
    with pytest.raises(ValidationError) as exc:
        client_create(actor=admin_user, data=natural_data)
    assert "tax_id" in exc.value.error_dict
    assert "dígito verificador" in str(exc.value)
    assert not Client.objects.exists()
    assert not ClientEvent.objects.exists()


def test_it_records_old_and_new_values_on_update(admin_user, natural_data, cat):
    client = client_create(actor=admin_user, data=natural_data)
    client = client_update(
        actor=admin_user, client=client, data={"phone": "0351 999", "zone": None}
    )
    event = ClientEvent.objects.filter(client=client).first()
    assert event.changes["Teléfono fijo"] == ["0351 555-1234", "0351 999"]
    assert event.changes["Zona"] == ["Norte", ""]


def test_a_legal_billing_entity_requires_the_tax_id(admin_user, natural_data):
    natural_data["tax_id"] = ""
    with pytest.raises(ValidationError) as exc:
        client_create(actor=admin_user, data=natural_data)
    assert "es obligatorio para facturar" in exc.value.message_dict["tax_id"][0]


def test_a_fantasy_entity_needs_no_tax_id(admin_user, natural_data, cat):
    natural_data.update(
        tax_id="",
        billing_entity=cat.fantasy.pk,
        tax_condition=cat.cond["Sin factura legal"].pk,
        invoice_type=cat.types["X"].pk,
    )
    assert client_create(actor=admin_user, data=natural_data).tax_id == ""


@pytest.mark.parametrize(
    "country, kind, good, bad",
    [
        ("AR", "CUIT", "20-26756539-3", "20-26756539-4"),
        ("CO", "NIT", "213.123.432-1", "213.123.432-2"),
        ("EC", "RUC", "0992397535001", "0992397536001"),
        ("EC", "CI", "1714307103", "1714307104"),
        ("MX", "RFC", "GODE561231GR8", "GODE561231GR9"),
        ("ES", "NIF", "12345678Z", "12345678A"),
    ],
)
def test_tax_ids_are_checked_per_country(settings, admin_user, cat, country, kind, good, bad):
    settings.ISPGEST_COUNTRY = country
    with pytest.raises(ValidationError) as exc:
        client_create(actor=admin_user, data={"name": "X", "tax_id_kind": kind, "tax_id": bad})
    assert "tax_id" in exc.value.error_dict and "Número tributario" in str(exc.value)
    assert not Client.objects.exists()
    client = client_create(
        actor=admin_user, data={"name": "X", "tax_id_kind": kind, "tax_id": good}
    )
    assert client.tax_id and " " not in client.tax_id and "-" not in client.tax_id


def test_a_tax_id_kind_of_another_country_is_refused(settings, admin_user, cat):
    settings.ISPGEST_COUNTRY = "AR"
    with pytest.raises(ValidationError) as exc:
        client_create(actor=admin_user, data={"name": "X", "tax_id_kind": "NIF", "tax_id": "1"})
    assert "tax_id_kind" in exc.value.error_dict


def test_notify_emails_are_normalised(admin_user, cat):
    c = client_create(
        actor=admin_user,
        data={"name": "X", "notify_emails": " A@Example.com; b@example.com, a@example.com"},
    )
    assert c.notify_emails == "a@example.com,b@example.com"


def test_moving_to_a_non_default_cycle_is_recorded_with_the_warning(admin_user, cat):
    c = client_create(actor=admin_user, data={"name": "X"})
    client_update(actor=admin_user, client=c, data={"billing_cycle": cat.cycle15.pk})
    event = ClientEvent.objects.filter(client=c).first()
    assert event.changes["Ciclo de facturación"] == ["", "Día 15"]
    assert "no podrá filtrar" in event.summary


def test_an_unchanged_update_writes_no_history(admin_user, cat):
    c = client_create(actor=admin_user, data={"name": "X", "phone": "1"})
    client_update(actor=admin_user, client=c, data={"phone": "1"})
    assert ClientEvent.objects.filter(client=c).count() == 1


def test_renaming_a_client_with_invoices_needs_confirmation(admin_user, cat, monkeypatch):
    from ispgest.clients import services

    c = client_create(actor=admin_user, data={"name": "Viejo"})
    monkeypatch.setattr(services, "client_has_invoices", lambda client: True)
    with pytest.raises(ValidationError) as exc:
        client_update(actor=admin_user, client=c, data={"name": "Nuevo"})
    assert "facturas" in exc.value.message_dict["name"][0]
    c.refresh_from_db()
    assert c.name == "Viejo"
    c = client_update(actor=admin_user, client=c, data={"name": "Nuevo"}, confirm_rename=True)
    assert c.name == "Nuevo" and c.sort_name == "nuevo"
    event = ClientEvent.objects.filter(client=c).first()
    assert event.action == "client.renamed" and "confirmado" in event.summary


def test_client_has_invoices_reads_billing_when_it_exists(admin_user, cat):
    from ispgest.clients.services import client_has_invoices

    c = client_create(actor=admin_user, data={"name": "X"})
    assert client_has_invoices(c) is False


def test_custom_id_is_unique_when_set(admin_user, cat):
    client_create(actor=admin_user, data={"name": "A", "custom_id": "C-1"})
    client_create(actor=admin_user, data={"name": "B", "custom_id": ""})
    client_create(actor=admin_user, data={"name": "C", "custom_id": ""})
    with pytest.raises(ValidationError) as exc:
        client_create(actor=admin_user, data={"name": "D", "custom_id": "C-1"})
    assert "ID Cliente Personalizable" in exc.value.message_dict["custom_id"][0]


def test_inactive_catalog_rows_cannot_be_chosen(admin_user, cat):
    cat.zone.active = False
    cat.zone.save()
    with pytest.raises(ValidationError) as exc:
        client_create(actor=admin_user, data={"name": "X", "zone": cat.zone.pk})
    assert "desactivad" in exc.value.message_dict["zone"][0]


def test_required_extra_fields_are_enforced_on_create(admin_user, cat):
    cat.antenna.required = True
    cat.antenna.save()
    with pytest.raises(ValidationError) as exc:
        client_create(actor=admin_user, data={"name": "X"})
    assert f"extra_{cat.antenna.pk}" in exc.value.error_dict
    assert not Client.objects.exists()


def test_validate_client_data_is_what_mass_updates_use(admin_user, cat):
    from ispgest.clients.validation import validate_client_data

    c = client_create(actor=admin_user, data={"name": "X"})
    assert validate_client_data(c, {"zone": cat.zone.pk}) == {"zone": cat.zone}
    with pytest.raises(ValidationError):
        validate_client_data(c, {"billing_enabled": True})


def test_a_real_invoice_makes_a_rename_need_confirmation(admin_user):
    from ispgest.billing import services as billing
    from ispgest.billing.tests.factories import make_client as billing_client
    from ispgest.billing.tests.factories import setup_billing
    from ispgest.clients.services import client_has_invoices

    entity = setup_billing("AR")
    client = billing_client(entity)
    assert client_has_invoices(client) is False
    billing.document_create(
        actor=None,
        client=client,
        lines=[billing.LineInput("Instalación", "1", "100")],
        notify=False,
    )
    assert client_has_invoices(client) is True
    with pytest.raises(ValidationError) as exc:
        client_update(actor=admin_user, client=client, data={"name": "Otro nombre"})
    assert "name" in exc.value.error_dict

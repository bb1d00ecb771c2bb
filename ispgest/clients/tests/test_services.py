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

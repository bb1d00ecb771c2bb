from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from ispgest.clients.models import ClientEvent
from ispgest.contracts import services
from ispgest.contracts.models import Equipment, EquipmentStatus

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "raw",
    [
        "aa:bb:cc:dd:ee:01",
        "AA-BB-CC-DD-EE-01",
        "aabb.ccdd.ee01",
        "AABBCCDDEE01",
        " aa bb cc dd ee 01 ",
    ],
)
def test_it_normalises_mac_addresses(raw):
    assert services.normalize_mac(raw) == "AA:BB:CC:DD:EE:01"


@pytest.mark.parametrize("raw", ["AA:BB:CC:DD:EE", "GG:BB:CC:DD:EE:01", "00:00:00:00:00:00"])
def test_it_refuses_invalid_mac_addresses(raw):
    with pytest.raises(ValidationError) as exc:
        services.normalize_mac(raw)
    assert "MAC" in exc.value.message_dict["mac_address"][0]


def test_install_retire_and_reuse_of_a_mac(subscriber, make_client, router_product, admin_user):
    other = make_client(name="Otro")
    equipment = services.equipment_install(
        actor=admin_user,
        client=subscriber,
        data={
            "product": router_product,
            "mac_address": "aa-bb-cc-dd-ee-01",
            "serial_number": "SN1",
            "installed_on": date(2026, 1, 5),
        },
    )
    assert equipment.mac_address == "AA:BB:CC:DD:EE:01"
    with pytest.raises(ValidationError) as exc:
        services.equipment_install(
            actor=admin_user,
            client=other,
            data={"product": router_product, "mac_address": "AABBCCDDEE01"},
        )
    assert exc.value.message_dict["mac_address"] == [
        "La dirección MAC AA:BB:CC:DD:EE:01 ya está en otro equipo instalado."
    ]
    assert Equipment.objects.count() == 1
    assert not ClientEvent.objects.filter(client=other).exists()

    services.equipment_retire(actor=admin_user, equipment=equipment, on=date(2026, 2, 1))
    equipment.refresh_from_db()
    assert (equipment.status, equipment.retired_on) == (EquipmentStatus.RETIRED, date(2026, 2, 1))
    # the retired row stays and its MAC may be installed again
    services.equipment_install(
        actor=admin_user,
        client=other,
        data={"product": router_product, "mac_address": "AABBCCDDEE01"},
    )
    assert Equipment.objects.count() == 2
    actions = list(ClientEvent.objects.filter(client=subscriber).values_list("action", flat=True))
    assert {"equipment.installed", "equipment.retired"} <= set(actions)


def test_the_database_keeps_installed_macs_unique(subscriber, router_product):
    Equipment.objects.create(
        client=subscriber,
        product=router_product,
        mac_address="AA:BB:CC:DD:EE:02",
        installed_on=date(2026, 1, 1),
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Equipment.objects.create(
            client=subscriber,
            product=router_product,
            mac_address="AA:BB:CC:DD:EE:02",
            installed_on=date(2026, 1, 1),
        )


def test_repair_cycle_and_retired_is_final(subscriber, router_product, admin_user):
    equipment = services.equipment_install(
        actor=admin_user,
        client=subscriber,
        data={"description": "ONU", "installed_on": date(2026, 1, 1)},
    )
    services.equipment_send_to_repair(actor=admin_user, equipment=equipment)
    services.equipment_reinstall(actor=admin_user, equipment=equipment)
    services.equipment_retire(actor=admin_user, equipment=equipment)
    with pytest.raises(ValidationError, match="«Retirado» a «Instalado»"):
        services.equipment_reinstall(actor=admin_user, equipment=equipment)


def test_equipment_needs_a_product_or_a_description_and_the_clients_own_contract(
    subscriber, make_client, make_contract, admin_user
):
    with pytest.raises(ValidationError, match="producto o escriba una descripción"):
        services.equipment_install(actor=admin_user, client=subscriber, data={})
    foreign = make_contract(make_client(name="Ajeno"))
    with pytest.raises(ValidationError, match="no pertenece"):
        services.equipment_install(
            actor=admin_user, client=subscriber, data={"description": "ONU", "contract": foreign}
        )


def test_the_service_refuses_a_technician_without_the_role(subscriber, admin_user, make_user):
    from ispgest.accounts.roles import SELLER, TECHNICIAN

    with pytest.raises(ValidationError) as exc:
        services.equipment_install(
            actor=admin_user,
            client=subscriber,
            data={"description": "ONU", "technician": make_user(SELLER)},
        )
    assert "technician" in exc.value.error_dict
    tech = make_user(TECHNICIAN)
    done = services.equipment_install(
        actor=admin_user, client=subscriber, data={"description": "ONU", "technician": tech}
    )
    assert done.technician == tech

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from ispgest.clients.models import ClientEvent
from ispgest.contracts import services
from ispgest.contracts.models import (
    Contract,
    ContractStatus,
    ContractStatusChange,
    Plan,
    PlanAssignment,
)
from ispgest.core.exceptions import InvalidTransition

pytestmark = pytest.mark.django_db


def test_it_creates_a_contract_pending_installation_with_its_first_assignment(
    subscriber, make_contract, plans, zone, admin_user
):
    contract = make_contract(
        subscriber,
        plan=plans["100"],
        address="Belgrano 120",
        latitude=Decimal("-31.4201"),
        longitude=Decimal("-64.1888"),
        zone=zone,
    )
    assert contract.status == ContractStatus.PENDING_INSTALLATION
    assignment = contract.plan_assignments.get()
    assert (assignment.plan, assignment.price, assignment.end_date) == (
        plans["100"],
        Decimal("15900.00"),
        None,
    )
    assert contract.map_url.startswith("https://www.openstreetmap.org/?mlat=-31.420100&mlon=")
    event = ClientEvent.objects.get(client=subscriber, action="contract.created")
    assert "Belgrano 120" in event.summary and "Fibra 100 Mbps" in event.summary
    assert event.actor == admin_user
    assert ContractStatusChange.objects.get(contract=contract).to_status == "pending_installation"


def test_it_refuses_latitude_123_and_writes_nothing(subscriber, plans, admin_user):
    with pytest.raises(ValidationError) as exc:
        services.contract_create(
            actor=admin_user,
            client=subscriber,
            plan=plans["30"],
            start_date=date(2020, 1, 1),
            data={"address": "Calle 1", "latitude": Decimal("123"), "longitude": Decimal("-64")},
        )
    assert exc.value.message_dict["latitude"] == ["La latitud debe estar entre -90 y 90."]
    assert not Contract.objects.exists() and not PlanAssignment.objects.exists()
    assert not ClientEvent.objects.filter(client=subscriber).exists()


def test_the_database_refuses_an_out_of_range_longitude_too(subscriber, plans):
    with pytest.raises(IntegrityError), transaction.atomic():
        Contract.objects.create(
            client=subscriber,
            plan=plans["30"],
            start_date=date(2020, 1, 1),
            address="x",
            latitude=Decimal("10"),
            longitude=Decimal("-181"),
        )


def test_it_follows_the_transition_map_and_logs_each_move(subscriber, make_contract, admin_user):
    contract = make_contract(subscriber)
    for to_status, on in [
        (ContractStatus.ACTIVE, date(2020, 1, 5)),
        (ContractStatus.SUSPENDED, date(2020, 2, 10)),
        (ContractStatus.ACTIVE, date(2020, 2, 20)),
        (ContractStatus.CANCELLED, date(2020, 3, 15)),
    ]:
        contract = services.contract_transition(
            actor=admin_user, contract=contract, to_status=to_status, effective_date=on
        )
    log = list(
        ContractStatusChange.objects.filter(contract=contract).values_list(
            "from_status", "to_status", "effective_date"
        )
    )
    assert log[1:] == [
        ("pending_installation", "active", date(2020, 1, 5)),
        ("active", "suspended", date(2020, 2, 10)),
        ("suspended", "active", date(2020, 2, 20)),
        ("active", "cancelled", date(2020, 3, 15)),
    ]
    contract.refresh_from_db()
    assert contract.end_date == date(2020, 3, 15)
    assert contract.plan_assignments.get().end_date == date(2020, 3, 15)
    summaries = list(
        ClientEvent.objects.filter(action="contract.status_changed").values_list(
            "summary", flat=True
        )
    )
    assert any("suspendido desde 10/02/2020" in s for s in summaries)
    assert any("dado de baja desde 15/03/2020" in s for s in summaries)


def test_it_refuses_to_reactivate_a_cancelled_contract_with_a_spanish_message(
    subscriber, make_contract, admin_user
):
    contract = make_contract(subscriber)
    services.contract_cancel(actor=admin_user, contract=contract, effective_date=date(2020, 1, 2))
    events_before = ClientEvent.objects.count()
    with pytest.raises(InvalidTransition) as exc:
        services.contract_activate(actor=admin_user, contract=contract)
    assert exc.value.message_dict["status"] == [
        "No se puede pasar un contrato de «Dado de baja» a «Activo»."
    ]
    contract.refresh_from_db()
    assert contract.status == ContractStatus.CANCELLED
    assert ClientEvent.objects.count() == events_before


def test_pending_cannot_be_suspended_and_effective_dates_cannot_go_back(
    subscriber, make_contract, admin_user
):
    contract = make_contract(subscriber)
    with pytest.raises(InvalidTransition):
        services.contract_suspend(actor=admin_user, contract=contract)
    services.contract_activate(actor=admin_user, contract=contract, effective_date=date(2020, 2, 1))
    with pytest.raises(ValidationError, match="anterior al último cambio"):
        services.contract_suspend(
            actor=admin_user, contract=contract, effective_date=date(2020, 1, 20)
        )
    with pytest.raises(ValidationError, match="no puede ser futura"):
        services.contract_suspend(
            actor=admin_user, contract=contract, effective_date=date(2999, 1, 1)
        )


def test_update_records_the_changed_fields_in_history(subscriber, make_contract, admin_user):
    contract = make_contract(subscriber)
    services.contract_update(
        actor=admin_user, contract=contract, data={"address": "San Martín 55", "notes": "Timbre 2"}
    )
    event = ClientEvent.objects.get(action="contract.updated")
    assert event.changes["Dirección del servicio"] == ["Av. Siempreviva 742", "San Martín 55"]


def test_plan_names_are_unique_ignoring_case_and_burst_not_below_the_rate(admin_user, plans):
    with pytest.raises(ValidationError) as exc:
        services.plan_create(
            actor=admin_user, data={"name": "fibra 30 MBPS", "price": Decimal("1")}
        )
    assert exc.value.message_dict["name"] == ["Ya existe una tarifa con ese nombre."]
    with pytest.raises(ValidationError) as exc:
        services.plan_create(
            actor=admin_user,
            data={
                "name": "Radio 10",
                "price": Decimal("5000"),
                "download_kbps": 10_000,
                "burst_download_kbps": 5_000,
            },
        )
    assert "burst_download_kbps" in exc.value.message_dict
    plan = services.plan_create(
        actor=admin_user,
        data={"name": "Instalación", "price": Decimal("20000"), "kind": Plan.Kind.ONE_OFF},
    )
    assert plan.currency == "ARS"
    services.plan_deactivate(actor=admin_user, plan=plan)
    assert Plan.objects.get(pk=plan.pk).active is False


def test_a_deactivated_plan_cannot_be_assigned(subscriber, make_contract, plans, admin_user):
    services.plan_deactivate(actor=admin_user, plan=plans["300"])
    with pytest.raises(ValidationError, match="dada de baja"):
        make_contract(subscriber, plan=plans["300"])
    assert not Contract.objects.exists()


def test_overlapping_assignments_are_refused_at_the_lowest_level_each_database_has(
    subscriber, make_contract, plans, admin_user
):
    """PostgreSQL: the exclusion constraint; SQLite (no exclusion constraints): the service."""
    contract = make_contract(subscriber)
    PlanAssignment.objects.filter(contract=contract).update(end_date=date(2020, 3, 1))
    if connection.vendor == "postgresql":
        with pytest.raises(IntegrityError), transaction.atomic():
            PlanAssignment.objects.create(
                contract=contract,
                plan=plans["100"],
                price=Decimal("1"),
                start_date=date(2020, 2, 1),
                end_date=date(2020, 4, 1),
            )
    else:
        with pytest.raises(ValidationError, match="se solapan"):
            services.plan_assign(
                actor=admin_user,
                contract=contract,
                plan=plans["100"],
                start_date=date(2020, 2, 1),
                end_date=date(2020, 4, 1),
            )
    assert PlanAssignment.objects.filter(contract=contract).count() == 1

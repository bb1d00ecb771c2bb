from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from ispgest.clients.models import ClientEvent
from ispgest.contracts import services
from ispgest.contracts.models import PlanAssignment

pytestmark = pytest.mark.django_db


def test_assigning_a_plan_ends_the_previous_one_on_that_date(
    subscriber, make_contract, plans, admin_user
):
    contract = make_contract(subscriber, start=date(2026, 1, 1))
    new = services.plan_assign(
        actor=admin_user,
        contract=contract,
        plan=plans["100"],
        start_date=date(2026, 3, 10),
        price=Decimal("14000"),
    )
    old = PlanAssignment.objects.get(contract=contract, plan=plans["30"])
    assert old.end_date == date(2026, 3, 10)  # kept, ended
    assert new.end_date is None and new.price == Decimal("14000")
    contract.refresh_from_db()
    assert contract.plan == plans["100"]
    event = ClientEvent.objects.get(action="contract.plan_assigned")
    assert event.changes == {"Tarifa": ["Fibra 30 Mbps", "Fibra 100 Mbps"]}


def test_it_refuses_overlapping_assignments_and_writes_nothing(
    subscriber, make_contract, plans, admin_user
):
    contract = make_contract(subscriber, start=date(2026, 1, 1))
    services.plan_assign(
        actor=admin_user, contract=contract, plan=plans["100"], start_date=date(2026, 3, 1)
    )
    before = list(PlanAssignment.objects.values_list("id", "plan_id", "start_date", "end_date"))
    events = ClientEvent.objects.count()
    # starts before the current one
    with pytest.raises(ValidationError) as exc:
        services.plan_assign(
            actor=admin_user, contract=contract, plan=plans["300"], start_date=date(2026, 2, 1)
        )
    assert "se solapan" in exc.value.message_dict["start_date"][0]
    # a closed past period over an existing one
    with pytest.raises(ValidationError, match="se solapan"):
        services.plan_assign(
            actor=admin_user,
            contract=contract,
            plan=plans["300"],
            start_date=date(2026, 1, 15),
            end_date=date(2026, 2, 15),
        )
    assert list(PlanAssignment.objects.values_list("id", "plan_id", "start_date", "end_date")) == (
        before
    )
    assert ClientEvent.objects.count() == events


def test_it_refuses_assignments_on_cancelled_contracts_or_before_the_start(
    subscriber, make_contract, plans, admin_user
):
    contract = make_contract(subscriber, start=date(2026, 1, 10))
    with pytest.raises(ValidationError, match="antes de la fecha de alta"):
        services.plan_assign(
            actor=admin_user, contract=contract, plan=plans["100"], start_date=date(2026, 1, 1)
        )
    services.contract_cancel(actor=admin_user, contract=contract, effective_date=date(2026, 2, 1))
    with pytest.raises(ValidationError, match="dado de baja"):
        services.plan_assign(
            actor=admin_user, contract=contract, plan=plans["100"], start_date=date(2026, 3, 1)
        )


def test_a_same_day_change_leaves_an_empty_previous_period(
    subscriber, make_contract, plans, admin_user
):
    contract = make_contract(subscriber, start=date(2026, 1, 1))
    services.plan_assign(
        actor=admin_user, contract=contract, plan=plans["100"], start_date=date(2026, 1, 1)
    )
    old = PlanAssignment.objects.get(plan=plans["30"])
    assert old.start_date == old.end_date == date(2026, 1, 1)
    assert PlanAssignment.objects.filter(contract=contract, end_date__isnull=True).count() == 1

"""Plan assignments: a contract's plans over time, without overlaps."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import IntegrityError, transaction

from ispgest.clients.history import record_event
from ispgest.contracts import signals
from ispgest.contracts.models import (
    Contract,
    ContractStatus,
    Plan,
    PlanAssignment,
)
from ispgest.contracts.services.plans import _check_active_plan
from ispgest.core.exceptions import DomainError
from ispgest.core.formats import fdate, money
from ispgest.core.money import round_money


def _check_price(price: Decimal | None) -> None:
    if price is not None and price < 0:
        raise DomainError("El precio no puede ser negativo.", field="price")


def _overlap_message(other: PlanAssignment) -> str:
    until = fdate(other.end_date) if other.end_date else "sin fecha de fin"
    return (
        f"Las fechas se solapan con la tarifa «{other.plan.name}» "
        f"({fdate(other.start_date)} – {until}) de este contrato."
    )


@transaction.atomic
def plan_assign(
    *,
    actor,
    contract: Contract,
    plan: Plan,
    start_date: date,
    price: Decimal | None = None,
    end_date: date | None = None,
) -> PlanAssignment:
    """Assign `plan` to `contract` from `start_date`.

    Without `end_date` the new assignment becomes the open one: the previous open
    assignment ends on `start_date` and the contract's current plan follows. With
    `end_date` it records a closed past period. Overlaps are refused either way.
    """
    contract = Contract.objects.select_for_update().get(pk=contract.pk)
    if contract.status == ContractStatus.CANCELLED:
        raise DomainError("El contrato está dado de baja: no se le pueden asignar tarifas.")
    _check_active_plan(plan)
    _check_price(price)
    if end_date is not None and end_date < start_date:
        raise DomainError(
            "La fecha de fin no puede ser anterior a la fecha de inicio.", field="end_date"
        )
    if start_date < contract.start_date:
        raise DomainError(
            "La tarifa no puede empezar antes de la fecha de alta del contrato.",
            field="start_date",
        )
    assignments = list(contract.plan_assignments.select_related("plan").order_by("start_date"))
    current = next((a for a in assignments if a.end_date is None), None)
    closes_current = end_date is None and current is not None
    if closes_current and start_date < current.start_date:
        raise DomainError(_overlap_message(current), field="start_date")
    for other in assignments:
        if closes_current and other.pk == current.pk:
            continue
        other_ends_after_start = other.end_date is None or other.end_date > start_date
        starts_before_new_end = end_date is None or other.start_date < end_date
        if other_ends_after_start and starts_before_new_end and other.start_date != other.end_date:
            raise DomainError(_overlap_message(other), field="start_date")
    previous_plan = contract.plan
    if closes_current:
        current.end_date = start_date
        current.save(update_fields=["end_date", "updated_at"])
    try:
        with transaction.atomic():
            assignment = PlanAssignment.objects.create(
                contract=contract,
                plan=plan,
                price=plan.price if price is None else round_money(price),
                start_date=start_date,
                end_date=end_date,
                created_by=actor if getattr(actor, "pk", None) else None,
            )
    except IntegrityError as exc:
        # A concurrent assignment won the race (PostgreSQL exclusion constraint).
        raise DomainError(
            "Las fechas se solapan con otra tarifa de este contrato.", field="start_date"
        ) from exc
    if end_date is None and contract.plan_id != plan.pk:
        contract.plan = plan
        contract.save(update_fields=["plan", "updated_at"])
    if end_date is None:
        summary = (
            f"Contrato #{contract.pk}: tarifa «{previous_plan.name}» cambiada a «{plan.name}» "
            f"({money(assignment.price)}) desde {fdate(start_date)}."
        )
        changes = {"Tarifa": [previous_plan.name, plan.name]}
    else:
        summary = (
            f"Contrato #{contract.pk}: tarifa «{plan.name}» ({money(assignment.price)}) registrada del "
            f"{fdate(start_date)} al {fdate(end_date)}."
        )
        changes = {}
    record_event(
        client=contract.client,
        actor=actor,
        action="contract.plan_assigned",
        summary=summary,
        changes=changes,
        obj=assignment,
    )
    if end_date is None and previous_plan.pk != plan.pk:
        signals.contract_plan_changed.send(
            sender=Contract,
            contract=contract,
            actor=actor,
            assignment=assignment,
            previous_plan=previous_plan,
        )
    return assignment

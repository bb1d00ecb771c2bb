"""Contracts: create, update, and the status lifecycle (activate, suspend, cancel)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from ispgest.clients.history import changes_between, record_event, snapshot
from ispgest.clients.models import Client
from ispgest.contracts import signals
from ispgest.contracts.models import (
    CONTRACT_TRANSITIONS,
    Contract,
    ContractStatus,
    ContractStatusChange,
    Plan,
    PlanAssignment,
)
from ispgest.contracts.services._common import _apply, _clean, _label, _today
from ispgest.contracts.services.assignments import _check_price
from ispgest.contracts.services.plans import _check_active_plan
from ispgest.core.exceptions import DomainError, InvalidTransition
from ispgest.core.formats import fdate, money
from ispgest.core.money import round_money

CONTRACT_FIELDS = (
    "address",
    "city",
    "latitude",
    "longitude",
    "zone",
    "router",
    "payment_method",
    "notes",
)
_SNAPSHOT_FIELDS = ("status", "plan", "start_date", "end_date", *CONTRACT_FIELDS)


def _check_coordinates(contract: Contract) -> None:
    if (contract.latitude is None) != (contract.longitude is None):
        field = "longitude" if contract.longitude is None else "latitude"
        raise DomainError("Indique la latitud y la longitud, o ninguna de las dos.", field=field)


@transaction.atomic
def contract_create(
    *,
    actor,
    client: Client,
    plan: Plan,
    start_date: date,
    data: dict[str, Any],
    price: Decimal | None = None,
) -> Contract:
    """A new contract ("Pendiente de instalación") with its first plan assignment."""
    client = Client.objects.select_for_update().get(pk=client.pk)
    _check_active_plan(plan)
    contract = Contract(client=client, plan=plan, start_date=start_date)
    _apply(contract, data, CONTRACT_FIELDS)
    contract.address = (contract.address or "").strip()
    _clean(contract)
    _check_coordinates(contract)
    _check_price(price)
    contract.status_changed_at = timezone.now()
    contract.save()
    assignment = PlanAssignment.objects.create(
        contract=contract,
        plan=plan,
        price=plan.price if price is None else round_money(price),
        start_date=start_date,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    ContractStatusChange.objects.create(
        contract=contract,
        from_status="",
        to_status=contract.status,
        effective_date=start_date,
        actor=actor if getattr(actor, "pk", None) else None,
        reason="Alta del contrato",
    )
    record_event(
        client=client,
        actor=actor,
        action="contract.created",
        summary=(
            f"Contrato #{contract.pk} creado en «{contract.address}» con la tarifa "
            f"«{plan.name}» ({money(assignment.price)}) desde {fdate(start_date)}."
        ),
        changes=changes_between({}, snapshot(contract, _SNAPSHOT_FIELDS)),
        obj=contract,
    )
    signals.contract_created.send(sender=Contract, contract=contract, actor=actor)
    return contract


@transaction.atomic
def contract_update(*, actor, contract: Contract, data: dict[str, Any]) -> Contract:
    """Address, coordinates, zone, router, payment method and notes (not status nor plan)."""
    contract = Contract.objects.select_for_update().get(pk=contract.pk)
    before = snapshot(contract, CONTRACT_FIELDS)
    changed = _apply(contract, data, CONTRACT_FIELDS)
    contract.address = (contract.address or "").strip()
    _clean(contract)
    _check_coordinates(contract)
    if not changed:
        return contract
    contract.save(update_fields=[*changed, "updated_at"])
    changes = changes_between(before, snapshot(contract, CONTRACT_FIELDS))
    record_event(
        client=contract.client,
        actor=actor,
        action="contract.updated",
        summary=f"Contrato #{contract.pk} modificado.",
        changes=changes,
        obj=contract,
    )
    signals.contract_updated.send(sender=Contract, contract=contract, actor=actor, changes=changes)
    return contract


TRANSITION_VERBS = {
    ContractStatus.ACTIVE: "activado",
    ContractStatus.SUSPENDED: "suspendido",
    ContractStatus.CANCELLED: "dado de baja",
}


@transaction.atomic
def contract_transition(
    *,
    actor,
    contract: Contract,
    to_status: str,
    effective_date: date | None = None,
    reason: str = "",
) -> Contract:
    """Move a contract along CONTRACT_TRANSITIONS, logging the move for billing.

    Cancelling ends the open plan assignment on the effective date (the first day without
    service) and sets the contract's end date.
    """
    contract = Contract.objects.select_for_update().get(pk=contract.pk)
    effective_date = effective_date or _today()
    if to_status not in ContractStatus.values:
        raise InvalidTransition("Estado de contrato desconocido.", field="status")
    current = contract.status
    if to_status not in CONTRACT_TRANSITIONS.get(current, ()):
        raise InvalidTransition(
            f"No se puede pasar un contrato de «{_label(ContractStatus.choices, current)}» a "
            f"«{_label(ContractStatus.choices, to_status)}».",
            field="status",
        )
    if effective_date < contract.start_date:
        raise DomainError(
            "La fecha efectiva no puede ser anterior a la fecha de alta del contrato.",
            field="effective_date",
        )
    # The status is the status of today: a move is recorded when it happens, not scheduled.
    if effective_date > _today():
        raise DomainError("La fecha efectiva no puede ser futura.", field="effective_date")
    last = contract.status_changes.order_by("-effective_date", "-id").first()
    if last is not None and effective_date < last.effective_date:
        raise DomainError(
            "La fecha efectiva no puede ser anterior al último cambio de estado "
            f"({fdate(last.effective_date)}).",
            field="effective_date",
        )
    contract.status = to_status
    contract.status_changed_at = timezone.now()
    fields = ["status", "status_changed_at", "updated_at"]
    if to_status == ContractStatus.CANCELLED:
        open_assignment = contract.plan_assignments.filter(end_date__isnull=True).first()
        if open_assignment is not None:
            if effective_date < open_assignment.start_date:
                raise DomainError(
                    "La fecha de baja no puede ser anterior al inicio de la tarifa vigente.",
                    field="effective_date",
                )
            open_assignment.end_date = effective_date
            open_assignment.save(update_fields=["end_date", "updated_at"])
        contract.end_date = effective_date
        fields.append("end_date")
    contract.save(update_fields=fields)
    ContractStatusChange.objects.create(
        contract=contract,
        from_status=current,
        to_status=to_status,
        effective_date=effective_date,
        actor=actor if getattr(actor, "pk", None) else None,
        reason=reason[:255],
    )
    old, new = _label(ContractStatus.choices, current), _label(ContractStatus.choices, to_status)
    record_event(
        client=contract.client,
        actor=actor,
        action="contract.status_changed",
        summary=(
            f"Contrato #{contract.pk} {TRANSITION_VERBS.get(to_status, new)} "
            f"desde {fdate(effective_date)}." + (f" Motivo: {reason}" if reason else "")
        ),
        changes={"Estado": [old, new]},
        obj=contract,
    )
    signals.contract_status_changed.send(
        sender=Contract,
        contract=contract,
        actor=actor,
        from_status=current,
        to_status=to_status,
        effective_date=effective_date,
    )
    return contract


def contract_activate(*, actor, contract: Contract, effective_date: date | None = None, reason=""):
    return contract_transition(
        actor=actor,
        contract=contract,
        to_status=ContractStatus.ACTIVE,
        effective_date=effective_date,
        reason=reason,
    )


def contract_suspend(*, actor, contract: Contract, effective_date: date | None = None, reason=""):
    return contract_transition(
        actor=actor,
        contract=contract,
        to_status=ContractStatus.SUSPENDED,
        effective_date=effective_date,
        reason=reason,
    )


def contract_cancel(*, actor, contract: Contract, effective_date: date | None = None, reason=""):
    return contract_transition(
        actor=actor,
        contract=contract,
        to_status=ContractStatus.CANCELLED,
        effective_date=effective_date,
        reason=reason,
    )

"""Plans (tarifas): create, update, deactivate."""

from __future__ import annotations

import copy
from typing import Any

from django.db import transaction
from django.utils import timezone

from ispgest.contracts import signals
from ispgest.contracts.models import (
    Plan,
)
from ispgest.contracts.services._common import _apply, _clean
from ispgest.core.audit import audit, changes_of
from ispgest.core.exceptions import DomainError
from ispgest.core.money import default_currency, round_money

PLAN_FIELDS = (
    "name",
    "description",
    "kind",
    "price",
    "currency",
    "tax",
    "download_kbps",
    "upload_kbps",
    "burst_download_kbps",
    "burst_upload_kbps",
    "burst_threshold_download_kbps",
    "burst_threshold_upload_kbps",
    "burst_time_seconds",
    "priority",
    "active",
)


def _check_plan(plan: Plan) -> None:
    _clean(plan)
    plan.price = round_money(plan.price)
    currency = default_currency()
    plan.currency = (plan.currency or currency).strip().upper()
    if plan.currency != currency:
        # Billing invoices in the installation's one currency; a plan priced in another
        # would be charged as if its figure were in that one.
        raise DomainError(
            f"Moneda: la instalación factura en {currency}; una tarifa no puede tener otra "
            f"moneda ({plan.currency}).",
            field="currency",
        )
    name_taken = Plan.objects.filter(name__iexact=plan.name.strip()).exclude(pk=plan.pk).exists()
    if name_taken:
        raise DomainError("Ya existe una tarifa con ese nombre.", field="name")
    pairs = (
        ("burst_download_kbps", "download_kbps", "La ráfaga de bajada"),
        ("burst_upload_kbps", "upload_kbps", "La ráfaga de subida"),
    )
    for burst, base, label in pairs:
        value = getattr(plan, burst)
        if value is not None and value < getattr(plan, base):
            raise DomainError(
                f"{label} no puede ser menor que la velocidad contratada.", field=burst
            )


def _check_active_plan(plan: Plan) -> None:
    if not plan.active:
        raise DomainError("La tarifa está dada de baja y no se puede asignar.", field="plan")


@transaction.atomic
def plan_create(*, actor, data: dict[str, Any]) -> Plan:
    plan = Plan()
    _apply(plan, data, PLAN_FIELDS)
    plan.name = plan.name.strip()
    _check_plan(plan)
    plan.save()
    audit(
        actor=actor,
        action="plan.created",
        obj=plan,
        summary=f"Tarifa creada: {plan}",
        changes=changes_of(None, plan),
    )
    signals.plan_saved.send(sender=Plan, plan=plan, actor=actor, created=True)
    return plan


@transaction.atomic
def plan_update(*, actor, plan: Plan, data: dict[str, Any]) -> Plan:
    plan = Plan.objects.select_for_update().get(pk=plan.pk)
    old = copy.copy(plan)
    changed = _apply(plan, data, PLAN_FIELDS)
    plan.name = plan.name.strip()
    _check_plan(plan)
    if changed:
        plan.save(update_fields=[*changed, "updated_at"])
        audit(
            actor=actor,
            action="plan.updated",
            obj=plan,
            summary=f"Tarifa modificada: {plan}",
            changes=changes_of(old, plan),
        )
        signals.plan_saved.send(
            sender=Plan, plan=plan, actor=actor, created=False, changed=tuple(changed)
        )
    return plan


@transaction.atomic
def plan_deactivate(*, actor, plan: Plan) -> Plan:
    """Existing contracts keep the plan; it is no longer offered for new assignments."""
    updated = Plan.objects.filter(pk=plan.pk, active=True).update(
        active=False, updated_at=timezone.now()
    )
    plan.refresh_from_db()
    if updated:
        audit(
            actor=actor,
            action="plan.deactivated",
            obj=plan,
            summary=f"Tarifa dada de baja: {plan}",
            changes={"Activa": ["Sí", "No"]},
        )
    return plan

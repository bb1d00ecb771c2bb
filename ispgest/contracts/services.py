"""Every write on plans, contracts, plan assignments, equipment, renewable packages and
signed documents. Each function validates everything before writing, runs in one
transaction and writes the client's history (Historial) in that same transaction.
"""

from __future__ import annotations

import calendar
import copy
import re
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from ispgest.accounts.selectors import technicians
from ispgest.clients.history import changes_between, record_event, snapshot
from ispgest.clients.models import Client, ClientEvent, EventKind
from ispgest.contracts import signals
from ispgest.contracts.models import (
    CONTRACT_TRANSITIONS,
    Contract,
    ContractStatus,
    ContractStatusChange,
    Equipment,
    EquipmentStatus,
    PackageAssignment,
    PackageAssignmentLine,
    Plan,
    PlanAssignment,
    RenewablePackage,
    RenewablePackageLine,
    SignedDocument,
)
from ispgest.core import uploads
from ispgest.core.audit import audit, audit_many, changes_of
from ispgest.core.dates import check_date
from ispgest.core.exceptions import DomainError, InvalidTransition
from ispgest.core.formats import fdate, money, plural
from ispgest.core.money import default_currency, round_money

# ---------------------------------------------------------------------------------------------
# helpers


def add_months(day: date, months: int) -> date:
    """`day` plus `months` calendar months, clamped to the month's last day (31/01 + 1 = 28/02)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _apply(instance, data: dict[str, Any], allowed: tuple[str, ...]) -> list[str]:
    changed = []
    for name, value in data.items():
        if name not in allowed:
            continue
        field = instance._meta.get_field(name)
        attr = field.attname if field.is_relation and not hasattr(value, "_meta") else name
        if getattr(instance, attr) != value:
            setattr(instance, attr, value)
            changed.append(name)
    return changed


def _clean(instance, exclude: list[str] | None = None) -> None:
    # Constraints are checked by the services with Spanish messages (and by the database).
    instance.full_clean(exclude=exclude, validate_constraints=False)


def _today() -> date:
    return timezone.localdate()


def _label(choices, value) -> str:
    return str(dict(choices).get(value, value))


# ---------------------------------------------------------------------------------------------
# plans

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


# ---------------------------------------------------------------------------------------------
# contracts

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


def _check_active_plan(plan: Plan) -> None:
    if not plan.active:
        raise DomainError("La tarifa está dada de baja y no se puede asignar.", field="plan")


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


# ---------------------------------------------------------------------------------------------
# plan assignments


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


# ---------------------------------------------------------------------------------------------
# equipment

_MAC_RE = re.compile(r"^[0-9A-F]{12}$")


def normalize_mac(value: str | None) -> str:
    """ "aa-bb-cc-dd-ee-ff", "aabb.ccdd.eeff", "AABBCCDDEEFF"... -> "AA:BB:CC:DD:EE:FF"."""
    if not value or not value.strip():
        return ""
    digits = re.sub(r"[\s:.\-]", "", value.strip()).upper()
    if not _MAC_RE.match(digits):
        raise DomainError(
            "La dirección MAC no es válida: deben ser 12 dígitos hexadecimales "
            "(p. ej. AA:BB:CC:DD:EE:FF).",
            field="mac_address",
        )
    if digits == "000000000000" or digits == "FFFFFFFFFFFF":
        raise DomainError("La dirección MAC no es válida.", field="mac_address")
    return ":".join(digits[i : i + 2] for i in range(0, 12, 2))


EQUIPMENT_FIELDS = (
    "contract",
    "product",
    "description",
    "serial_number",
    "mac_address",
    "ip_address",
    "installed_on",
    "technician",
    "notes",
)
EQUIPMENT_TRANSITIONS = {
    EquipmentStatus.INSTALLED: (EquipmentStatus.RETIRED, EquipmentStatus.REPAIR),
    EquipmentStatus.REPAIR: (EquipmentStatus.INSTALLED, EquipmentStatus.RETIRED),
    EquipmentStatus.RETIRED: (),
}


def _check_technician(equipment: Equipment) -> None:
    if equipment.technician_id and not technicians().filter(pk=equipment.technician_id).exists():
        raise DomainError(
            "El técnico debe ser un usuario activo con el rol Técnico.", field="technician"
        )


def _check_equipment(equipment: Equipment) -> None:
    equipment.mac_address = normalize_mac(equipment.mac_address)
    equipment.serial_number = (equipment.serial_number or "").strip()
    equipment.description = (equipment.description or "").strip()
    if not equipment.product_id and not equipment.description:
        raise DomainError("Elija un producto o escriba una descripción.", field="description")
    if equipment.contract_id and not Contract.objects.filter(pk=equipment.contract_id).exists():
        raise DomainError(
            f"Contrato: no existe el contrato {equipment.contract_id}.", field="contract"
        )
    if equipment.contract_id and equipment.contract.client_id != equipment.client_id:
        raise DomainError("El contrato no pertenece a este cliente.", field="contract")
    _clean(equipment, exclude=["client"])
    if equipment.mac_address and equipment.status != EquipmentStatus.RETIRED:
        taken = (
            Equipment.objects.filter(mac_address=equipment.mac_address)
            .exclude(status=EquipmentStatus.RETIRED)
            .exclude(pk=equipment.pk)
            .exists()
        )
        if taken:
            raise DomainError(
                f"La dirección MAC {equipment.mac_address} ya está en otro equipo instalado.",
                field="mac_address",
            )


def _save_equipment(equipment: Equipment, update_fields: list[str] | None = None) -> None:
    try:
        with transaction.atomic():
            equipment.save(update_fields=update_fields)
    except IntegrityError as exc:
        raise DomainError(
            f"La dirección MAC {equipment.mac_address} ya está en otro equipo instalado.",
            field="mac_address",
        ) from exc


def _equipment_label(equipment: Equipment) -> str:
    parts = [str(equipment.product) if equipment.product_id else "", equipment.description]
    label = " ".join(p for p in parts if p) or "Equipo"
    return label + (f" (MAC {equipment.mac_address})" if equipment.mac_address else "")


@transaction.atomic
def equipment_install(*, actor, client: Client, data: dict[str, Any]) -> Equipment:
    client = Client.objects.select_for_update().get(pk=client.pk)
    equipment = Equipment(client=client, status=EquipmentStatus.INSTALLED)
    _apply(equipment, data, EQUIPMENT_FIELDS)
    if equipment.installed_on is None:
        equipment.installed_on = _today()
    _check_equipment(equipment)
    _check_technician(equipment)
    _save_equipment(equipment)
    record_event(
        client=client,
        actor=actor,
        action="equipment.installed",
        summary=f"Equipo instalado: {_equipment_label(equipment)}.",
        obj=equipment,
    )
    return equipment


@transaction.atomic
def equipment_update(*, actor, equipment: Equipment, data: dict[str, Any]) -> Equipment:
    equipment = Equipment.objects.select_for_update().get(pk=equipment.pk)
    before = snapshot(equipment, EQUIPMENT_FIELDS)
    changed = _apply(equipment, data, EQUIPMENT_FIELDS)
    _check_equipment(equipment)
    if "technician" in changed:
        _check_technician(equipment)
    if "mac_address" not in changed and before["mac_address"][1] != equipment.mac_address:
        changed.append("mac_address")
    if not changed:
        return equipment
    _save_equipment(equipment, update_fields=[*changed, "updated_at"])
    record_event(
        client=equipment.client,
        actor=actor,
        action="equipment.updated",
        summary=f"Equipo modificado: {_equipment_label(equipment)}.",
        changes=changes_between(before, snapshot(equipment, EQUIPMENT_FIELDS)),
        obj=equipment,
    )
    return equipment


EQUIPMENT_VERBS = {
    EquipmentStatus.RETIRED: ("equipment.retired", "Equipo retirado"),
    EquipmentStatus.REPAIR: ("equipment.repair", "Equipo enviado a reparación"),
    EquipmentStatus.INSTALLED: ("equipment.reinstalled", "Equipo reinstalado"),
}


@transaction.atomic
def equipment_set_status(
    *, actor, equipment: Equipment, to_status: str, on: date | None = None
) -> Equipment:
    """Retire (the row stays), send to repair or put back in service."""
    equipment = Equipment.objects.select_for_update().get(pk=equipment.pk)
    current = equipment.status
    if to_status not in EQUIPMENT_TRANSITIONS.get(current, ()):
        raise InvalidTransition(
            f"No se puede pasar un equipo de «{_label(EquipmentStatus.choices, current)}» a "
            f"«{_label(EquipmentStatus.choices, to_status)}».",
            field="status",
        )
    on = on or _today()
    if on < equipment.installed_on:
        raise DomainError(
            "La fecha no puede ser anterior a la fecha de instalación.", field="retired_on"
        )
    equipment.status = to_status
    fields = ["status", "updated_at"]
    if to_status == EquipmentStatus.RETIRED:
        equipment.retired_on = on
        fields.append("retired_on")
    else:
        _check_equipment(equipment)
    _save_equipment(equipment, update_fields=fields)
    action, verb = EQUIPMENT_VERBS[to_status]
    record_event(
        client=equipment.client,
        actor=actor,
        action=action,
        summary=f"{verb} el {fdate(on)}: {_equipment_label(equipment)}.",
        changes={
            "Estado": [
                _label(EquipmentStatus.choices, current),
                _label(EquipmentStatus.choices, to_status),
            ]
        },
        obj=equipment,
    )
    return equipment


def equipment_retire(*, actor, equipment: Equipment, on: date | None = None) -> Equipment:
    return equipment_set_status(
        actor=actor, equipment=equipment, to_status=EquipmentStatus.RETIRED, on=on
    )


def equipment_send_to_repair(*, actor, equipment: Equipment, on: date | None = None):
    return equipment_set_status(
        actor=actor, equipment=equipment, to_status=EquipmentStatus.REPAIR, on=on
    )


def equipment_reinstall(*, actor, equipment: Equipment, on: date | None = None):
    return equipment_set_status(
        actor=actor, equipment=equipment, to_status=EquipmentStatus.INSTALLED, on=on
    )


# ---------------------------------------------------------------------------------------------
# renewable packages

LINE_FIELDS = ("product", "description", "quantity", "unit_price", "tax")


def _build_lines(model, parent_field: str, parent, lines: list[dict[str, Any]]):
    if not lines:
        raise DomainError("Añada al menos una línea.", field="lines")
    rows = []
    for position, data in enumerate(lines):
        line = model(position=position, **{parent_field: parent})
        _apply(line, data, LINE_FIELDS)
        line.description = (line.description or "").strip()
        if line.product_id and not line.description:
            line.description = line.product.name
        if not line.description:
            raise DomainError(
                f"Línea {position + 1}: elija un producto o escriba una descripción.",
                field="lines",
            )
        if line.tax_id is None and line.product_id:
            line.tax_id = line.product.tax_id
        try:
            _clean(line, exclude=[parent_field])
        except ValidationError as exc:
            messages = "; ".join(f"{m}" for m in exc.messages)
            raise DomainError(f"Línea {position + 1}: {messages}", field="lines") from exc
        rows.append(line)
    return rows


def _check_package(package: RenewablePackage) -> None:
    package.name = (package.name or "").strip()
    _clean(package)
    taken = (
        RenewablePackage.objects.filter(name__iexact=package.name).exclude(pk=package.pk).exists()
    )
    if taken:
        raise DomainError("Ya existe un paquete con ese nombre.", field="name")


PACKAGE_FIELDS = ("name", "description", "renewal_months", "active")


@transaction.atomic
def package_create(*, actor, data: dict[str, Any], lines: list[dict]) -> RenewablePackage:
    package = RenewablePackage()
    _apply(package, data, PACKAGE_FIELDS)
    _check_package(package)
    rows = _build_lines(RenewablePackageLine, "package", package, lines)
    package.save()
    for row in rows:
        row.package = package
    RenewablePackageLine.objects.bulk_create(rows)
    audit(
        actor=actor,
        action="package.created",
        obj=package,
        summary=f"Paquete renovable creado: {package} (total {_assignment_total(rows)})",
        changes=changes_of(None, package),
    )
    return package


@transaction.atomic
def package_update(
    *, actor, package: RenewablePackage, data: dict[str, Any], lines: list[dict] | None = None
) -> RenewablePackage:
    package = RenewablePackage.objects.select_for_update().get(pk=package.pk)
    old = copy.copy(package)
    old_total = _assignment_total(package.lines.all())
    changed = _apply(package, data, PACKAGE_FIELDS)
    _check_package(package)
    rows = _build_lines(RenewablePackageLine, "package", package, lines) if lines else None
    if changed:
        package.save(update_fields=[*changed, "updated_at"])
    if rows is not None:
        package.lines.all().delete()
        RenewablePackageLine.objects.bulk_create(rows)
    changes = changes_of(old, package)
    if rows is not None and _assignment_total(rows) != old_total:
        changes["Total"] = [str(old_total), str(_assignment_total(rows))]
    if changed or rows is not None:
        audit(
            actor=actor,
            action="package.updated",
            obj=package,
            summary=f"Paquete renovable modificado: {package}",
            changes=changes,
        )
    return package


def _assignment_total(lines) -> Decimal:
    return sum((line.total for line in lines), Decimal("0.00"))


@transaction.atomic
def package_assign(
    *,
    actor,
    client: Client,
    package: RenewablePackage,
    start_date: date,
    contract: Contract | None = None,
    renewal_months: int | None = None,
    lines: list[dict] | None = None,
    notes: str = "",
) -> PackageAssignment:
    """Assign a package with its own copy of the lines (the package's unless given).

    The next renewal is one period after the start: the first period is documented when
    the package is assigned (quote or delivery note).
    """
    client = Client.objects.select_for_update().get(pk=client.pk)
    if not package.active:
        raise DomainError("El paquete está dado de baja.", field="package")
    if contract is not None and contract.client_id != client.pk:
        raise DomainError("El contrato no pertenece a este cliente.", field="contract")
    months = renewal_months or package.renewal_months
    assignment = PackageAssignment(
        client=client,
        package=package,
        contract=contract,
        start_date=start_date,
        renewal_months=months,
        next_renewal_date=add_months(start_date, months) if 1 <= months <= 120 else start_date,
        notes=notes,
    )
    _clean(assignment)
    if lines is None:
        lines = [
            {f: getattr(line, f) for f in LINE_FIELDS}
            for line in package.lines.select_related("product")
        ]
    rows = _build_lines(PackageAssignmentLine, "assignment", assignment, lines)
    assignment.save()
    for row in rows:
        row.assignment = assignment
    PackageAssignmentLine.objects.bulk_create(rows)
    record_event(
        client=client,
        actor=actor,
        action="package.assigned",
        summary=(
            f"Paquete renovable «{package.name}» asignado desde {fdate(start_date)} "
            f"(cada {plural(months, 'mes', 'meses')}, total {money(_assignment_total(rows))}); próxima renovación "
            f"{fdate(assignment.next_renewal_date)}."
        ),
        obj=assignment,
    )
    return assignment


def _locked_active_assignment(assignment: PackageAssignment) -> PackageAssignment:
    assignment = PackageAssignment.objects.select_for_update().get(pk=assignment.pk)
    if assignment.status != PackageAssignment.Status.ACTIVE:
        raise InvalidTransition("Esta asignación de paquete ya fue eliminada.", field="status")
    return assignment


@transaction.atomic
def package_assignment_configure(
    *,
    actor,
    assignment: PackageAssignment,
    renewal_months: int,
    next_renewal_date: date,
    contract: Contract | None = None,
    notes: str = "",
) -> PackageAssignment:
    """Configura este paquete: its renewal period, next renewal date, contract and notes."""
    assignment = _locked_active_assignment(assignment)
    if contract is not None and contract.client_id != assignment.client_id:
        raise DomainError("El contrato no pertenece a este cliente.", field="contract")
    if next_renewal_date < assignment.start_date:
        raise DomainError(
            "La próxima renovación no puede ser anterior a la fecha de inicio.",
            field="next_renewal_date",
        )
    fields = ("renewal_months", "next_renewal_date", "contract", "notes")
    before = snapshot(assignment, fields)
    assignment.renewal_months = renewal_months
    assignment.next_renewal_date = next_renewal_date
    assignment.contract = contract
    assignment.notes = notes
    _clean(assignment)
    assignment.save(update_fields=[*fields, "updated_at"])
    record_event(
        client=assignment.client,
        actor=actor,
        action="package.configured",
        summary=f"Paquete renovable «{assignment.package.name}» configurado.",
        changes=changes_between(before, snapshot(assignment, fields)),
        obj=assignment,
    )
    return assignment


@transaction.atomic
def package_assignment_edit_lines(
    *, actor, assignment: PackageAssignment, lines: list[dict]
) -> PackageAssignment:
    """Edita este paquete: the client's own lines and values."""
    assignment = _locked_active_assignment(assignment)
    old_total = _assignment_total(assignment.lines.all())
    rows = _build_lines(PackageAssignmentLine, "assignment", assignment, lines)
    assignment.lines.all().delete()
    PackageAssignmentLine.objects.bulk_create(rows)
    new_total = _assignment_total(rows)
    record_event(
        client=assignment.client,
        actor=actor,
        action="package.edited",
        summary=f"Líneas del paquete renovable «{assignment.package.name}» modificadas.",
        changes={"Total": [money(old_total), money(new_total)]} if old_total != new_total else {},
        obj=assignment,
    )
    return assignment


@transaction.atomic
def package_assignment_remove(
    *, actor, assignment: PackageAssignment, on: date | None = None
) -> PackageAssignment:
    """Elimina esta asignación: the row stays with status "removed" (and in history)."""
    assignment = _locked_active_assignment(assignment)
    removed_on = check_date(
        on or _today(),
        field="removed_on",
        label="Fecha de eliminación",
        not_before=assignment.start_date,
        before_what="el inicio del paquete",
    )
    assignment.status = PackageAssignment.Status.REMOVED
    assignment.removed_on = removed_on
    assignment.save(update_fields=["status", "removed_on", "updated_at"])
    record_event(
        client=assignment.client,
        actor=actor,
        action="package.removed",
        summary=(
            f"Asignación del paquete renovable «{assignment.package.name}» eliminada el "
            f"{fdate(assignment.removed_on)}."
        ),
        changes={"Estado": ["Activo", "Eliminado"]},
        obj=assignment,
    )
    return assignment


@transaction.atomic
def package_assignments_renewed(*, actor, assignment_ids: list[int]) -> int:
    """Advance many packages' next renewal date by one period each (the billing run calls it
    for the packages it invoiced), with their history rows and audit entries."""
    if not assignment_ids:
        return 0
    rows = list(
        PackageAssignment.objects.select_for_update()
        .filter(id__in=assignment_ids, status=PackageAssignment.Status.ACTIVE)
        .select_related("package")
        .order_by("id")
    )
    events, entries = [], []
    actor_id = actor.pk if getattr(actor, "pk", None) else None
    for row in rows:
        previous = row.next_renewal_date
        row.next_renewal_date = add_months(previous, row.renewal_months)
        summary = (
            f"Paquete renovable «{row.package.name}» renovado; próxima renovación "
            f"{row.next_renewal_date.isoformat()}."
        )
        changes = {"Próxima renovación": [previous.isoformat(), row.next_renewal_date.isoformat()]}
        events.append(
            ClientEvent(
                client_id=row.client_id,
                actor_id=actor_id,
                kind=EventKind.AUTO,
                action="package.renewed",
                summary=summary,
                changes=changes,
                object_type=row._meta.label_lower,
                object_id=str(row.pk),
            )
        )
        entries.append(
            {
                "action": "package.renewed",
                "obj": row,
                "summary": summary,
                "changes": changes,
                "client_id": row.client_id,
            }
        )
    PackageAssignment.objects.bulk_update(rows, ["next_renewal_date"])
    ClientEvent.objects.bulk_create(events, batch_size=1000)
    audit_many(actor=actor, entries=entries)
    return len(rows)


@transaction.atomic
def package_assignment_renewed(*, actor, assignment: PackageAssignment) -> PackageAssignment:
    """Advance the next renewal date by one period (billing calls it after invoicing)."""
    assignment = _locked_active_assignment(assignment)
    previous = assignment.next_renewal_date
    assignment.next_renewal_date = add_months(previous, assignment.renewal_months)
    assignment.save(update_fields=["next_renewal_date", "updated_at"])
    record_event(
        client=assignment.client,
        actor=actor,
        action="package.renewed",
        summary=(
            f"Paquete renovable «{assignment.package.name}» renovado; próxima renovación "
            f"{fdate(assignment.next_renewal_date)}."
        ),
        changes={"Próxima renovación": [fdate(previous), fdate(assignment.next_renewal_date)]},
        obj=assignment,
    )
    return assignment


def package_document_lines(package_assignment: PackageAssignment) -> list[dict]:
    """The lines a quote/delivery note made from this package carries (billing calls this).

    [{"description", "quantity" (Decimal), "unit_price" (Decimal), "tax_id" (int|None),
      "tax" (catalog.Tax|None), "product_id" (int|None)}, ...]
    """
    lines = package_assignment.lines.select_related("product", "tax").order_by("position", "id")
    return [
        {
            "description": line.label,
            "quantity": line.quantity,
            "unit_price": line.unit_price,
            "tax_id": line.tax_id,
            "tax": line.tax,
            "product_id": line.product_id,
        }
        for line in lines
    ]


# ---------------------------------------------------------------------------------------------
# signed documents


@transaction.atomic
def signed_document_upload(
    *,
    actor,
    client: Client,
    uploaded_file,
    title: str = "",
    contract: Contract | None = None,
) -> SignedDocument:
    """Store a signed contract (PDF/PNG/JPEG/WebP by its bytes) under a generated name."""
    if uploaded_file is None:
        raise DomainError("Seleccione un archivo.", field="file")
    if contract is not None and contract.client_id != client.pk:
        raise DomainError("El contrato no pertenece a este cliente.", field="contract")
    checked = uploads.check_upload(
        uploaded_file,
        allowed=uploads.SIGNED_DOCUMENT_TYPES,
        refusal=uploads.SIGNED_DOCUMENT_REFUSAL,
        fallback_name="documento",
    )
    content_type, data, original = checked.content_type, checked.data, checked.original_name
    name = uploads.store(checked, prefix=f"signed/{client.pk}")
    try:
        document = SignedDocument(
            client=client,
            contract=contract,
            title=(title or "").strip()[:200],
            original_name=original,
            content_type=content_type,
            size=len(data),
            sha256=checked.sha256,
            uploaded_by=actor if getattr(actor, "pk", None) else None,
        )
        document.file.name = name
        document.save()
        record_event(
            client=client,
            actor=actor,
            action="signed_document.uploaded",
            summary=(
                f"Contrato firmado subido: «{document}» ({content_type}, {len(data)} bytes)"
                + (f" del contrato #{contract.pk}." if contract else ".")
            ),
            obj=document,
        )
        signals.signed_document_uploaded.send(sender=SignedDocument, document=document, actor=actor)
    except Exception:
        uploads.discard(name)
        raise
    return document

"""Equipment installed at a client: install, update, retire, repair, reinstall."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from django.db import IntegrityError, transaction

from ispgest.accounts.selectors import technicians
from ispgest.clients.history import changes_between, record_event, snapshot
from ispgest.clients.models import Client
from ispgest.contracts.models import (
    Contract,
    Equipment,
    EquipmentStatus,
)
from ispgest.contracts.services._common import _apply, _clean, _label, _today
from ispgest.core.exceptions import DomainError, InvalidTransition
from ispgest.core.formats import fdate

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

"""Renewable packages and their assignments to clients: lines, configuration, removal,
renewal, and the lines a document made from one carries."""

from __future__ import annotations

import copy
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from ispgest.clients.history import changes_between, record_event, snapshot
from ispgest.clients.models import Client, ClientEvent, EventKind
from ispgest.contracts.models import (
    Contract,
    PackageAssignment,
    PackageAssignmentLine,
    RenewablePackage,
    RenewablePackageLine,
)
from ispgest.contracts.services._common import _apply, _clean, _today, add_months
from ispgest.core.audit import audit, audit_many, changes_of
from ispgest.core.dates import check_date
from ispgest.core.exceptions import DomainError, InvalidTransition
from ispgest.core.formats import fdate, money, plural

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
        summary=f"Paquete renovable creado: {package} (total {lines_total(rows)})",
        changes=changes_of(None, package),
    )
    return package


@transaction.atomic
def package_update(
    *, actor, package: RenewablePackage, data: dict[str, Any], lines: list[dict] | None = None
) -> RenewablePackage:
    package = RenewablePackage.objects.select_for_update().get(pk=package.pk)
    old = copy.copy(package)
    old_total = lines_total(package.lines.all())
    changed = _apply(package, data, PACKAGE_FIELDS)
    _check_package(package)
    rows = _build_lines(RenewablePackageLine, "package", package, lines) if lines else None
    if changed:
        package.save(update_fields=[*changed, "updated_at"])
    if rows is not None:
        package.lines.all().delete()
        RenewablePackageLine.objects.bulk_create(rows)
    changes = changes_of(old, package)
    if rows is not None and lines_total(rows) != old_total:
        changes["Total"] = [str(old_total), str(lines_total(rows))]
    if changed or rows is not None:
        audit(
            actor=actor,
            action="package.updated",
            obj=package,
            summary=f"Paquete renovable modificado: {package}",
            changes=changes,
        )
    return package


def lines_total(lines) -> Decimal:
    """The sum of the lines' totals (a package's or an assignment's)."""
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
            f"(cada {plural(months, 'mes', 'meses')}, total {money(lines_total(rows))}); próxima renovación "
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
    old_total = lines_total(assignment.lines.all())
    rows = _build_lines(PackageAssignmentLine, "assignment", assignment, lines)
    assignment.lines.all().delete()
    PackageAssignmentLine.objects.bulk_create(rows)
    new_total = lines_total(rows)
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

"""Writes to a client and what hangs off it. Each function validates everything before it
writes, refreshes the client's search fields, and records the change in the client's history
(ClientEvent, with field-level old -> new values) in the same transaction.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from ispgest.clients import registry, signals
from ispgest.clients.history import changes_between, record_event, snapshot
from ispgest.clients.models import (
    BankMandate,
    Client,
    ClientEvent,
    Contact,
    EventKind,
    ExtraFieldValue,
    GatewayAccount,
    ManualEntryType,
)
from ispgest.clients.scoping import check_client_write, scoped_seller_default
from ispgest.clients.validation import (
    CLIENT_FIELDS,
    apply_client_data,
    email_taken_message,
    validate_client_data,
    validate_extra_values,
)
from ispgest.core.audit import audit
from ispgest.core.country import clean_bic, clean_iban, mask_iban
from ispgest.core.exceptions import DomainError, labelled

BILLING_CYCLE_WARNING = gettext_noop(
    "Si cambia el ciclo a un cliente, después no podrá filtrar a los mismos por día de "
    "facturación. Por esto recomendamos no modificar el ciclo de facturación individual a "
    "los clientes."
)
RENAME_WARNING = gettext_noop(
    "Este cliente ya tiene facturas: renombrarlo puede generar conflictos con la facturación. "
    "Confirme el cambio de nombre para guardarlo."
)


def _clean(instance: models.Model, exclude: tuple[str, ...] = ()) -> None:
    try:
        instance.full_clean(
            exclude=list(exclude), validate_unique=False, validate_constraints=False
        )
    except ValidationError as exc:
        raise labelled(exc, type(instance)) from None


def _merge(*excs: ValidationError | None) -> None:
    """Raise one ValidationError with the errors of every failed validation."""
    merged: dict[str, list] = {}
    for exc in excs:
        if exc is None:
            continue
        for name, errors in exc.update_error_dict({}).items():
            merged.setdefault(name, []).extend(errors)
    if merged:
        raise ValidationError(merged)


def _integrity_to_validation(exc: IntegrityError, email: str | None) -> ValidationError | None:
    text = str(exc)
    if "uniq_client_email_ci" in text or "clients_client.email" in text:
        return DomainError(email_taken_message(email or ""), field="email", code="unique")
    if "uniq_client_custom_id" in text or "clients_client.custom_id" in text:
        return DomainError(
            "ID Cliente Personalizable: ya lo tiene otro cliente.", field="custom_id", code="unique"
        )
    if "uniq_mandate_reference" in text or "mandate_reference" in text:
        return DomainError(
            "Referencia del mandato SEPA: ya la usa otro mandato.",
            field="mandate_reference",
            code="unique",
        )
    if "uniq_gateway_reference" in text:
        return DomainError(
            "Código en la pasarela: ya lo tiene otro cliente en esa pasarela.",
            field="reference",
            code="unique",
        )
    return None


def _save(instance: models.Model, *, update_fields=None, email=None) -> None:
    """Save inside a savepoint so a unique-constraint race becomes a field error."""
    try:
        with transaction.atomic():
            instance.save(update_fields=update_fields)
    except IntegrityError as exc:
        mapped = _integrity_to_validation(exc, email)
        if mapped is None:
            raise
        raise mapped from exc


def client_has_invoices(client: Client) -> bool:
    """True when billing (once installed) has any invoice for the client."""
    billing = registry.billing()
    return billing is not None and billing.has_invoices(client.pk)


def is_non_default_cycle(cycle) -> bool:
    return cycle is not None and not cycle.is_default


# --- The client ---------------------------------------------------------------------------


@transaction.atomic
def client_create(*, actor, data: dict[str, Any], extra_values: dict | None = None) -> Client:
    """Create a client from `data` (CLIENT_FIELDS) and, optionally, its extra-field values."""
    client = Client()
    data = scoped_seller_default(actor, data)
    errors: list[ValidationError] = []
    cleaned: dict = {}
    extras: dict = {}
    try:
        check_client_write(actor, data=data)
    except ValidationError as exc:
        errors.append(exc)
    try:
        cleaned = validate_client_data(client, data)
    except ValidationError as exc:
        errors.append(exc)
    try:
        extras = validate_extra_values(extra_values or {}, require_all=True)
    except ValidationError as exc:
        errors.append(exc)
    _merge(*errors)
    apply_client_data(client, cleaned)
    client.refresh_search_fields()
    _save(client, email=client.email)
    after = snapshot(client, CLIENT_FIELDS)
    changes = {lbl: ["", value] for lbl, value in after.values() if value not in ("", "No")}
    record_event(
        client=client,
        actor=actor,
        action="client.created",
        summary=f"Cliente creado: {client.name}",
        changes=changes,
        obj=client,
    )
    if extras:
        _write_extra_values(actor=actor, client=client, extras=extras, created=True)
    signals.client_created.send(sender=Client, client=client, actor=actor)
    return client


@transaction.atomic
def client_update(
    *, actor, client: Client, data: dict[str, Any], confirm_rename: bool = False
) -> Client:
    """Change some fields of a client (a PATCH: fields absent from `data` stay as they are).

    Renaming a client that has invoices needs `confirm_rename=True` (seed 000 warns that a
    rename breaks billing); moving it to a non-default billing cycle is recorded with the
    seed's warning in the history row.
    """
    check_client_write(actor, clients=Client.objects.filter(pk=client.pk), data=data)
    locked = Client.objects.select_for_update().get(pk=client.pk)
    cleaned = validate_client_data(locked, data)
    before = snapshot(locked, CLIENT_FIELDS)
    old_name = locked.name
    changed = apply_client_data(locked, cleaned)
    if not changed:
        return locked
    renamed = locked.name != old_name
    if renamed and not confirm_rename and client_has_invoices(locked):
        raise DomainError(f"Nombre: {RENAME_WARNING}", field="name", code="rename_confirm")
    locked.refresh_search_fields()
    _save(
        locked,
        update_fields=[*changed, "search_text", "sort_name", "updated_at"],
        email=locked.email,
    )
    changes = changes_between(before, snapshot(locked, CLIENT_FIELDS))
    summary = "Datos del cliente modificados"
    action = "client.updated"
    if renamed:
        action = "client.renamed"
        summary = f"Cliente renombrado: «{old_name}» → «{locked.name}»"
        if confirm_rename:
            summary += " (confirmado: el cliente tiene facturas)"
    if "billing_cycle_id" in changed and is_non_default_cycle(locked.billing_cycle):
        summary += f". Ciclo de facturación individual: {locked.billing_cycle}. "
        summary += BILLING_CYCLE_WARNING
    if changes:
        record_event(
            client=locked, actor=actor, action=action, summary=summary, changes=changes, obj=locked
        )
        signals.client_updated.send(sender=Client, client=locked, actor=actor, changes=changes)
    return locked


@transaction.atomic
def client_deactivate(*, actor, client: Client) -> Client:
    """ "Borrar" in the UI: the client is deactivated, never deleted."""
    locked = Client.objects.select_for_update().get(pk=client.pk)
    if not locked.is_active:
        raise DomainError("El cliente ya está desactivado.", field="status", code="inactive")
    locked.status = Client.Status.INACTIVE
    locked.deactivated_at = timezone.now()
    locked.save(update_fields=["status", "deactivated_at", "updated_at"])
    record_event(
        client=locked,
        actor=actor,
        action="client.deactivated",
        summary="Cliente desactivado",
        changes={"Estado": ["Activo", "Inactivo"]},
        obj=locked,
    )
    signals.client_deactivated.send(sender=Client, client=locked, actor=actor)
    return locked


@transaction.atomic
def client_reactivate(*, actor, client: Client) -> Client:
    """Only administrators (clients.reactivate_client) bring a client back."""
    if actor is not None and not actor.has_perm("clients.reactivate_client"):
        raise PermissionDenied
    locked = Client.objects.select_for_update().get(pk=client.pk)
    if locked.is_active:
        raise DomainError("El cliente ya está activo.", field="status", code="active")
    locked.status = Client.Status.ACTIVE
    locked.deactivated_at = None
    locked.save(update_fields=["status", "deactivated_at", "updated_at"])
    record_event(
        client=locked,
        actor=actor,
        action="client.reactivated",
        summary="Cliente reactivado",
        changes={"Estado": ["Inactivo", "Activo"]},
        obj=locked,
    )
    signals.client_reactivated.send(sender=Client, client=locked, actor=actor)
    return locked


# --- Contacts (Personas de contacto) ------------------------------------------------------

CONTACT_FIELDS = ("name", "role", "phone", "email", "comment")


def _contact_apply(contact: Contact, data: dict) -> list[str]:
    unknown = sorted(set(data) - set(CONTACT_FIELDS))
    if unknown:
        raise DomainError(f"Campos desconocidos: {', '.join(unknown)}.")
    changed = []
    for name, value in data.items():
        value = "" if value is None else str(value).strip()
        if name == "email":
            value = value.lower()
        if getattr(contact, name) != value:
            setattr(contact, name, value)
            changed.append(name)
    if not contact.name:
        raise DomainError("Nombre: es obligatorio para una persona de contacto.", field="name")
    _clean(contact, exclude=("client",))
    return changed


def validate_contact(data: dict) -> None:
    """Check a contact's data without writing (used when its client is not saved yet)."""
    _contact_apply(Contact(client=Client()), data)


@transaction.atomic
def contact_create(*, actor, client: Client, data: dict) -> Contact:
    contact = Contact(client=client)
    _contact_apply(contact, data)
    contact.save()
    record_event(
        client=client,
        actor=actor,
        action="contact.created",
        summary=f"Persona de contacto añadida: {contact.name}",
        changes=changes_between({}, snapshot(contact, CONTACT_FIELDS)),
        obj=contact,
    )
    return contact


@transaction.atomic
def contact_update(*, actor, contact: Contact, data: dict) -> Contact:
    locked = Contact.objects.select_for_update().get(pk=contact.pk)
    before = snapshot(locked, CONTACT_FIELDS)
    changed = _contact_apply(locked, data)
    if changed:
        locked.save(update_fields=[*changed, "updated_at"])
        record_event(
            client=locked.client,
            actor=actor,
            action="contact.updated",
            summary=f"Persona de contacto modificada: {locked.name}",
            changes=changes_between(before, snapshot(locked, CONTACT_FIELDS)),
            obj=locked,
        )
    return locked


@transaction.atomic
def contact_remove(*, actor, contact: Contact) -> Contact:
    """Take a contact off the client; the row stays (inactive) for the history."""
    locked = Contact.objects.select_for_update().get(pk=contact.pk)
    if locked.active:
        locked.active = False
        locked.save(update_fields=["active", "updated_at"])
        record_event(
            client=locked.client,
            actor=actor,
            action="contact.removed",
            summary=f"Persona de contacto quitada: {locked.name}",
            changes={"Persona de contacto": [locked.name, ""]},
            obj=locked,
        )
    return locked


# --- Financial data (Datos financieros) ---------------------------------------------------

MANDATE_FIELDS = ("account_holder", "iban", "bic", "bank_name", "mandate_reference", "signed_on")
_SEPA_REF = re.compile(r"^[A-Za-z0-9/?:().,'+ -]{1,35}$")


def validate_mandate(client: Client, data: dict) -> BankMandate:
    """An unsaved BankMandate from `data`, every field checked (IBAN/BIC with python-stdnum,
    the SEPA reference unique). Raises ValidationError naming each bad field."""
    unknown = sorted(set(data) - set(MANDATE_FIELDS))
    if unknown:
        raise DomainError(f"Campos desconocidos: {', '.join(unknown)}.")
    errors: dict[str, list[str]] = {}
    mandate = BankMandate(client=client, active=True)
    for name in MANDATE_FIELDS:
        value = data.get(name)
        if name == "signed_on":
            if isinstance(value, str) and value.strip():
                try:
                    value = date.fromisoformat(value.strip())
                except ValueError:
                    errors.setdefault(name, []).append(
                        f"Fecha de firma del mandato: «{value}» no es una fecha (AAAA-MM-DD)."
                    )
                    value = None
            mandate.signed_on = value or None
            continue
        setattr(mandate, name, "" if value is None else str(value).strip())
    if not mandate.account_holder:
        mandate.account_holder = client.name[:140]
    if not mandate.iban:
        errors.setdefault("iban", []).append("IBAN: es obligatorio para la domiciliación.")
    else:
        try:
            mandate.iban = clean_iban(mandate.iban)
        except ValidationError as exc:
            errors.setdefault("iban", []).extend(exc.messages)
    try:
        mandate.bic = clean_bic(mandate.bic)
    except ValidationError as exc:
        errors.setdefault("bic", []).extend(exc.messages)
    if mandate.signed_on is None and "signed_on" not in errors:
        errors.setdefault("signed_on", []).append("Fecha de firma del mandato: es obligatoria.")
    elif mandate.signed_on and mandate.signed_on > timezone.localdate():
        errors.setdefault("signed_on", []).append(
            "Fecha de firma del mandato: no puede ser futura."
        )
    ref = mandate.mandate_reference
    if not ref:
        mandate.mandate_reference = ""  # generated on save, once the id is known
    elif not _SEPA_REF.match(ref):
        errors.setdefault("mandate_reference", []).append(
            "Referencia del mandato SEPA: hasta 35 letras, cifras o los signos / ? : ( ) . , ' + -."
        )
    elif BankMandate.objects.filter(mandate_reference=ref).exists():
        errors.setdefault("mandate_reference", []).append(
            f"Referencia del mandato SEPA: «{ref}» ya la usa otro mandato; cada mandato "
            "necesita una referencia única."
        )
    if errors:
        raise ValidationError(errors)
    _clean(mandate, exclude=("client", "mandate_reference"))
    return mandate


def _store_mandate(*, actor, client: Client, mandate: BankMandate) -> BankMandate:
    previous = list(BankMandate.objects.select_for_update().filter(client=client, active=True))
    for old in previous:
        old.active = False
        old.save(update_fields=["active", "updated_at"])
    generated = not mandate.mandate_reference
    if generated:
        mandate.mandate_reference = f"TMP-{timezone.now().timestamp()}-{client.pk}"
    _save(mandate)
    if generated:
        mandate.mandate_reference = f"MND-{client.pk:08d}-{mandate.pk:06d}"
        mandate.save(update_fields=["mandate_reference"])
    changes = changes_between({}, snapshot(mandate, MANDATE_FIELDS))
    # The history and the audit trail are read by roles that may not see the bank details
    # (core.visibility): the IBAN is kept masked, the holder and the BIC are left out.
    iban_label = str(BankMandate._meta.get_field("iban").verbose_name)
    if iban_label in changes:
        changes[iban_label] = [mask_iban(v) for v in changes[iban_label]]
    for name in ("account_holder", "bic"):
        changes.pop(str(BankMandate._meta.get_field(name).verbose_name), None)
    summary = f"Mandato SEPA {mandate.mandate_reference} registrado"
    if previous:
        summary += f" (sustituye a {', '.join(m.mandate_reference for m in previous)})"
    record_event(
        client=client,
        actor=actor,
        action="mandate.created",
        summary=summary,
        changes=changes,
        obj=mandate,
    )
    return mandate


@transaction.atomic
def mandate_create(*, actor, client: Client, data: dict) -> BankMandate:
    """Register a direct-debit mandate; the client's previous active mandate is closed."""
    mandate = validate_mandate(client, data)
    return _store_mandate(actor=actor, client=client, mandate=mandate)


@transaction.atomic
def client_financial_data_set(
    *, actor, client: Client, payment_method: Any, mandate: dict | None = None
) -> Client:
    """Set the default payment method and, for direct debit, the bank mandate.

    Direct debit needs a mandate: either one in `mandate` or an active one already stored.
    """
    errors: list[ValidationError] = []
    cleaned = {}
    new_mandate = None
    try:
        cleaned = validate_client_data(client, {"payment_method": payment_method})
    except ValidationError as exc:
        errors.append(exc)
    method = cleaned.get("payment_method")
    if mandate:
        try:
            new_mandate = validate_mandate(client, mandate)
        except ValidationError as exc:
            errors.append(exc)
    elif (
        method is not None
        and method.requires_bank
        and not BankMandate.objects.filter(client=client, active=True).exists()
    ):
        errors.append(
            DomainError(
                f"IBAN: es obligatorio con la forma de pago «{method}».",
                field="iban",
                code="required",
            )
        )
    _merge(*errors)
    updated = client_update(actor=actor, client=client, data={"payment_method": method})
    if new_mandate is not None:
        new_mandate.client = updated
        _store_mandate(actor=actor, client=updated, mandate=new_mandate)
    return updated


# --- Gateway accounts ---------------------------------------------------------------------


@transaction.atomic
def gateway_account_set(*, actor, client: Client, gateway: Any, reference: str) -> GatewayAccount:
    """The client's code at a payment gateway (one per gateway; created or changed)."""
    from ispgest.catalog.models import PaymentGateway

    gw = gateway
    if not isinstance(gateway, PaymentGateway):
        gw = PaymentGateway.objects.filter(pk=gateway).first() if gateway else None
    if gw is None:
        raise DomainError("Pasarela de pago: elija una pasarela existente.", field="gateway")
    reference = (reference or "").strip()
    if not reference:
        raise DomainError("Código en la pasarela: es obligatorio.", field="reference")
    if len(reference) > 80:
        raise DomainError("Código en la pasarela: como máximo 80 caracteres.", field="reference")
    taken = (
        GatewayAccount.objects.filter(gateway=gw, reference=reference)
        .exclude(client=client)
        .exists()
    )
    if taken:
        raise DomainError(
            f"Código en la pasarela: «{reference}» ya lo tiene otro cliente en {gw}.",
            field="reference",
            code="unique",
        )
    account = GatewayAccount.objects.select_for_update().filter(client=client, gateway=gw).first()
    old = account.reference if account else ""
    if account is None:
        account = GatewayAccount(client=client, gateway=gw, reference=reference)
        _save(account)
    elif old != reference:
        account.reference = reference
        _save(account, update_fields=["reference", "updated_at"])
    else:
        return account
    record_event(
        client=client,
        actor=actor,
        action="gateway_account.set",
        summary=f"Cuenta en pasarela {gw}: {reference}",
        changes={f"Código en {gw}": [old, reference]},
        obj=account,
    )
    return account


@transaction.atomic
def gateway_account_remove(*, actor, account: GatewayAccount) -> None:
    client = account.client
    record_event(
        client=client,
        actor=actor,
        action="gateway_account.removed",
        summary=f"Cuenta en pasarela {account.gateway} quitada",
        changes={f"Código en {account.gateway}": [account.reference, ""]},
        obj=account,
    )
    GatewayAccount.objects.filter(pk=account.pk).delete()


# --- Extra fields (Otros) -----------------------------------------------------------------


def _write_extra_values(*, actor, client: Client, extras: dict, created: bool = False) -> None:
    existing = {v.field_id: v for v in ExtraFieldValue.objects.filter(client=client)}
    changes = {}
    for extra, value in extras.items():
        row = existing.get(extra.pk)
        old = row.value if row else ""
        if old == value:
            continue
        if row is None:
            ExtraFieldValue.objects.create(client=client, field=extra, value=value)
        else:
            row.value = value
            row.save(update_fields=["value", "updated_at"])
        changes[extra.name] = [old, value]
    if changes:
        record_event(
            client=client,
            actor=actor,
            action="extra_values.set",
            summary="Campos extra (Otros) " + ("registrados" if created else "modificados"),
            changes=changes,
        )


@transaction.atomic
def client_extra_values_set(*, actor, client: Client, values: dict) -> None:
    """Set the values of extra fields ({ExtraField or id: value}); each checked by its type."""
    extras = validate_extra_values(values)
    _write_extra_values(actor=actor, client=client, extras=extras)


# --- Manual history entries ---------------------------------------------------------------


_MANUAL_LABELS = {
    "entry_type": "Tipo de actuación",
    "occurred_on": "Fecha",
    "summary": "Descripción",
}


def _manual_apply(event: ClientEvent, data: dict) -> list[str]:
    allowed = {"entry_type", "occurred_on", "summary"}
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise DomainError(f"Campos desconocidos: {', '.join(unknown)}.")
    errors: dict[str, list[str]] = {}
    changed = []
    for name, value in data.items():
        if name == "occurred_on" and isinstance(value, str):
            try:
                value = date.fromisoformat(value.strip()) if value.strip() else None
            except ValueError:
                errors.setdefault(name, []).append(f"Fecha: «{value}» no es una fecha.")
                continue
        if name in ("entry_type", "summary"):
            value = "" if value is None else str(value).strip()
        if getattr(event, name) != value:
            setattr(event, name, value)
            changed.append(name)
    if event.entry_type not in ManualEntryType.values:
        errors.setdefault("entry_type", []).append(
            "Tipo de actuación: elija llamada, visita, demostración, e-mail u otro."
        )
    if not event.summary:
        errors.setdefault("summary", []).append("Descripción: es obligatoria.")
    elif len(event.summary) > 4000:
        errors.setdefault("summary", []).append("Descripción: como máximo 4.000 caracteres.")
    if event.occurred_on is None:
        event.occurred_on = timezone.localdate()
    if errors:
        raise ValidationError(errors)
    return changed


@transaction.atomic
def client_event_create(*, actor, client: Client, data: dict) -> ClientEvent:
    """A manual history entry (llamada, visita, demostración, e-mail, otro)."""
    event = ClientEvent(client=client, kind=EventKind.MANUAL, action="manual")
    event.actor = actor if getattr(actor, "pk", None) else None
    _manual_apply(event, data)
    event.save()
    audit(
        actor=actor,
        action="history.manual_created",
        obj=event,
        summary=f"Actuación manual registrada: {event.summary}",
        client_id=client.pk,
    )
    return event


def _manual_only(event: ClientEvent) -> ClientEvent:
    locked = ClientEvent.objects.select_for_update().get(pk=event.pk)
    if locked.kind != EventKind.MANUAL:
        raise DomainError(
            "Los movimientos automáticos del historial no se pueden modificar ni borrar.",
            code="immutable",
        )
    return locked


@transaction.atomic
def client_event_update(*, actor, event: ClientEvent, data: dict) -> ClientEvent:
    locked = _manual_only(event)
    before = {name: str(getattr(locked, name) or "") for name in _MANUAL_LABELS}
    changed = _manual_apply(locked, data)
    if changed:
        locked.save(update_fields=changed)
        audit(
            actor=actor,
            action="history.manual_updated",
            obj=locked,
            summary="Actuación manual del historial modificada",
            changes={
                _MANUAL_LABELS[name]: [before[name], str(getattr(locked, name) or "")]
                for name in changed
            },
            client_id=locked.client_id,
        )
    return locked


@transaction.atomic
def client_event_delete(*, actor, event: ClientEvent) -> None:
    locked = _manual_only(event)
    audit(
        actor=actor,
        action="history.manual_deleted",
        obj=locked,
        summary=f"Actuación manual borrada: {locked.summary}",
        changes={
            label: [str(getattr(locked, name) or ""), ""] for name, label in _MANUAL_LABELS.items()
        },
        client_id=locked.client_id,
    )
    locked.delete()

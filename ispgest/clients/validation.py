"""The rules of a client's data, in one place: the form, the API, the mass update and the
services all validate through `validate_client_data`.

`validate_client_data(client, data)` takes a client (saved or new) and a dict of the fields to
change (values as typed or sent: ids or instances for catalog fields, strings, booleans) and
returns the cleaned values to set, or raises a Django ValidationError whose `error_dict` maps
each bad field to Spanish messages that name the field. It never writes. Rules that involve
other fields (names per person type, billing settings, tax id) are checked on the client as it
would be after the change; database look-ups (uniqueness, billing combination) run only when
the fields they concern change, so a mass update of one field stays cheap.
"""

from __future__ import annotations

import copy
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models
from django.db.models.functions import Lower

from ispgest.clients.models import NOTES_MAX_LENGTH, Client, ExtraFieldValue, PersonType
from ispgest.core.country import clean_tax_id, get_profile

#: Fields of Client that forms, the API and mass updates may set.
CLIENT_FIELDS: tuple[str, ...] = (
    "custom_id",
    "person_type",
    "name",
    "first_name",
    "middle_name",
    "first_surname",
    "second_surname",
    "legal_name",
    "trade_name",
    "document_number",
    "email",
    "notify_emails",
    "send_invoice_emails",
    "send_payment_emails",
    "send_reminder_emails",
    "send_manual_emails",
    "phone",
    "mobile",
    "region",
    "city",
    "neighbourhood",
    "address",
    "postal_code",
    "notes",
    "seller",
    "collector",
    "zone",
    "billing_enabled",
    "billing_entity",
    "tax_condition",
    "invoice_type",
    "billing_tax",
    "billing_cycle",
    "tax_id_kind",
    "tax_id",
    "payment_method",
    "operator_external_id",
    "operator_provisioning",
    "operator_network",
    "operator_notes",
)
NAME_FIELDS = ("person_type", "name", "first_name", "middle_name", "first_surname")
NAME_FIELDS += ("second_surname", "legal_name", "trade_name")
BILLING_FIELDS = ("billing_enabled", "billing_entity", "tax_condition", "invoice_type")
TAX_ID_FIELDS = ("tax_id", "tax_id_kind", "billing_enabled", "billing_entity")
NULLABLE_TEXT = ("custom_id", "email")

EMAIL_TAKEN_HINT = (
    "Si varios clientes comparten esa dirección, escriba en este campo otra (por ejemplo "
    "«1{email}») y ponga la compartida en «Emails a notificar»."
)


def label(name: str) -> str:
    return str(Client._meta.get_field(name).verbose_name)


class _Errors:
    def __init__(self) -> None:
        self.by_field: dict[str, list[ValidationError]] = {}

    def add(self, field: str, message: str, code: str = "invalid") -> None:
        self.by_field.setdefault(field, []).append(ValidationError(message, code=code))

    def merge(self, exc: ValidationError, *, prefix_field: str | None = None) -> None:
        if hasattr(exc, "error_dict"):
            for field, errors in exc.error_dict.items():
                for err in errors:
                    for msg in err.messages:
                        self.add(field, msg, err.code or "invalid")
        else:
            field = prefix_field or "__all__"
            for msg in exc.messages:
                text = f"{label(field)}: {msg}" if prefix_field else msg
                self.add(field, text, getattr(exc, "code", None) or "invalid")

    def __contains__(self, field: str) -> bool:
        return field in self.by_field

    def raise_if_any(self) -> None:
        if self.by_field:
            raise ValidationError(self.by_field)


def normalise_email(value: str | None) -> str | None:
    """Strip blanks and lower-case the domain (the part after @ is case-insensitive)."""
    value = (value or "").strip()
    if not value:
        return None
    local, at, domain = value.rpartition("@")
    return f"{local}@{domain.lower()}" if at else value


def parse_notify_emails(value: Any, *, field: str = "notify_emails") -> str:
    """ "a@x.com, B@y.com" (or a list) -> "a@x.com,b@y.com": each validated, lower-cased,
    de-duplicated. Raises naming the first bad address."""
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        raw = [str(v) for v in value]
    else:
        raw = str(value).replace(";", ",").replace("\n", ",").split(",")
    out: list[str] = []
    for item in raw:
        address = item.strip().lower()
        if not address:
            continue
        try:
            validate_email(address)
        except ValidationError:
            raise ValidationError(
                {
                    field: [
                        ValidationError(
                            f"Emails a notificar: «{item.strip()}» no es una dirección de "
                            "correo válida (separe las direcciones con comas).",
                            code="invalid_email",
                        )
                    ]
                }
            ) from None
        if address not in out:
            out.append(address)
    return ",".join(out)


def _resolve_fk(field: models.ForeignKey, value: Any, current_id: Any, errors: _Errors):
    if value in (None, "", 0):
        return None
    model = field.related_model
    if isinstance(value, models.Model):
        target = value
    else:
        try:
            pk = int(value)
        except (TypeError, ValueError):
            errors.add(
                field.name, f"{field.verbose_name}: «{value}» no es un identificador válido."
            )
            return None
        target = model._default_manager.filter(pk=pk).first()
        if target is None:
            errors.add(field.name, f"{field.verbose_name}: no existe el registro {pk}.", "missing")
            return None
    if getattr(target, "active", True) is False and target.pk != current_id:
        errors.add(
            field.name,
            f"{field.verbose_name}: «{target}» está desactivado y no puede elegirse.",
            "inactive",
        )
        return None
    return target


def _coerce(name: str, value: Any, client: Client, errors: _Errors) -> Any:
    field = Client._meta.get_field(name)
    if isinstance(field, models.ForeignKey):
        return _resolve_fk(field, value, getattr(client, field.attname), errors)
    if isinstance(field, models.BooleanField):
        if isinstance(value, str):
            return value.strip().lower() in {"1", "true", "on", "yes", "si", "sí"}
        return bool(value)
    if name == "notify_emails":
        try:
            return parse_notify_emails(value)
        except ValidationError as exc:
            errors.merge(exc)
            return getattr(client, name)
    if name == "email":
        return normalise_email(value)
    text = "" if value is None else str(value)
    text = text.strip() if name not in ("notes",) else text.strip("\n\r ")
    if name in NULLABLE_TEXT and not text:
        return None
    return text


def _check_field(candidate: Client, name: str, errors: _Errors) -> None:
    field = Client._meta.get_field(name)
    value = getattr(candidate, field.attname)
    if name == "notes" and value and len(value) > NOTES_MAX_LENGTH:
        errors.add(
            name,
            f"Observaciones: como máximo {NOTES_MAX_LENGTH:,} caracteres (tiene {len(value):,}).".replace(
                ",", "."
            ),
            "max_length",
        )
        return
    if isinstance(field, models.ForeignKey) or value in (None, ""):
        return
    try:
        field.run_validators(value)
        if field.choices:
            field.validate(value, candidate)
    except ValidationError as exc:
        for msg in exc.messages:
            errors.add(
                name, f"{field.verbose_name}: {msg}", getattr(exc, "code", None) or "invalid"
            )


def _check_names(candidate: Client, errors: _Errors) -> None:
    ptype = candidate.person_type
    if ptype == PersonType.NATURAL:
        for req in ("first_name", "first_surname"):
            if not getattr(candidate, req):
                errors.add(
                    req, f"{label(req)}: es obligatorio para una persona física.", "required"
                )
    elif ptype == PersonType.LEGAL:
        if not candidate.legal_name:
            errors.add(
                "legal_name",
                "Razón social: es obligatoria para una persona jurídica.",
                "required",
            )
    elif not candidate.name:
        errors.add("name", "Nombre: es obligatorio.", "required")
    # Parts the person type does not use are cleared so a stale one cannot come back.
    if ptype != PersonType.NATURAL:
        for part in ("first_name", "middle_name", "first_surname", "second_surname"):
            setattr(candidate, part, "")
    if ptype != PersonType.LEGAL:
        candidate.legal_name = ""
    if ptype in (PersonType.NATURAL, PersonType.LEGAL):
        candidate.name = candidate.compose_name()
    if len(candidate.name) > 255:
        errors.add("name", "Nombre: como máximo 255 caracteres.", "max_length")


def _check_geography(candidate: Client, errors: _Errors) -> None:
    city, region, hood = candidate.city, candidate.region, candidate.neighbourhood
    if city is not None and region is not None and city.region_id not in (None, region.pk):
        errors.add("city", f"Ciudad: «{city}» no pertenece a «{region}».")
    if hood is not None and city is not None and hood.city_id not in (None, city.pk):
        errors.add("neighbourhood", f"Barrio: «{hood}» no pertenece a «{city}».")


def _check_billing(candidate: Client, errors: _Errors) -> None:
    from ispgest.catalog.services import check_billing_combination

    if candidate.billing_enabled:
        for req in ("billing_entity", "tax_condition", "invoice_type"):
            if getattr(candidate, f"{req}_id") is None and req not in errors:
                errors.add(
                    req, f"{label(req)}: es obligatorio con la facturación activada.", "required"
                )
    if any(f in errors for f in ("billing_entity", "tax_condition")):
        return
    invoice_type = None if "invoice_type" in errors else candidate.invoice_type
    try:
        check_billing_combination(candidate.billing_entity, candidate.tax_condition, invoice_type)
    except ValidationError as exc:
        for field, errs in exc.error_dict.items():
            for err in errs:
                for msg in err.messages:
                    errors.add(field, f"{label(field)}: {msg}", err.code or "invalid")


def _check_tax_id(candidate: Client, errors: _Errors) -> None:
    profile = get_profile()
    kind = candidate.tax_id_kind or profile.default_tax_id_kind
    if profile.tax_id_kind(kind) is None:
        kinds = ", ".join(k.label for k in profile.tax_id_kinds)
        errors.add(
            "tax_id_kind",
            f"{label('tax_id_kind')}: «{kind}» no se usa en {profile.name}; use {kinds}.",
        )
        return
    candidate.tax_id_kind = kind
    legal_billing = (
        candidate.billing_enabled
        and candidate.billing_entity is not None
        and candidate.billing_entity.is_legal
    )
    if legal_billing and not candidate.tax_id:
        errors.add(
            "tax_id",
            f"Número tributario ({profile.tax_id_label}): es obligatorio para facturar con "
            "una razón social legal.",
            "required",
        )
        return
    if candidate.tax_id:
        try:
            candidate.tax_id = clean_tax_id(candidate.tax_id, kind, field="tax_id")
        except ValidationError as exc:
            for msg in exc.messages:
                errors.add("tax_id", f"Número tributario: {msg}", "invalid_tax_id")


def _clone(client: Client) -> Client:
    """A shallow copy of the client to try the change on, with its own state and cache of
    related rows (what copy.copy gives, without the pickling protocol's cost)."""
    candidate = Client.__new__(Client)
    candidate.__dict__.update(client.__dict__)
    state = copy.copy(client._state)
    state.fields_cache = dict(client._state.fields_cache)
    candidate._state = state
    return candidate


def validate_client_data(
    client: Client, data: dict[str, Any], *, unique: bool = True
) -> dict[str, Any]:
    """Check `data` (the fields to change) against every rule of a client's data.

    Returns {field: cleaned value} ready to `setattr` on the client (it may include derived
    fields: `name` composed from the parts, `tax_id_kind` defaulted, name parts cleared for a
    legal person). Raises ValidationError({field: [Spanish message naming the field]}) with
    every error found. Writes nothing. `unique=False` leaves out the two checks against
    other clients (e-mail and custom id taken), for a caller that checks many rows at once
    with `taken_emails` / `taken_custom_ids` and adds the same messages.
    """
    errors = _Errors()
    unknown = sorted(set(data) - set(CLIENT_FIELDS))
    if unknown:
        errors.add("__all__", f"Campos desconocidos o no editables: {', '.join(unknown)}.")
        errors.raise_if_any()
    candidate = _clone(client)
    touched = set(data)
    for name, value in data.items():
        setattr(candidate, name, _coerce(name, value, client, errors))
    for name in touched:
        if name not in errors:
            _check_field(candidate, name, errors)
    is_new = client.pk is None
    if is_new or touched & set(NAME_FIELDS):
        _check_names(candidate, errors)
        touched |= {"name", "first_name", "middle_name", "first_surname", "second_surname"}
        touched.add("legal_name")
    if is_new or touched & {"region", "city", "neighbourhood"}:
        _check_geography(candidate, errors)
    if is_new or touched & set(BILLING_FIELDS):
        _check_billing(candidate, errors)
    if is_new or touched & set(TAX_ID_FIELDS):
        _check_tax_id(candidate, errors)
        touched |= {"tax_id", "tax_id_kind"}
    if unique and "email" in touched and candidate.email and "email" not in errors:
        clash = Client.objects.filter(email__iexact=candidate.email).exclude(pk=client.pk).first()
        if clash is not None:
            errors.add("email", email_taken_message(candidate.email), "unique")
    if unique and "custom_id" in touched and candidate.custom_id and "custom_id" not in errors:
        if Client.objects.filter(custom_id=candidate.custom_id).exclude(pk=client.pk).exists():
            errors.add("custom_id", custom_id_taken_message(candidate.custom_id), "unique")
    errors.raise_if_any()
    cleaned = {}
    for name in touched:
        field = Client._meta.get_field(name)
        if isinstance(field, models.ForeignKey):
            cleaned[name] = getattr(candidate, name)
        else:
            cleaned[name] = getattr(candidate, field.attname)
    return cleaned


def custom_id_taken_message(custom_id: str) -> str:
    return f"ID Cliente Personalizable: «{custom_id}» ya lo tiene otro cliente."


def taken_emails(emails) -> set[str]:
    """The lower-cased e-mails among `emails` that a client already has: one query through
    the case-insensitive unique index (`uniq_client_email_ci`, on LOWER(email))."""
    lowered = sorted({e.lower() for e in emails if e})
    if not lowered:
        return set()
    rows = Client.objects.annotate(email_ci=Lower("email")).filter(email_ci__in=lowered)
    return set(rows.values_list("email_ci", flat=True))


def taken_custom_ids(custom_ids) -> set[str]:
    """The custom ids among `custom_ids` that a client already has (one query)."""
    wanted = sorted({c for c in custom_ids if c})
    if not wanted:
        return set()
    return set(Client.objects.filter(custom_id__in=wanted).values_list("custom_id", flat=True))


def email_taken_message(email: str) -> str:
    return (
        f"E-mail de contacto: «{email}» ya lo usa otro cliente (no se distinguen mayúsculas "
        "de minúsculas). " + EMAIL_TAKEN_HINT.format(email=email)
    )


def apply_client_data(client: Client, cleaned: dict[str, Any]) -> list[str]:
    """Set validated values on the client; returns the attnames that changed."""
    changed = []
    for name, value in cleaned.items():
        field = Client._meta.get_field(name)
        before = getattr(client, field.attname)
        setattr(client, name, value)
        if getattr(client, field.attname) != before:
            changed.append(field.attname)
    return changed


def validate_extra_values(values: dict, *, require_all: bool = False) -> dict:
    """{ExtraField or id: raw value} -> {ExtraField: cleaned text}.

    Each value is checked by the field's type (number, date, list of options, yes/no);
    `require_all` also refuses a required field that is missing or empty (on create).
    Errors go on "extra_<id>" naming the extra field.
    """
    from datetime import date
    from decimal import Decimal, InvalidOperation

    from ispgest.catalog.models import ExtraField, ExtraFieldType

    errors = _Errors()
    defs = {f.pk: f for f in ExtraField.objects.all()}
    out: dict = {}
    for key, raw in values.items():
        pk = key.pk if isinstance(key, models.Model) else key
        try:
            extra = defs[int(pk)]
        except (KeyError, TypeError, ValueError):
            errors.add("extra_values", f"Campo extra desconocido: {key}.", "missing")
            continue
        fname = f"extra_{extra.pk}"
        text = "" if raw is None else str(raw).strip()
        if isinstance(raw, bool):
            text = "1" if raw else "0"
        if not text:
            if extra.required:
                errors.add(fname, f"{extra.name}: es obligatorio.", "required")
            out[extra] = ""
            continue
        if extra.field_type == ExtraFieldType.NUMBER:
            try:
                number = Decimal(text.replace(",", "."))
                if not number.is_finite():
                    raise InvalidOperation
                text = str(number)
            except InvalidOperation:
                errors.add(fname, f"{extra.name}: «{text}» no es un número.", "invalid_number")
                continue
        elif extra.field_type == ExtraFieldType.DATE:
            try:
                text = date.fromisoformat(text).isoformat()
            except ValueError:
                errors.add(
                    fname,
                    f"{extra.name}: «{text}» no es una fecha (AAAA-MM-DD).",
                    "invalid_date",
                )
                continue
        elif extra.field_type == ExtraFieldType.CHOICE:
            if text not in extra.choice_list:
                errors.add(
                    fname,
                    f"{extra.name}: «{text}» no es una de las opciones "
                    f"({', '.join(extra.choice_list)}).",
                    "invalid_choice",
                )
                continue
        elif extra.field_type == ExtraFieldType.BOOLEAN:
            low = text.lower()
            if low in {"1", "true", "sí", "si", "on", "yes"}:
                text = "1"
            elif low in {"0", "false", "no", "off"}:
                text = "0"
            else:
                errors.add(fname, f"{extra.name}: indique sí o no.", "invalid_boolean")
                continue
        if len(text) > ExtraFieldValue._meta.get_field("value").max_length:
            errors.add(fname, f"{extra.name}: como máximo 4.000 caracteres.", "max_length")
            continue
        out[extra] = text
    if require_all:
        given = {f.pk for f in out}
        for extra in defs.values():
            if extra.required and extra.active and extra.pk not in given:
                errors.add(f"extra_{extra.pk}", f"{extra.name}: es obligatorio.", "required")
    errors.raise_if_any()
    return out

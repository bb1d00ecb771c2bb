"""Every write of the CRM: companies and their sections, prospects (and their conversion into
clients), opportunities and their stage moves, activities, the stage catalog, sales managers
and the morning digest.

Each function validates everything before its first write and raises ValidationError with a
Spanish message on the field; it runs in one transaction and leaves an audit entry plus the
party's history (crm.history.record) in it.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Sum
from django.utils import timezone

from ispgest.clients.history import changes_between, snapshot
from ispgest.clients.models import Client
from ispgest.clients.scoping import visible_clients
from ispgest.core.audit import audit
from ispgest.core.country import clean_bic, clean_iban, clean_tax_id, get_profile
from ispgest.core.exceptions import DomainError, InvalidTransition
from ispgest.core.money import CENT, HUNDRED
from ispgest.core.text import CONTROL_MESSAGE, has_control_chars
from ispgest.crm.history import record
from ispgest.crm.models import (
    Activity,
    ActivityDigest,
    AnnualTurnover,
    Attorney,
    Company,
    CompanyBankAccount,
    Opportunity,
    OpportunityStage,
    OpportunityStageChange,
    Prospect,
    ProspectStatus,
    Shareholder,
    StageKind,
    Withholding,
)
from ispgest.crm.permissions import VIEW_ALL, sees_all_pipeline


class _Errors:
    def __init__(self) -> None:
        self.by_field: dict[str, list[ValidationError]] = {}

    def add(self, field: str, message: str, code: str = "invalid") -> None:
        self.by_field.setdefault(field, []).append(ValidationError(message, code=code))

    def merge(self, exc: ValidationError, field: str | None = None) -> None:
        if hasattr(exc, "error_dict") and field is None:
            for name, errs in exc.error_dict.items():
                for err in errs:
                    for msg in err.messages:
                        self.add(name, msg, err.code or "invalid")
        else:
            for msg in exc.messages:
                self.add(field or "__all__", msg)

    def __contains__(self, field: str) -> bool:
        return field in self.by_field

    def raise_if_any(self) -> None:
        if self.by_field:
            raise ValidationError(self.by_field)


def _label(model: type[models.Model], name: str) -> str:
    return str(model._meta.get_field(name).verbose_name)


def _assign(
    instance: models.Model, data: dict[str, Any], allowed: tuple[str, ...], errors: _Errors
) -> list[str]:
    """Coerce and check each value of `data` with its model field (type, length, choices,
    validators) and set it on `instance`; returns the names that changed. Foreign keys are
    resolved by the callers and passed as instances."""
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        errors.add("__all__", f"Campos desconocidos o no editables: {', '.join(unknown)}.")
        return []
    changed = []
    for name, raw in data.items():
        field = instance._meta.get_field(name)
        label = str(field.verbose_name)
        if isinstance(field, models.ForeignKey):
            if raw is not None and not isinstance(raw, field.related_model):
                errors.add(name, f"{label}: elija un registro existente.")
                continue
            if getattr(instance, field.attname) != (raw.pk if raw is not None else None):
                setattr(instance, name, raw)
                changed.append(name)
            continue
        if isinstance(raw, str):
            if has_control_chars(raw):
                errors.add(name, f"{label}: {CONTROL_MESSAGE}", "control_characters")
                continue
            raw = raw.strip()
            if isinstance(field, models.DecimalField):
                raw = raw.replace(",", ".")
        if isinstance(field, models.BooleanField):
            value: Any = bool(raw) and raw not in ("0", "false", "False", "off")
        elif raw in (None, ""):
            if field.null:
                value = None
            elif isinstance(field, (models.CharField, models.TextField)):
                value = ""
                if not field.blank:
                    errors.add(name, f"{label}: es obligatorio.", "required")
                    continue
            else:
                errors.add(name, f"{label}: es obligatorio.", "required")
                continue
        else:
            try:
                value = field.clean(raw, instance)
            except ValidationError as exc:
                for msg in exc.messages:
                    errors.add(name, f"{label}: {msg}", getattr(exc, "code", None) or "invalid")
                continue
        if getattr(instance, field.attname) != value:
            setattr(instance, field.attname, value)
            changed.append(name)
    return changed


def _not_future(instance, name: str, errors: _Errors) -> None:
    value = getattr(instance, name)
    if value is not None and name not in errors and value > timezone.localdate():
        errors.add(name, f"{_label(type(instance), name)}: no puede ser futura.", "future")


def _in_list(instance, name: str, options: tuple[str, ...], errors: _Errors) -> None:
    value = getattr(instance, name)
    if value and options and value not in options and name not in errors:
        errors.add(
            name,
            f"{_label(type(instance), name)}: «{value}» no es una de las opciones de "
            f"{get_profile().name} ({', '.join(options)}).",
            "invalid_choice",
        )


def _actor_user(actor):
    return actor if getattr(actor, "pk", None) else None


# =============================================================================================
# Sociedades


COMPANY_GENERAL = (
    "name",
    "trade_name",
    "tax_id_kind",
    "tax_id",
    "legal_form",
    "incorporation_date",
    "address",
    "postal_code",
    "locality",
    "activity_code",
    "activity_description",
    "phone",
    "email",
    "website",
)
COMPANY_MERCANTILE = (
    "registry_office",
    "registry_volume",
    "registry_book",
    "registry_folio",
    "registry_sheet",
    "registry_entry",
    "registry_date",
)
COMPANY_FISCAL = (
    "vat_regime",
    "filing_period",
    "corporate_tax_regime",
    "vat_records_required",
    "e_invoicing_required",
    "fiscal_notes",
)
COMPANY_FINANCIAL = (
    "share_capital",
    "employees",
    "credit_limit",
    "payment_terms_days",
    "payment_terms",
)
COMPANY_SECTIONS = {
    "general": COMPANY_GENERAL,
    "mercantil": COMPANY_MERCANTILE,
    "fiscal": COMPANY_FISCAL,
    "financiera": COMPANY_FINANCIAL,
}
COMPANY_FIELDS = COMPANY_GENERAL + COMPANY_MERCANTILE + COMPANY_FISCAL + COMPANY_FINANCIAL
SECTION_TITLES = {
    "general": "Información general",
    "mercantil": "Mercantil",
    "fiscal": "Fiscal",
    "financiera": "Financiera",
}


def _check_company(company: Company, touched: set[str], errors: _Errors) -> None:
    profile = get_profile()
    if "name" in touched and not company.name and "name" not in errors:
        errors.add("name", "Razón social: es obligatoria.", "required")
    if touched & {"tax_id", "tax_id_kind"}:
        kind = company.tax_id_kind or profile.default_tax_id_kind
        if profile.tax_id_kind(kind) is None:
            kinds = ", ".join(k.label for k in profile.tax_id_kinds)
            errors.add(
                "tax_id_kind",
                f"Tipo de número tributario: «{kind}» no se usa en {profile.name}; use {kinds}.",
            )
        else:
            company.tax_id_kind = kind
            if company.tax_id and "tax_id" not in errors:
                try:
                    company.tax_id = clean_tax_id(company.tax_id, kind, field="tax_id")
                except ValidationError as exc:
                    for msg in exc.messages:
                        errors.add("tax_id", f"Número tributario: {msg}", "invalid_tax_id")
        if company.tax_id and "tax_id" not in errors:
            clash = (
                Company.objects.filter(client_id=company.client_id, tax_id=company.tax_id)
                .exclude(pk=company.pk)
                .first()
            )
            if clash is not None:
                errors.add(
                    "tax_id",
                    f"Número tributario: el cliente ya tiene la sociedad «{clash.name}» con "
                    "ese número.",
                    "unique",
                )
    _in_list(company, "legal_form", profile.legal_forms, errors)
    _in_list(company, "vat_regime", profile.vat_regimes, errors)
    _in_list(company, "corporate_tax_regime", profile.corporate_tax_regimes, errors)
    code = company.activity_code
    if code and "activity_code" not in errors:
        code = code.upper().replace(" ", "")
        company.activity_code = code
        if profile.activity_code_pattern and not re.fullmatch(profile.activity_code_pattern, code):
            hint = f" ({profile.activity_code_hint})" if profile.activity_code_hint else ""
            errors.add(
                "activity_code",
                f"{profile.activity_code_label}: «{code}» no tiene el formato esperado{hint}.",
            )
    _not_future(company, "incorporation_date", errors)
    _not_future(company, "registry_date", errors)
    if (
        company.registry_date
        and company.incorporation_date
        and company.registry_date < company.incorporation_date
        and "registry_date" not in errors
    ):
        errors.add(
            "registry_date",
            "Fecha de inscripción: no puede ser anterior a la fecha de constitución.",
        )


def _company_history(company: Company, action: str, summary: str, actor, changes: dict) -> None:
    record(
        actor=actor,
        action=action,
        summary=summary,
        changes=changes,
        obj=company,
        client=company.client,
    )


@transaction.atomic
def company_create(*, actor, client: Client, data: dict[str, Any]) -> Company:
    """A new company of `client` from its general section (and any other section's fields)."""
    errors = _Errors()
    company = Company(client=client)
    data = {"tax_id_kind": "", **data}
    _assign(company, data, COMPANY_FIELDS, errors)
    _check_company(company, set(data) | {"name"}, errors)
    errors.raise_if_any()
    try:
        with transaction.atomic():
            company.save()
    except IntegrityError:
        raise DomainError(
            "Número tributario: el cliente ya tiene una sociedad con ese número.", field="tax_id"
        ) from None
    changes = changes_between({}, snapshot(company, COMPANY_FIELDS))
    changes = {k: v for k, v in changes.items() if v[1] not in ("", "No")}
    _company_history(company, "company.created", f"Sociedad creada: {company.name}", actor, changes)
    return company


@transaction.atomic
def company_update(*, actor, company: Company, data: dict[str, Any], section: str = "") -> Company:
    """Change fields of a company (a PATCH). `section` names the seed's section the change
    was saved from (general, mercantil, fiscal, financiera) for the history."""
    locked = (
        Company.objects.select_for_update(of=("self",)).select_related("client").get(pk=company.pk)
    )
    allowed = COMPANY_SECTIONS.get(section, COMPANY_FIELDS)
    before = snapshot(locked, COMPANY_FIELDS)
    errors = _Errors()
    changed = _assign(locked, data, allowed, errors)
    _check_company(locked, set(data), errors)
    errors.raise_if_any()
    changes = changes_between(before, snapshot(locked, COMPANY_FIELDS))
    if not changes:
        return locked
    fields = sorted(
        {locked._meta.get_field(n).attname for n in [*changed, "tax_id", "tax_id_kind"]}
    )
    try:
        with transaction.atomic():
            locked.save(update_fields=[*fields, "updated_at"])
    except IntegrityError:
        raise DomainError(
            "Número tributario: el cliente ya tiene una sociedad con ese número.", field="tax_id"
        ) from None
    title = SECTION_TITLES.get(section)
    summary = f"Sociedad {locked.name}: " + (f"{title} modificada" if title else "modificada")
    _company_history(locked, "company.updated", summary, actor, changes)
    return locked


@transaction.atomic
def company_deactivate(*, actor, company: Company) -> Company:
    """Companies are deactivated (kept for the history), never deleted."""
    locked = (
        Company.objects.select_for_update(of=("self",)).select_related("client").get(pk=company.pk)
    )
    if not locked.active:
        raise DomainError("La sociedad ya está dada de baja.", code="inactive")
    locked.active = False
    locked.save(update_fields=["active", "updated_at"])
    _company_history(
        locked,
        "company.deactivated",
        f"Sociedad dada de baja: {locked.name}",
        actor,
        {"Activa": ["Sí", "No"]},
    )
    return locked


def _locked_company(company: Company) -> Company:
    locked = (
        Company.objects.select_for_update(of=("self",)).select_related("client").get(pk=company.pk)
    )
    if not locked.active:
        raise DomainError("La sociedad está dada de baja: reactívela antes de modificarla.")
    return locked


# --- Apoderados ------------------------------------------------------------------------------

ATTORNEY_FIELDS = (
    "name",
    "document_number",
    "power_kind",
    "notary",
    "protocol_number",
    "granted_on",
    "expires_on",
)


def _check_attorney(attorney: Attorney, errors: _Errors) -> None:
    if not attorney.name and "name" not in errors:
        errors.add("name", "Nombre: es obligatorio para un apoderado.", "required")
    _not_future(attorney, "granted_on", errors)
    if (
        attorney.granted_on
        and attorney.expires_on
        and attorney.expires_on < attorney.granted_on
        and not {"granted_on", "expires_on"} & set(errors.by_field)
    ):
        errors.add(
            "expires_on",
            "Fecha de vencimiento: no puede ser anterior a la fecha de otorgamiento "
            f"({attorney.granted_on.strftime('%d/%m/%Y')}).",
            "expiry_before_grant",
        )


@transaction.atomic
def attorney_add(*, actor, company: Company, data: dict[str, Any]) -> Attorney:
    locked = _locked_company(company)
    errors = _Errors()
    attorney = Attorney(company=locked)
    _assign(attorney, {"name": "", **data}, ATTORNEY_FIELDS, errors)
    _check_attorney(attorney, errors)
    errors.raise_if_any()
    attorney.save()
    changes = {k: v for k, v in changes_between({}, snapshot(attorney, ATTORNEY_FIELDS)).items()}
    _company_history(
        locked,
        "company.attorney_added",
        f"Sociedad {locked.name}: apoderado añadido: {attorney.name}",
        actor,
        changes,
    )
    return attorney


@transaction.atomic
def attorney_update(*, actor, attorney: Attorney, data: dict[str, Any]) -> Attorney:
    locked = Attorney.objects.select_for_update().get(pk=attorney.pk)
    company = _locked_company(locked.company)
    before = snapshot(locked, ATTORNEY_FIELDS)
    errors = _Errors()
    changed = _assign(locked, data, ATTORNEY_FIELDS, errors)
    _check_attorney(locked, errors)
    errors.raise_if_any()
    if not changed:
        return locked
    locked.save(update_fields=[*changed, "updated_at"])
    _company_history(
        company,
        "company.attorney_updated",
        f"Sociedad {company.name}: apoderado modificado: {locked.name}",
        actor,
        changes_between(before, snapshot(locked, ATTORNEY_FIELDS)),
    )
    return locked


@transaction.atomic
def attorney_remove(*, actor, attorney: Attorney) -> Attorney:
    """Revoke an apoderado: the row stays (not vigente) for the history."""
    locked = Attorney.objects.select_for_update().get(pk=attorney.pk)
    company = _locked_company(locked.company)
    if locked.active:
        locked.active = False
        locked.save(update_fields=["active", "updated_at"])
        _company_history(
            company,
            "company.attorney_removed",
            f"Sociedad {company.name}: apoderado revocado: {locked.name}",
            actor,
            {"Apoderado": [locked.name, ""]},
        )
    return locked


# --- Socios ----------------------------------------------------------------------------------

SHAREHOLDER_FIELDS = ("linked_client", "name", "tax_id", "percentage", "shares")


def _resolve_linked_client(actor, value, errors: _Errors):
    if value in (None, "", 0):
        return None
    if isinstance(value, Client):
        pk = value.pk
    else:
        try:
            pk = int(value)
        except (TypeError, ValueError):
            errors.add("linked_client", f"Cliente vinculado: «{value}» no es un identificador.")
            return None
    clients = visible_clients(actor) if getattr(actor, "pk", None) else Client.objects.all()
    found = clients.filter(pk=pk).first()
    if found is None:
        errors.add("linked_client", f"Cliente vinculado: no existe el cliente {pk}.", "missing")
    return found


def _check_shareholder(actor, holder: Shareholder, data: dict, errors: _Errors) -> None:
    if "linked_client" in data:
        holder.linked_client = _resolve_linked_client(actor, data.get("linked_client"), errors)
    if holder.linked_client is not None:
        holder.name = holder.name or holder.linked_client.name[:160]
        holder.tax_id = holder.tax_id or holder.linked_client.tax_id
    if not holder.name and "name" not in errors:
        errors.add("name", "Nombre: indique el nombre del socio o vincule un cliente.", "required")
    if holder.tax_id and "tax_id" not in errors:
        try:
            holder.tax_id = clean_tax_id(
                holder.tax_id, get_profile().default_tax_id_kind, field="tax_id"
            )
        except ValidationError as exc:
            for msg in exc.messages:
                errors.add("tax_id", f"Número tributario: {msg}", "invalid_tax_id")
    pct = holder.percentage
    if pct is not None and "percentage" not in errors:
        if pct <= 0:
            errors.add("percentage", "Porcentaje: debe ser mayor que 0 %.", "min_value")
            return
        others = Shareholder.objects.filter(company_id=holder.company_id, active=True).exclude(
            pk=holder.pk
        ).aggregate(total=Sum("percentage"))["total"] or Decimal("0")
        if others + pct > HUNDRED:
            left = HUNDRED - others
            errors.add(
                "percentage",
                f"Porcentaje: los socios sumarían {_pct(others + pct)} %; no pueden pasar de "
                f"100 % (quedan {_pct(left)} % por asignar).",
                "over_100",
            )


def _pct(value: Decimal) -> str:
    return f"{value.quantize(CENT)}".replace(".", ",").replace(",00", "")


def _shareholder_data(data: dict) -> dict:
    return {k: v for k, v in data.items() if k != "linked_client"}


@transaction.atomic
def shareholder_add(*, actor, company: Company, data: dict[str, Any]) -> Shareholder:
    """A socio; the active socios' percentages never add up to more than 100 % (the company
    row is locked, so two concurrent additions cannot pass it together)."""
    locked = _locked_company(company)
    errors = _Errors()
    holder = Shareholder(company=locked)
    unknown = sorted(set(data) - set(SHAREHOLDER_FIELDS))
    if unknown:
        errors.add("__all__", f"Campos desconocidos: {', '.join(unknown)}.")
    payload = {"percentage": None, **_shareholder_data(data)}
    _assign(
        holder,
        {k: v for k, v in payload.items() if k in SHAREHOLDER_FIELDS},
        SHAREHOLDER_FIELDS,
        errors,
    )
    _check_shareholder(actor, holder, data, errors)
    errors.raise_if_any()
    holder.save()
    _company_history(
        locked,
        "company.shareholder_added",
        f"Sociedad {locked.name}: socio añadido: {holder.name} ({_pct(holder.percentage)} %)",
        actor,
        changes_between({}, snapshot(holder, SHAREHOLDER_FIELDS)),
    )
    return holder


@transaction.atomic
def shareholder_update(*, actor, shareholder: Shareholder, data: dict[str, Any]) -> Shareholder:
    locked = Shareholder.objects.select_for_update().get(pk=shareholder.pk)
    company = _locked_company(locked.company)
    before = snapshot(locked, SHAREHOLDER_FIELDS)
    errors = _Errors()
    _assign(locked, _shareholder_data(data), SHAREHOLDER_FIELDS, errors)
    _check_shareholder(actor, locked, data, errors)
    errors.raise_if_any()
    changes = changes_between(before, snapshot(locked, SHAREHOLDER_FIELDS))
    if not changes:
        return locked
    locked.save()
    _company_history(
        company,
        "company.shareholder_updated",
        f"Sociedad {company.name}: socio modificado: {locked.name}",
        actor,
        changes,
    )
    return locked


@transaction.atomic
def shareholder_remove(*, actor, shareholder: Shareholder) -> Shareholder:
    locked = Shareholder.objects.select_for_update().get(pk=shareholder.pk)
    company = _locked_company(locked.company)
    if locked.active:
        locked.active = False
        locked.save(update_fields=["active", "updated_at"])
        _company_history(
            company,
            "company.shareholder_removed",
            f"Sociedad {company.name}: socio quitado: {locked.name}",
            actor,
            {"Socio": [f"{locked.name} ({_pct(locked.percentage)} %)", ""]},
        )
    return locked


# --- Retenciones, facturación anual, cuentas bancarias --------------------------------------

WITHHOLDING_FIELDS = ("kind", "rate")


@transaction.atomic
def withholding_add(*, actor, company: Company, data: dict[str, Any]) -> Withholding:
    locked = _locked_company(company)
    errors = _Errors()
    row = Withholding(company=locked)
    _assign(row, {"kind": "", "rate": None, **data}, WITHHOLDING_FIELDS, errors)
    _in_list(row, "kind", get_profile().withholding_kinds, errors)
    errors.raise_if_any()
    row.save()
    _company_history(
        locked,
        "company.withholding_added",
        f"Sociedad {locked.name}: retención añadida: {row.kind} {_pct(row.rate)} %",
        actor,
        changes_between({}, snapshot(row, WITHHOLDING_FIELDS)),
    )
    return row


@transaction.atomic
def withholding_remove(*, actor, withholding: Withholding) -> Withholding:
    locked = Withholding.objects.select_for_update().get(pk=withholding.pk)
    company = _locked_company(locked.company)
    if locked.active:
        locked.active = False
        locked.save(update_fields=["active", "updated_at"])
        _company_history(
            company,
            "company.withholding_removed",
            f"Sociedad {company.name}: retención quitada: {locked}",
            actor,
            {"Retención": [str(locked), ""]},
        )
    return locked


@transaction.atomic
def turnover_set(*, actor, company: Company, year: Any, amount: Any) -> AnnualTurnover:
    """The company's turnover of one year (created or replaced)."""
    locked = _locked_company(company)
    errors = _Errors()
    probe = AnnualTurnover(company=locked)
    _assign(probe, {"year": year, "amount": amount}, ("year", "amount"), errors)
    if probe.year and "year" not in errors and probe.year > timezone.localdate().year:
        errors.add("year", "Año: no puede ser futuro.", "future")
    errors.raise_if_any()
    row = AnnualTurnover.objects.filter(company=locked, year=probe.year).first()
    old = str(row.amount) if row else ""
    if row is None:
        row = probe
        row.save()
    elif row.amount != probe.amount:
        row.amount = probe.amount
        row.save(update_fields=["amount", "updated_at"])
    else:
        return row
    _company_history(
        locked,
        "company.turnover_set",
        f"Sociedad {locked.name}: facturación anual {row.year}",
        actor,
        {f"Facturación anual {row.year}": [old, str(row.amount)]},
    )
    return row


@transaction.atomic
def turnover_remove(*, actor, turnover: AnnualTurnover) -> None:
    company = _locked_company(turnover.company)
    _company_history(
        company,
        "company.turnover_removed",
        f"Sociedad {company.name}: facturación anual {turnover.year} quitada",
        actor,
        {f"Facturación anual {turnover.year}": [str(turnover.amount), ""]},
    )
    AnnualTurnover.objects.filter(pk=turnover.pk).delete()


BANK_FIELDS = ("holder", "iban", "bic", "bank_name", "is_primary")


@transaction.atomic
def bank_account_add(*, actor, company: Company, data: dict[str, Any]) -> CompanyBankAccount:
    """A bank account of the company (IBAN and BIC checked); marking it primary moves the
    mark from the previous one."""
    locked = _locked_company(company)
    errors = _Errors()
    account = CompanyBankAccount(company=locked)
    _assign(account, {"iban": "", **data}, BANK_FIELDS, errors)
    if "iban" not in errors:
        try:
            account.iban = clean_iban(account.iban)
        except ValidationError as exc:
            errors.merge(exc)
    if "bic" not in errors:
        try:
            account.bic = clean_bic(account.bic)
        except ValidationError as exc:
            errors.merge(exc)
    if (
        "iban" not in errors
        and locked.bank_accounts.filter(active=True, iban=account.iban).exists()
    ):
        errors.add("iban", f"IBAN: la sociedad ya tiene la cuenta {account.iban}.", "unique")
    errors.raise_if_any()
    account.holder = account.holder or locked.name[:140]
    existing = locked.bank_accounts.select_for_update().filter(active=True)
    if not existing.exists():
        account.is_primary = True
    elif account.is_primary:
        existing.filter(is_primary=True).update(is_primary=False)
    account.save()
    _company_history(
        locked,
        "company.bank_account_added",
        f"Sociedad {locked.name}: cuenta bancaria añadida: {account.iban}",
        actor,
        changes_between({}, snapshot(account, BANK_FIELDS)),
    )
    return account


@transaction.atomic
def bank_account_remove(*, actor, account: CompanyBankAccount) -> CompanyBankAccount:
    locked = CompanyBankAccount.objects.select_for_update().get(pk=account.pk)
    company = _locked_company(locked.company)
    if locked.active:
        locked.active = False
        was_primary = locked.is_primary
        locked.is_primary = False
        locked.save(update_fields=["active", "is_primary", "updated_at"])
        if was_primary:
            nxt = company.bank_accounts.filter(active=True).order_by("id").first()
            if nxt is not None:
                nxt.is_primary = True
                nxt.save(update_fields=["is_primary", "updated_at"])
        _company_history(
            company,
            "company.bank_account_removed",
            f"Sociedad {company.name}: cuenta bancaria quitada: {locked.iban}",
            actor,
            {"IBAN": [locked.iban, ""]},
        )
    return locked


# =============================================================================================
# Sellers: who owns a prospect or an opportunity


def _seller_for(actor, requested, *, errors: _Errors, default=None):
    """A seller-scoped user (without view_all_pipeline) always owns what it creates; others
    may give any active seller (or none)."""
    from ispgest.catalog.models import Seller

    if actor is not None and getattr(actor, "pk", None) and not sees_all_pipeline(actor):
        if not actor.seller_id:
            errors.add(
                "seller",
                "Vendedor: su usuario no está vinculado a ningún vendedor; pida a un "
                "administrador que lo vincule.",
                "no_seller",
            )
            return None
        return actor.seller
    if requested in (None, "", 0):
        return default
    seller = requested
    if not isinstance(requested, Seller):
        seller = Seller.objects.filter(pk=requested).first() if str(requested).isdigit() else None
    if seller is None:
        errors.add("seller", f"Vendedor: no existe el vendedor {requested}.", "missing")
        return None
    if not seller.active and getattr(default, "pk", None) != seller.pk:
        errors.add("seller", f"Vendedor: «{seller}» está desactivado y no puede elegirse.")
        return None
    return seller


# =============================================================================================
# Prospects

PROSPECT_FIELDS = ("name", "company_name", "phone", "email", "address", "notes", "source", "seller")


def _check_prospect(prospect: Prospect, errors: _Errors) -> None:
    if not prospect.name and "name" not in errors:
        errors.add("name", "Nombre: es obligatorio.", "required")
    if not prospect.phone and not prospect.email and not {"phone", "email"} & set(errors.by_field):
        errors.add("phone", "Teléfono: indique un teléfono o un e-mail para contactar.", "contact")
    if prospect.email:
        prospect.email = prospect.email.lower()


@transaction.atomic
def prospect_create(*, actor, data: dict[str, Any]) -> Prospect:
    """A prospect with minimal data: a name and a phone or an e-mail."""
    errors = _Errors()
    prospect = Prospect(created_by=_actor_user(actor))
    seller = _seller_for(actor, data.get("seller"), errors=errors)
    _assign(
        prospect,
        {"name": "", **{k: v for k, v in data.items() if k != "seller"}},
        PROSPECT_FIELDS,
        errors,
    )
    prospect.seller = seller
    _check_prospect(prospect, errors)
    errors.raise_if_any()
    prospect.save()
    changes = changes_between({}, snapshot(prospect, PROSPECT_FIELDS))
    record(
        actor=actor,
        action="prospect.created",
        summary=f"Prospecto registrado: {prospect.name}",
        changes={k: v for k, v in changes.items() if v[1]},
        obj=prospect,
        prospect=prospect,
    )
    return prospect


def _locked_open_prospect(prospect: Prospect) -> Prospect:
    locked = Prospect.objects.select_for_update().get(pk=prospect.pk)
    if locked.status == ProspectStatus.CONVERTED:
        raise DomainError(
            "El prospecto ya es cliente: trabaje con su ficha de cliente.", code="converted"
        )
    return locked


@transaction.atomic
def prospect_update(*, actor, prospect: Prospect, data: dict[str, Any]) -> Prospect:
    locked = _locked_open_prospect(prospect)
    before = snapshot(locked, PROSPECT_FIELDS)
    errors = _Errors()
    payload = {k: v for k, v in data.items() if k != "seller"}
    _assign(locked, payload, PROSPECT_FIELDS, errors)
    old_seller = locked.seller_id
    if "seller" in data and sees_all_pipeline(actor):
        locked.seller = _seller_for(actor, data["seller"], errors=errors, default=locked.seller)
    _check_prospect(locked, errors)
    errors.raise_if_any()
    changes = changes_between(before, snapshot(locked, PROSPECT_FIELDS))
    if not changes:
        return locked
    locked.save()
    if locked.seller_id != old_seller:
        # The prospect's opportunities follow it to its new seller.
        Opportunity.objects.filter(prospect=locked).update(seller=locked.seller)
    record(
        actor=actor,
        action="prospect.updated",
        summary=f"Prospecto modificado: {locked.name}",
        changes=changes,
        obj=locked,
        prospect=locked,
    )
    return locked


@transaction.atomic
def prospect_discard(*, actor, prospect: Prospect, reason: str) -> Prospect:
    locked = _locked_open_prospect(prospect)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Motivo del descarte: es obligatorio.", field="discard_reason")
    if has_control_chars(reason) or len(reason) > 255:
        raise DomainError(
            "Motivo del descarte: hasta 255 caracteres, sin caracteres de control.",
            field="discard_reason",
        )
    if locked.status == ProspectStatus.DISCARDED:
        raise DomainError("El prospecto ya está descartado.", code="discarded")
    locked.status = ProspectStatus.DISCARDED
    locked.discard_reason = reason
    locked.save(update_fields=["status", "discard_reason", "updated_at"])
    record(
        actor=actor,
        action="prospect.discarded",
        summary=f"Prospecto descartado: {locked.name}. Motivo: {reason}",
        changes={"Estado": ["Abierto", "Descartado"]},
        obj=locked,
        prospect=locked,
    )
    return locked


@transaction.atomic
def prospect_reopen(*, actor, prospect: Prospect) -> Prospect:
    locked = _locked_open_prospect(prospect)
    if locked.status != ProspectStatus.DISCARDED:
        raise DomainError("El prospecto ya está abierto.", code="open")
    locked.status = ProspectStatus.OPEN
    locked.discard_reason = ""
    locked.save(update_fields=["status", "discard_reason", "updated_at"])
    record(
        actor=actor,
        action="prospect.reopened",
        summary=f"Prospecto reabierto: {locked.name}",
        changes={"Estado": ["Descartado", "Abierto"]},
        obj=locked,
        prospect=locked,
    )
    return locked


def prospect_client_initial(prospect: Prospect) -> dict[str, Any]:
    """What the new-client form is prefilled with when a prospect becomes a client."""
    from ispgest.clients.models import PersonType

    initial: dict[str, Any] = {
        "email": prospect.email,
        "mobile": prospect.phone,
        "address": prospect.address,
        "notes": prospect.notes,
        "seller": prospect.seller_id,
    }
    if prospect.company_name:
        initial.update(person_type=PersonType.LEGAL, legal_name=prospect.company_name)
    else:
        initial.update(person_type=PersonType.OTHER, name=prospect.name)
    return {k: v for k, v in initial.items() if v not in (None, "")}


@transaction.atomic
def prospect_attach_client(*, actor, prospect: Prospect, client: Client) -> Prospect:
    """Finish a conversion: the prospect's opportunities and activities move to `client`
    and its history is written into the client's Historial. Call it in the transaction that
    created the client (clients.services.client_create), as prospect_convert does."""
    locked = _locked_open_prospect(prospect)
    if Prospect.objects.filter(converted_client=client).exists():
        raise DomainError("Ese cliente ya procede de otro prospecto.", code="client_taken")
    events = list(locked.events.select_related("actor").order_by("created_at", "id"))
    opp_count = Opportunity.objects.filter(prospect=locked).update(client=client, prospect=None)
    act_count = Activity.objects.filter(prospect=locked).update(client=client)
    # The prospect's history, oldest first, with its original dates.
    from ispgest.clients.history import record_event

    for event in events:
        when = timezone.localtime(event.created_at).strftime("%d/%m/%Y %H:%M")
        record_event(
            client=client,
            actor=event.actor,
            action=event.action,
            summary=f"[{when}, como prospecto] {event.summary}",
            changes=event.changes,
            audit_entry=False,  # audited when it happened to the prospect
        )
    locked.status = ProspectStatus.CONVERTED
    locked.converted_client = client
    locked.converted_at = timezone.now()
    locked.save(update_fields=["status", "converted_client", "converted_at", "updated_at"])
    record(
        actor=actor,
        action="prospect.converted",
        summary=(
            f"Cliente creado desde el prospecto «{locked.name}»: {opp_count} oportunidad(es) "
            f"y {act_count} actuación(es) pasan al cliente."
        ),
        changes={"Prospecto": [locked.name, client.name]},
        obj=locked,
        client=client,
    )
    return locked


@transaction.atomic
def prospect_convert(
    *, actor, prospect: Prospect, data: dict[str, Any], extra_values: dict | None = None
) -> Client:
    """Create the client (clients.services.client_create: every client rule) and move the
    prospect's opportunities, activities and history to it, all or nothing."""
    from ispgest.clients.services import client_create

    locked = _locked_open_prospect(prospect)
    if not data.get("seller") and locked.seller_id:
        data = {**data, "seller": locked.seller_id}
    client = client_create(actor=actor, data=data, extra_values=extra_values)
    prospect_attach_client(actor=actor, prospect=locked, client=client)
    return client


# =============================================================================================
# Opportunities

OPPORTUNITY_FIELDS = (
    "title",
    "description",
    "amount",
    "probability",
    "expected_close_date",
    "source",
)


def initial_stage() -> OpportunityStage:
    if not OpportunityStage.objects.exists():
        from ispgest.crm.defaults import install_default_stages

        install_default_stages()
    stage = OpportunityStage.objects.filter(is_initial=True, active=True).first()
    if stage is None:
        stage = OpportunityStage.objects.filter(active=True, kind=StageKind.OPEN).first()
    if stage is None:
        raise DomainError("No hay ninguna etapa abierta activa en el catálogo de etapas.")
    return stage


def _resolve_stage(value, errors: _Errors) -> OpportunityStage | None:
    if isinstance(value, OpportunityStage):
        return value
    stage = None
    if value not in (None, ""):
        text = str(value)
        stage = (
            OpportunityStage.objects.filter(pk=int(text)).first()
            if text.isdigit()
            else OpportunityStage.objects.filter(code=text).first()
        )
    if stage is None:
        errors.add("stage", f"Etapa: no existe la etapa «{value}».", "missing")
    return stage


def _resolve_plans(values, errors: _Errors) -> list:
    from ispgest.contracts.models import Plan

    if values is None:
        return []
    ids, plans = [], []
    for v in values:
        if isinstance(v, Plan):
            plans.append(v)
            continue
        try:
            ids.append(int(v))
        except (TypeError, ValueError):
            errors.add("plans", f"Tarifas de interés: «{v}» no es un identificador.")
    if ids:
        found = {p.pk: p for p in Plan.objects.filter(pk__in=ids)}
        for pk in ids:
            if pk not in found:
                errors.add("plans", f"Tarifas de interés: no existe la tarifa {pk}.", "missing")
            else:
                plans.append(found[pk])
    return plans


def _check_opportunity(opp: Opportunity, errors: _Errors) -> None:
    if not opp.title and "title" not in errors:
        errors.add("title", "Título: es obligatorio.", "required")
    if opp.amount is not None and opp.amount < 0 and "amount" not in errors:
        errors.add("amount", "Importe: no puede ser negativo.")


def _party_of(opp: Opportunity) -> dict:
    return {"client": opp.client} if opp.client_id else {"prospect": opp.prospect}


def _opp_snapshot(opp: Opportunity, plans=None) -> dict:
    snap = snapshot(opp, (*OPPORTUNITY_FIELDS, "stage", "seller"))
    if plans is not None:
        snap["plans"] = ("Tarifas de interés", ", ".join(sorted(p.name for p in plans)))
    return snap


@transaction.atomic
def opportunity_create(
    *, actor, data: dict[str, Any], client: Client | None = None, prospect: Prospect | None = None
) -> Opportunity:
    """An opportunity of a client or of an open prospect. It starts in the given open stage
    (the catalog's initial one by default) with that stage's probability unless one is given.
    """
    errors = _Errors()
    if (client is None) == (prospect is None):
        raise DomainError("Indique el cliente o el prospecto de la oportunidad.")
    if prospect is not None and prospect.status == ProspectStatus.CONVERTED:
        raise DomainError("El prospecto ya es cliente: cree la oportunidad en su ficha.")
    opp = Opportunity(client=client, prospect=prospect, created_by=_actor_user(actor))
    payload = {k: v for k, v in data.items() if k not in ("stage", "seller", "plans")}
    unknown = sorted(set(payload) - set(OPPORTUNITY_FIELDS))
    if unknown:
        errors.add("__all__", f"Campos desconocidos: {', '.join(unknown)}.")
    _assign(opp, {"title": "", **payload}, OPPORTUNITY_FIELDS, errors)
    stage = _resolve_stage(data["stage"], errors) if data.get("stage") not in (None, "") else None
    if stage is None and "stage" not in errors:
        stage = initial_stage()
    if stage is not None:
        if not stage.active:
            errors.add("stage", f"Etapa: «{stage}» está desactivada.", "inactive")
        elif stage.is_closed:
            errors.add(
                "stage",
                f"Etapa: una oportunidad nueva empieza abierta, no en «{stage}».",
                "closed_stage",
            )
        opp.stage = stage
        if data.get("probability") in (None, ""):
            opp.probability = stage.default_probability
    party = client if client is not None else prospect
    opp.seller = _seller_for(
        actor, data.get("seller"), errors=errors, default=getattr(party, "seller", None)
    )
    plans = _resolve_plans(data.get("plans"), errors)
    _check_opportunity(opp, errors)
    errors.raise_if_any()
    opp.save()
    if plans:
        opp.plans.set(plans)
    OpportunityStageChange.objects.create(
        opportunity=opp, from_stage=None, to_stage=opp.stage, actor=_actor_user(actor)
    )
    changes = changes_between({}, _opp_snapshot(opp, plans))
    record(
        actor=actor,
        action="opportunity.created",
        summary=f"Oportunidad creada: {opp.title} ({opp.stage})",
        changes={k: v for k, v in changes.items() if v[1]},
        obj=opp,
        **_party_of(opp),
    )
    return opp


@transaction.atomic
def opportunity_update(*, actor, opportunity: Opportunity, data: dict[str, Any]) -> Opportunity:
    """Edit an opportunity's data (a PATCH); its stage moves with opportunity_move."""
    locked = Opportunity.objects.select_for_update().get(pk=opportunity.pk)
    if "stage" in data:
        raise DomainError(
            "Etapa: se cambia moviendo la oportunidad, según el mapa de transiciones.",
            field="stage",
        )
    old_plans = list(locked.plans.all())
    before = _opp_snapshot(locked, old_plans)
    errors = _Errors()
    payload = {k: v for k, v in data.items() if k not in ("seller", "plans")}
    changed = _assign(locked, payload, OPPORTUNITY_FIELDS, errors)
    if "seller" in data and sees_all_pipeline(actor):
        new_seller = _seller_for(actor, data["seller"], errors=errors, default=locked.seller)
        if new_seller != locked.seller:
            locked.seller = new_seller
            changed.append("seller")
    plans = _resolve_plans(data["plans"], errors) if "plans" in data else old_plans
    _check_opportunity(locked, errors)
    errors.raise_if_any()
    changes = changes_between(before, _opp_snapshot(locked, plans))
    if not changes:
        return locked
    if changed:
        locked.save(update_fields=[*changed, "updated_at"])
    if "plans" in data:
        locked.plans.set(plans)
    record(
        actor=actor,
        action="opportunity.updated",
        summary=f"Oportunidad modificada: {locked.title}",
        changes=changes,
        obj=locked,
        **_party_of(locked),
    )
    return locked


def allowed_stages(opportunity: Opportunity) -> list[OpportunityStage]:
    return [s for s in opportunity.stage.allowed_next.all() if s.active]


@transaction.atomic
def opportunity_move(
    *, actor, opportunity: Opportunity, stage: Any, reason: str = ""
) -> Opportunity:
    """Move an opportunity to another stage along the transition map.

    A lost stage needs a reason; won and lost close the opportunity (closed_at); reopening
    clears them. The probability becomes the new stage's default.
    """
    locked = (
        Opportunity.objects.select_for_update(of=("self",))
        .select_related("stage", "client", "prospect")
        .get(pk=opportunity.pk)
    )
    errors = _Errors()
    target = _resolve_stage(stage, errors)
    errors.raise_if_any()
    current = locked.stage
    if target.pk == current.pk:
        raise InvalidTransition(f"La oportunidad ya está en «{current}».", field="stage")
    allowed = allowed_stages(locked)
    if target not in allowed:
        options = ", ".join(f"«{s}»" for s in allowed) or "ninguna (etapa final)"
        raise InvalidTransition(
            f"Etapa: no se puede pasar de «{current}» a «{target}». Desde «{current}» se puede "
            f"pasar a: {options}.",
            field="stage",
        )
    reason = (reason or "").strip()
    if has_control_chars(reason):
        raise DomainError(f"Motivo: {CONTROL_MESSAGE}", field="lost_reason")
    if len(reason) > 255:
        raise DomainError("Motivo: como máximo 255 caracteres.", field="lost_reason")
    if target.kind == StageKind.LOST and not reason:
        raise DomainError(
            f"Motivo de pérdida: es obligatorio para pasar a «{target}».",
            field="lost_reason",
            code="reason_required",
        )
    old_probability = locked.probability
    locked.stage = target
    locked.probability = target.default_probability
    fields = ["stage", "probability", "updated_at"]
    if target.is_closed:
        locked.closed_at = timezone.now()
        fields.append("closed_at")
    elif locked.closed_at is not None:
        locked.closed_at = None
        fields.append("closed_at")
    if target.kind == StageKind.LOST:
        locked.lost_reason = reason
        fields.append("lost_reason")
    elif locked.lost_reason:
        locked.lost_reason = ""
        fields.append("lost_reason")
    locked.save(update_fields=fields)
    OpportunityStageChange.objects.create(
        opportunity=locked,
        from_stage=current,
        to_stage=target,
        actor=_actor_user(actor),
        reason=reason,
    )
    changes = {"Etapa": [current.name, target.name]}
    if old_probability != locked.probability:
        changes["Probabilidad (%)"] = [str(old_probability), str(locked.probability)]
    summary = f"Oportunidad «{locked.title}»: {current} → {target}"
    if reason:
        summary += f". Motivo: {reason}"
        changes["Motivo"] = ["", reason]
    record(
        actor=actor,
        action="opportunity.stage_changed",
        summary=summary,
        changes=changes,
        obj=locked,
        **_party_of(locked),
    )
    return locked


def contract_initial(opportunity: Opportunity) -> dict[str, Any]:
    """The contract form's prefill from a won opportunity: its first plan of interest and
    the client's address, city, zone and payment method."""
    client = opportunity.client
    plans = list(opportunity.plans.filter(active=True).order_by("price", "name"))
    initial: dict[str, Any] = {"start_date": timezone.localdate()}
    if plans:
        initial["plan"] = plans[0].pk
    if client is not None:
        initial.update(
            address=client.address,
            city=client.city_id,
            zone=client.zone_id,
            payment_method=client.payment_method_id,
        )
    if opportunity.description:
        initial["notes"] = f"Oportunidad #{opportunity.pk}: {opportunity.title}"
    return {k: v for k, v in initial.items() if v not in (None, "")}


@transaction.atomic
def opportunity_contract_create(
    *,
    actor,
    opportunity: Opportunity,
    plan,
    start_date: date,
    data: dict[str, Any],
    price: Decimal | None = None,
):
    """Create the contract of a won opportunity (contracts.services.contract_create) and
    link it to the opportunity, in one transaction."""
    from ispgest.contracts.services import contract_create

    locked = (
        Opportunity.objects.select_for_update(of=("self",))
        .select_related("stage", "client")
        .get(pk=opportunity.pk)
    )
    if locked.stage.kind != StageKind.WON:
        raise DomainError(
            "Solo una oportunidad ganada genera un contrato.", code="not_won", field="stage"
        )
    if locked.client_id is None:
        raise DomainError(
            "La oportunidad es de un prospecto: conviértalo en cliente antes de crear el contrato.",
            code="prospect",
        )
    if locked.contract_id is not None:
        raise DomainError(
            f"La oportunidad ya tiene el contrato #{locked.contract_id}.", code="has_contract"
        )
    contract = contract_create(
        actor=actor,
        client=locked.client,
        plan=plan,
        start_date=start_date,
        data=data,
        price=price,
    )
    locked.contract = contract
    locked.save(update_fields=["contract", "updated_at"])
    record(
        actor=actor,
        action="opportunity.contract_created",
        summary=f"Contrato #{contract.pk} creado desde la oportunidad «{locked.title}»",
        changes={"Contrato": ["", f"#{contract.pk}"]},
        obj=locked,
        client=locked.client,
    )
    return contract


# =============================================================================================
# Activities

ACTIVITY_FIELDS = (
    "kind",
    "occurred_at",
    "notes",
    "result",
    "next_action",
    "next_action_on",
)


def _resolve_staff_user(value, errors: _Errors, *, default):
    User = get_user_model()
    if value in (None, "", 0):
        return default
    user = value if isinstance(value, User) else None
    if user is None and str(value).isdigit():
        user = User.objects.filter(pk=int(value)).first()
    if user is None or not user.is_active:
        errors.add("user", f"Usuario: no existe el usuario activo «{value}».", "missing")
        return None
    return user


def _check_activity(activity: Activity, errors: _Errors) -> None:
    if activity.occurred_at is None and "occurred_at" not in errors:
        activity.occurred_at = timezone.now()
    if activity.next_action_on and not activity.next_action and "next_action" not in errors:
        errors.add(
            "next_action",
            "Próxima acción: describa la próxima acción de la fecha indicada.",
            "required",
        )
    if activity.next_action_on and activity.occurred_at and "next_action_on" not in errors:
        occurred = timezone.localtime(activity.occurred_at).date()
        if activity.next_action_on < occurred:
            errors.add(
                "next_action_on",
                "Fecha de la próxima acción: no puede ser anterior a la actuación.",
            )


def _activity_summary(activity: Activity) -> str:
    when = timezone.localtime(activity.occurred_at).strftime("%d/%m/%Y %H:%M")
    text = f"Actuación ({activity.get_kind_display()}, {when}"
    text += f", {activity.user.get_username()})" if activity.user_id else ")"
    if activity.opportunity_id:
        text += f" en la oportunidad «{activity.opportunity.title}»"
    if activity.notes:
        text += f": {activity.notes}"
    if activity.result:
        text += f" Resultado: {activity.result}."
    if activity.next_action:
        text += f" Próxima acción: {activity.next_action}"
        if activity.next_action_on:
            text += f" ({activity.next_action_on.strftime('%d/%m/%Y')})"
    return text


def _parse_datetime(data: dict, errors: _Errors) -> dict:
    value = data.get("occurred_at")
    if isinstance(value, str) and value.strip():
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            errors.add("occurred_at", f"Fecha y hora: «{value}» no es una fecha y hora.")
            return {k: v for k, v in data.items() if k != "occurred_at"}
        data = {**data, "occurred_at": parsed}
        value = parsed
    if isinstance(value, datetime) and timezone.is_naive(value):
        data = {**data, "occurred_at": timezone.make_aware(value)}
    return data


@transaction.atomic
def activity_create(
    *,
    actor,
    data: dict[str, Any],
    opportunity: Opportunity | None = None,
    client: Client | None = None,
    prospect: Prospect | None = None,
) -> Activity:
    """ "Nueva actuación" on an opportunity, a client or a prospect; it is merged into the
    client's Historial (or the prospect's history)."""
    if opportunity is not None:
        client, prospect = opportunity.client, opportunity.prospect
    if client is None and prospect is None:
        raise DomainError("Indique la oportunidad, el cliente o el prospecto de la actuación.")
    errors = _Errors()
    activity = Activity(opportunity=opportunity, client=client, prospect=prospect)
    data = _parse_datetime(data, errors)
    payload = {k: v for k, v in data.items() if k != "user"}
    _assign(activity, {"kind": "", **payload}, ACTIVITY_FIELDS, errors)
    activity.user = _resolve_staff_user(data.get("user"), errors, default=_actor_user(actor))
    if activity.user is None and "user" not in errors:
        errors.add("user", "Usuario: indique quién hizo la actuación.", "required")
    _check_activity(activity, errors)
    errors.raise_if_any()
    activity.save()
    party = {"client": client} if client is not None else {"prospect": prospect}
    record(
        actor=actor,
        action="crm.activity_created",
        summary=_activity_summary(activity),
        changes={
            k: v
            for k, v in changes_between({}, snapshot(activity, (*ACTIVITY_FIELDS, "user"))).items()
            if v[1]
        },
        obj=activity,
        **party,
    )
    return activity


@transaction.atomic
def activity_update(*, actor, activity: Activity, data: dict[str, Any]) -> Activity:
    locked = (
        Activity.objects.select_for_update(of=("self",))
        .select_related("opportunity")
        .get(pk=activity.pk)
    )
    errors = _Errors()
    fields = (*ACTIVITY_FIELDS, "user")
    before = snapshot(locked, fields)
    data = _parse_datetime(data, errors)
    changed = _assign(
        locked, {k: v for k, v in data.items() if k != "user"}, ACTIVITY_FIELDS, errors
    )
    if "user" in data:
        user = _resolve_staff_user(data["user"], errors, default=locked.user)
        if user is not None and user.pk != locked.user_id:
            locked.user = user
            changed.append("user")
    _check_activity(locked, errors)
    errors.raise_if_any()
    changes = changes_between(before, snapshot(locked, fields))
    if not changes:
        return locked
    locked.save(update_fields=[*changed, "updated_at"])
    party = {"client": locked.client} if locked.client_id else {"prospect": locked.prospect}
    record(
        actor=actor,
        action="crm.activity_updated",
        summary=f"Actuación modificada: {_activity_summary(locked)}",
        changes=changes,
        obj=locked,
        **party,
    )
    return locked


@transaction.atomic
def activity_complete(*, actor, activity: Activity) -> Activity:
    """Mark an activity's next action as done (it leaves "Mis próximas actuaciones")."""
    locked = Activity.objects.select_for_update().get(pk=activity.pk)
    if locked.next_action_on is None:
        raise DomainError("La actuación no tiene una próxima acción pendiente.", code="no_next")
    if locked.next_action_done_at is not None:
        return locked
    locked.next_action_done_at = timezone.now()
    locked.save(update_fields=["next_action_done_at", "updated_at"])
    party = {"client": locked.client} if locked.client_id else {"prospect": locked.prospect}
    record(
        actor=actor,
        action="crm.next_action_done",
        summary=f"Próxima acción hecha: {locked.next_action}",
        changes={"Próxima acción": [locked.next_action, "Hecha"]},
        obj=locked,
        **party,
    )
    return locked


# =============================================================================================
# The stage catalog

STAGE_FIELDS = ("name", "order", "kind", "default_probability", "active")


def _check_stage(stage: OpportunityStage, errors: _Errors) -> None:
    if not stage.name and "name" not in errors:
        errors.add("name", "Nombre: es obligatorio.", "required")
    if stage.kind == StageKind.WON and stage.default_probability != 100:
        stage.default_probability = 100
    if stage.kind == StageKind.LOST and stage.default_probability != 0:
        stage.default_probability = 0


@transaction.atomic
def stage_create(*, actor, data: dict[str, Any], allowed_next=None) -> OpportunityStage:
    errors = _Errors()
    stage = OpportunityStage()
    code = str(data.get("code") or "").strip().lower()
    if not re.fullmatch(r"[a-z0-9_-]{1,30}", code):
        errors.add("code", "Código: de 1 a 30 letras minúsculas, cifras, - o _.", "invalid")
    elif OpportunityStage.objects.filter(code=code).exists():
        errors.add("code", f"Código: ya existe la etapa «{code}».", "unique")
    stage.code = code
    _assign(
        stage, {"name": "", **{k: v for k, v in data.items() if k != "code"}}, STAGE_FIELDS, errors
    )
    targets = _resolve_stage_list(allowed_next or [], errors)
    _check_stage(stage, errors)
    errors.raise_if_any()
    stage.save()
    stage.allowed_next.set(targets)
    audit(
        actor=actor,
        action="crm.stage_created",
        obj=stage,
        summary=f"Etapa de oportunidad creada: {stage.name}",
        changes=changes_between({}, snapshot(stage, STAGE_FIELDS)),
    )
    return stage


def _resolve_stage_list(values, errors: _Errors) -> list[OpportunityStage]:
    out = []
    for v in values:
        stage = _resolve_stage(v, errors)
        if stage is not None:
            out.append(stage)
    return out


@transaction.atomic
def stage_update(
    *, actor, stage: OpportunityStage, data: dict[str, Any], allowed_next=None
) -> OpportunityStage:
    """Rename, reorder, (de)activate a stage or change where it may lead. A stage with open
    opportunities cannot change its kind nor be deactivated."""
    locked = OpportunityStage.objects.select_for_update().get(pk=stage.pk)
    before = snapshot(locked, STAGE_FIELDS)
    old_next = sorted(s.name for s in locked.allowed_next.all())
    errors = _Errors()
    old_kind, was_active = locked.kind, locked.active
    changed = _assign(locked, data, STAGE_FIELDS, errors)
    in_use = locked.opportunities.exists()
    if in_use and locked.kind != old_kind:
        errors.add("kind", "Tipo: la etapa tiene oportunidades; su tipo no puede cambiar.")
    if in_use and was_active and not locked.active:
        errors.add(
            "active", "Activa: la etapa tiene oportunidades; muévalas antes de desactivarla."
        )
    if locked.is_initial and not locked.active:
        errors.add("active", "Activa: la etapa inicial no puede desactivarse.")
    targets = _resolve_stage_list(allowed_next, errors) if allowed_next is not None else None
    if targets is not None and any(t.pk == locked.pk for t in targets):
        errors.add("allowed_next", "Puede pasar a: una etapa no puede pasar a sí misma.")
    _check_stage(locked, errors)
    errors.raise_if_any()
    if changed or locked.default_probability != int(before["default_probability"][1]):
        locked.save()
    changes = changes_between(before, snapshot(locked, STAGE_FIELDS))
    if targets is not None:
        locked.allowed_next.set(targets)
        new_next = sorted(s.name for s in targets)
        if new_next != old_next:
            changes["Puede pasar a"] = [", ".join(old_next), ", ".join(new_next)]
    if changes:
        audit(
            actor=actor,
            action="crm.stage_updated",
            obj=locked,
            summary=f"Etapa de oportunidad modificada: {locked.name}",
            changes=changes,
        )
    return locked


# =============================================================================================
# Sales managers


@transaction.atomic
def pipeline_manager_set(*, actor, user, enabled: bool):
    """Grant or revoke `crm.view_all_pipeline` to one staff user (a sales manager)."""
    if actor is not None and not actor.has_perm("crm.manage_pipeline_managers"):
        raise PermissionDenied
    app_label, codename = VIEW_ALL.split(".")
    perm = Permission.objects.get(content_type__app_label=app_label, codename=codename)
    has = user.user_permissions.filter(pk=perm.pk).exists()
    if has == enabled:
        return user
    if enabled:
        user.user_permissions.add(perm)
    else:
        user.user_permissions.remove(perm)
    for cache in ("_perm_cache", "_user_perm_cache"):
        if hasattr(user, cache):
            delattr(user, cache)
    audit(
        actor=actor,
        action="crm.pipeline_manager_granted" if enabled else "crm.pipeline_manager_revoked",
        obj=user,
        summary=(
            f"{user.get_username()} {'pasa a ser' if enabled else 'deja de ser'} jefe de ventas "
            "(ve el embudo de todos los vendedores)"
        ),
        changes={"Jefe de ventas": ["No" if enabled else "Sí", "Sí" if enabled else "No"]},
    )
    return user


# =============================================================================================
# The morning digest of "Mis próximas actuaciones"


def activity_digest_send(*, day: date | None = None) -> int:
    """E-mail every active staff user with next actions due today or overdue the list of
    them, once per user and day (an ActivityDigest row claims the day: reruns and a second
    worker send nothing). Returns the number of e-mails queued."""
    from ispgest.crm.selectors import due_activity_groups
    from ispgest.messaging.emails import send_email

    day = day or timezone.localdate()
    User = get_user_model()
    user_ids = (
        Activity.objects.filter(
            next_action_on__lte=day,
            next_action_on__isnull=False,
            next_action_done_at__isnull=True,
            user__is_active=True,
        )
        .exclude(user__email="")
        .values_list("user_id", flat=True)
        .distinct()
    )
    sent = 0
    for user in User.objects.filter(pk__in=list(user_ids)).order_by("pk"):
        with transaction.atomic():
            try:
                with transaction.atomic():
                    claim = ActivityDigest.objects.create(user=user, day=day)
            except IntegrityError:
                continue  # already sent today (or being sent by another worker)
            groups = due_activity_groups(user, day=day, horizon_days=0)
            if not (groups["overdue"].count or groups["today"].count):
                continue
            from ispgest.core.identity import isp_identity

            message = send_email(
                template="crm_activity_digest",
                to=[user.email],
                context={
                    "user": user,
                    "day": day,
                    "overdue": groups["overdue"].items,
                    "overdue_more": groups["overdue"].more,
                    "today": groups["today"].items,
                    "today_more": groups["today"].more,
                    "isp": isp_identity(),
                    "site_url": settings.SITE_URL.rstrip("/"),
                },
            )
            claim.email_id = message.pk
            claim.save(update_fields=["email_id"])
            audit(
                actor=None,
                action="crm.activity_digest_sent",
                obj=claim,
                summary=f"Resumen de próximas actuaciones enviado a {user.get_username()}",
            )
            sent += 1
    return sent

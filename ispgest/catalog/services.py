"""Writes to the configuration catalogs, and the billing rules other apps check against them.

Every function is keyword-only and transactional; a broken rule raises a Django
ValidationError naming the field, in Spanish, before anything is written.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.core.exceptions import ValidationError
from django.db import models, transaction
from stdnum import bic, iban
from stdnum.eu import at_02 as sepa_creditor
from stdnum.exceptions import ValidationError as StdnumError

from ispgest.catalog.defaults import allow_default_invoice_types
from ispgest.catalog.models import (
    AllowedInvoiceType,
    BillingCycle,
    BillingEntity,
    ExtraField,
    ExtraFieldType,
    FiscalRegime,
    InvoiceType,
    LegalKind,
    PaymentMethod,
    PaymentMethodKind,
    PointOfSale,
    TaxCondition,
)
from ispgest.catalog.registry import config_for
from ispgest.core.audit import audit, changes_of
from ispgest.core.country import PROFILES, clean_tax_id, get_profile

_ALLOWED_TRIPLES: ContextVar[frozenset | None] = ContextVar("allowed_triples", default=None)


@contextmanager
def billing_combinations_preloaded() -> Iterator[None]:
    """Within the block, check_billing_combination reads the allowed (billing entity, tax
    condition, invoice type) triples loaded by one query on entry instead of asking once per
    call: for code that validates many records in a row (an import's dry run)."""
    triples = frozenset(
        AllowedInvoiceType.objects.values_list(
            "billing_entity_id", "tax_condition_id", "invoice_type_id"
        )
    )
    token = _ALLOWED_TRIPLES.set(triples)
    try:
        yield
    finally:
        _ALLOWED_TRIPLES.reset(token)


def check_billing_combination(
    billing_entity: BillingEntity | None,
    tax_condition: TaxCondition | None,
    invoice_type: InvoiceType | None,
) -> None:
    """Refuse a (billing entity, tax condition, invoice type) triple the catalogs do not allow.

    A fantasía tax condition goes only with a fantasía billing entity and a legal one only with
    a legal entity (error on ``tax_condition``); the invoice type must be allowed for the pair
    by AllowedInvoiceType (error on ``invoice_type``). Missing values are not checked here:
    whether they are required is the caller's rule. Deactivated rows are accepted so that
    existing records keep validating; pickers hide them.
    """
    if billing_entity is not None and tax_condition is not None:
        if billing_entity.kind != tax_condition.kind:
            if tax_condition.kind == LegalKind.FANTASY:
                msg = (
                    f"La condición de IVA «{tax_condition}» es de fantasía y solo puede usarse "
                    f"con una razón social de fantasía; «{billing_entity}» es legal."
                )
            else:
                msg = (
                    f"La condición de IVA «{tax_condition}» es legal y solo puede usarse con una "
                    f"razón social legal; «{billing_entity}» es de fantasía."
                )
            raise ValidationError({"tax_condition": [ValidationError(msg, code="kind_mismatch")]})
    if invoice_type is None:
        return
    if billing_entity is None or tax_condition is None:
        raise ValidationError(
            {
                "invoice_type": [
                    ValidationError(
                        "Elija la razón social y la condición de IVA antes del tipo de factura.",
                        code="incomplete",
                    )
                ]
            }
        )
    preloaded = _ALLOWED_TRIPLES.get()
    if preloaded is not None:
        allowed = (billing_entity.pk, tax_condition.pk, invoice_type.pk) in preloaded
    else:
        allowed = AllowedInvoiceType.objects.filter(
            billing_entity=billing_entity, tax_condition=tax_condition, invoice_type=invoice_type
        ).exists()
    if not allowed:
        raise ValidationError(
            {
                "invoice_type": [
                    ValidationError(
                        f"La razón social «{billing_entity}» no emite «{invoice_type}» a clientes "
                        f"con condición de IVA «{tax_condition}».",
                        code="not_allowed",
                    )
                ]
            }
        )


def _error(field: str | None, message: str, code: str = "invalid") -> ValidationError:
    if field:
        return ValidationError({field: [ValidationError(message, code=code)]})
    return ValidationError(message, code=code)


def _is_referenced(instance: models.Model) -> bool:
    """True when any row of another model points at `instance` (its kind is then fixed)."""
    for rel in instance._meta.related_objects:
        if rel.one_to_many or rel.one_to_one:
            accessor = rel.related_model._default_manager.filter(**{rel.field.name: instance})
            if accessor.exists():
                return True
    return False


def _resolve_foreign_keys(model: type[models.Model], data: dict) -> dict:
    """Accept ids as well as instances for foreign keys (the API sends ids)."""
    resolved = dict(data)
    for name, value in data.items():
        field = model._meta.get_field(name)
        if not field.many_to_one or value is None or isinstance(value, models.Model):
            continue
        target = field.related_model._default_manager.filter(pk=value).first()
        if target is None:
            raise _error(name, f"{field.verbose_name}: no existe el registro {value}.")
        resolved[name] = target
    return resolved


def _refuse_inactive_targets(instance: models.Model, data: dict) -> None:
    """A deactivated row may stay where it already is, but cannot be newly chosen."""
    for name, value in data.items():
        field = instance._meta.get_field(name)
        if not field.many_to_one or value is None:
            continue
        current = getattr(instance, field.attname)
        if getattr(value, "active", True) is False and value.pk != current:
            raise _error(
                name,
                f"{field.verbose_name}: «{value}» está desactivado y no puede elegirse.",
                "inactive",
            )


def _rules_billing_entity(entity: BillingEntity, old: BillingEntity | None) -> None:
    if entity.country not in PROFILES:
        raise _error("country", f"País desconocido: «{entity.country}».")
    profile = get_profile(entity.country)
    if not entity.tax_id_kind:
        entity.tax_id_kind = profile.default_tax_id_kind
    if profile.tax_id_kind(entity.tax_id_kind) is None:
        kinds = ", ".join(k.code for k in profile.tax_id_kinds)
        raise _error(
            "tax_id_kind",
            f"Tipo de número tributario «{entity.tax_id_kind}» no válido para "
            f"{profile.name}; use uno de: {kinds}.",
        )
    if entity.kind == LegalKind.LEGAL and not (entity.tax_id or "").strip():
        raise _error("tax_id", f"Una razón social legal necesita su {profile.tax_id_label}.")
    entity.tax_id = clean_tax_id(entity.tax_id, entity.tax_id_kind, field="tax_id")
    if entity.sepa_creditor_id:
        try:
            entity.sepa_creditor_id = sepa_creditor.validate(entity.sepa_creditor_id)
        except StdnumError:
            raise _error(
                "sepa_creditor_id",
                f"El identificador de acreedor SEPA «{entity.sepa_creditor_id}» no es válido.",
            ) from None
    if entity.iban:
        try:
            entity.iban = iban.validate(entity.iban)
        except StdnumError:
            raise _error("iban", f"El IBAN «{entity.iban}» no es válido.") from None
    if entity.bic:
        try:
            entity.bic = bic.validate(entity.bic)
        except StdnumError:
            raise _error("bic", f"El BIC «{entity.bic}» no es válido.") from None
    _rules_fiscal_regime(entity, old)
    if old is not None and old.kind != entity.kind and _is_used_by_clients(old):
        # Its own invoice-type permissions are replaced on the change; clients or invoices
        # made under the old kind would silently break the legal/fantasía rule.
        raise _error(
            "kind",
            "No se puede cambiar el tipo (legal/fantasía) de una razón social que ya usan "
            "clientes u otros registros.",
        )


def _rules_fiscal_regime(entity: BillingEntity, old: BillingEntity | None) -> None:
    """VERI*FACTU is for legal Spanish entities with a NIF; once the fiscal layer holds
    invoice records of the entity its regime stays (the chain and the submissions go on)."""
    if entity.fiscal_regime == FiscalRegime.VERIFACTU:
        if entity.kind != LegalKind.LEGAL:
            raise _error(
                "fiscal_regime",
                "VERI*FACTU solo se aplica a razones sociales legales (las de fantasía no "
                "emiten facturas con validez legal).",
            )
        if entity.country != "ES" or entity.tax_id_kind != "NIF":
            raise _error(
                "fiscal_regime",
                "VERI*FACTU es el sistema de la Agencia Tributaria española: la razón social "
                "debe ser de España (país ES) y tener NIF.",
            )
    if old is None or old.fiscal_regime == entity.fiscal_regime:
        return
    for rel in old._meta.related_objects:
        if rel.related_model._meta.app_label != "fiscal":
            continue
        if rel.related_model._default_manager.filter(**{rel.field.name: old}).exists():
            raise _error(
                "fiscal_regime",
                "No se puede cambiar el régimen de facturación electrónica de una razón social "
                "que ya tiene registros de facturación.",
            )


def _is_used_by_clients(instance: models.Model) -> bool:
    for rel in instance._meta.related_objects:
        if rel.related_model._meta.app_label == "catalog":
            continue
        if rel.related_model._default_manager.filter(**{rel.field.name: instance}).exists():
            return True
    return False


def _rules_kind_fixed_once_used(row, old) -> None:
    if old is not None and old.kind != row.kind and _is_referenced(old):
        raise _error(
            "kind",
            f"No se puede cambiar el tipo (legal/fantasía) de «{old}»: ya está en uso. "
            "Desactívelo y cree uno nuevo.",
        )


def _rules_tax_condition(cond: TaxCondition, old: TaxCondition | None) -> None:
    if cond.country not in PROFILES:
        raise _error("country", f"País desconocido: «{cond.country}».")
    _rules_kind_fixed_once_used(cond, old)


def _rules_payment_method(method: PaymentMethod, old: PaymentMethod | None) -> None:
    if method.kind == PaymentMethodKind.GATEWAY and method.gateway_id is None:
        raise _error("gateway", "Una forma de pago de tipo pasarela necesita su pasarela de pago.")
    if method.kind != PaymentMethodKind.GATEWAY and method.gateway_id is not None:
        raise _error("gateway", "Solo las formas de pago de tipo pasarela llevan pasarela de pago.")


def _rules_extra_field(extra: ExtraField, old: ExtraField | None) -> None:
    if extra.field_type == ExtraFieldType.CHOICE:
        if not extra.choice_list:
            raise _error("choices", "Una lista de opciones necesita al menos una opción.")
        extra.choices = "\n".join(extra.choice_list)
    elif extra.choices.strip():
        raise _error("choices", "Solo los campos de tipo lista de opciones llevan opciones.")
    if old is not None and old.field_type != extra.field_type and _is_used_by_clients(old):
        raise _error(
            "field_type", f"No se puede cambiar el tipo de «{old}»: ya hay clientes con valores."
        )


def _rules_billing_cycle(cycle: BillingCycle, old: BillingCycle | None) -> None:
    if old is not None and old.is_default and not cycle.is_default:
        raise _error(
            "is_default",
            "Debe haber un ciclo por defecto: marque otro ciclo como predeterminado en su lugar.",
        )
    if cycle.is_default and not cycle.active:
        raise _error("is_default", "El ciclo por defecto no puede estar desactivado.")
    if cycle.active:
        # A billing run invoices every client whose cycle falls on its day: two cycles of
        # one day cannot be one automatic and the other manual.
        other = (
            BillingCycle.objects.filter(active=True, day_of_month=cycle.day_of_month)
            .exclude(pk=cycle.pk)
            .exclude(auto_run=cycle.auto_run)
            .first()
        )
        if other is not None:
            mode = "manual" if cycle.auto_run else "automática"
            raise _error(
                "auto_run",
                f"El ciclo «{other}» también factura el día {cycle.day_of_month} y su "
                f"facturación es {mode}: la facturación periódica se lanza por día, así que "
                "los ciclos de un mismo día son todos automáticos o todos manuales.",
            )


_RULES = {
    BillingEntity: _rules_billing_entity,
    TaxCondition: _rules_tax_condition,
    InvoiceType: _rules_kind_fixed_once_used,
    PaymentMethod: _rules_payment_method,
    ExtraField: _rules_extra_field,
    BillingCycle: _rules_billing_cycle,
}


def _apply(instance: models.Model, data: dict, *, old: models.Model | None) -> models.Model:
    config = config_for(instance)
    unknown = sorted(set(data) - set(config.fields))
    if unknown:
        raise _error(None, f"Campos no editables: {', '.join(unknown)}.")
    data = _resolve_foreign_keys(type(instance), data)
    _refuse_inactive_targets(instance, data)
    for name, value in data.items():
        field = instance._meta.get_field(name)
        if isinstance(value, str) and not field.many_to_one:
            value = value.strip()
        if (
            value is None
            and not field.null
            and isinstance(field, models.CharField | models.TextField)
        ):
            value = ""
        setattr(instance, name, value)
    rule = _RULES.get(type(instance))
    if rule is not None:
        rule(instance, old)
    if isinstance(instance, BillingCycle) and instance.is_default:
        # The partial unique constraint allows one default: move the mark first, in this
        # transaction (a failure below rolls it back).
        BillingCycle.objects.select_for_update().filter(is_default=True).exclude(
            pk=instance.pk
        ).update(is_default=False)
    instance.full_clean()
    return instance


@transaction.atomic
def catalog_row_create(*, actor, model: type[models.Model], data: dict) -> models.Model:
    """Create a row of any catalog of the registry; validated before anything is written."""
    instance = _apply(model(), data, old=None)
    instance.save()
    if isinstance(instance, BillingEntity):
        allow_default_invoice_types(instance)
    audit(
        actor=actor,
        action=f"{model._meta.model_name}.created",
        obj=instance,
        summary=f"{model._meta.verbose_name} creado: {instance}",
        changes=changes_of(None, instance),
    )
    return instance


@transaction.atomic
def catalog_row_update(*, actor, instance: models.Model, data: dict) -> models.Model:
    """Change some fields of a catalog row (a PATCH: fields absent from `data` stay)."""
    model = type(instance)
    locked = model._default_manager.select_for_update().get(pk=instance.pk)
    old = copy.copy(locked)
    _apply(locked, data, old=old)
    changed = [
        f.attname
        for f in model._meta.concrete_fields
        if getattr(locked, f.attname) != getattr(old, f.attname)
    ]
    if changed:
        locked.save(update_fields=[*changed, "updated_at"])
        audit(
            actor=actor,
            action=f"{model._meta.model_name}.updated",
            obj=locked,
            summary=f"{model._meta.verbose_name} modificado: {locked}",
            changes=changes_of(old, locked),
        )
    if isinstance(locked, BillingEntity) and old.kind != locked.kind:
        AllowedInvoiceType.objects.filter(billing_entity=locked).delete()
        allow_default_invoice_types(locked)
    return locked


@transaction.atomic
def catalog_row_set_active(*, actor, instance: models.Model, active: bool) -> models.Model:
    """Deactivate (or reactivate) a catalog row: it leaves the pickers but stays on records."""
    model = type(instance)
    locked = model._default_manager.select_for_update().get(pk=instance.pk)
    if locked.active == active:
        return locked
    if not active and isinstance(locked, BillingCycle) and locked.is_default:
        raise _error(
            None,
            "No se puede desactivar el ciclo por defecto: marque antes otro ciclo como "
            "predeterminado.",
        )
    locked.active = active
    locked.save(update_fields=["active", "updated_at"])
    audit(
        actor=actor,
        action=f"{model._meta.model_name}.{'activated' if active else 'deactivated'}",
        obj=locked,
        summary=f"{model._meta.verbose_name} {'reactivado' if active else 'desactivado'}: {locked}",
        changes={"Activo": ["No", "Sí"] if active else ["Sí", "No"]},
    )
    return locked


# --- Points of sale and allowed invoice types of a billing entity -------------------------


@transaction.atomic
def point_of_sale_create(
    *, actor, billing_entity: BillingEntity, number: int, name: str = ""
) -> PointOfSale:
    if not billing_entity.is_legal:
        raise _error("number", "Solo una razón social legal tiene puntos de venta.")
    if PointOfSale.objects.filter(billing_entity=billing_entity, number=number).exists():
        raise _error("number", f"La razón social ya tiene el punto de venta {number:05d}.")
    pos = PointOfSale(billing_entity=billing_entity, number=number, name=(name or "").strip())
    pos.full_clean()
    pos.save()
    audit(
        actor=actor,
        action="pointofsale.created",
        obj=pos,
        summary=f"Punto de venta {number:05d} de «{billing_entity}» creado",
    )
    return pos


@transaction.atomic
def point_of_sale_update(*, actor, point_of_sale: PointOfSale, name: str) -> PointOfSale:
    """Rename a point of sale; its number is fixed (invoices are numbered under it)."""
    pos = PointOfSale.objects.select_for_update().get(pk=point_of_sale.pk)
    old_name = pos.name
    pos.name = (name or "").strip()
    pos.full_clean()
    pos.save(update_fields=["name", "updated_at"])
    audit(
        actor=actor,
        action="pointofsale.updated",
        obj=pos,
        summary=f"Punto de venta {pos.number:05d} renombrado",
        changes={"Nombre": [old_name, pos.name]} if old_name != pos.name else {},
    )
    return pos


@transaction.atomic
def point_of_sale_set_active(*, actor, point_of_sale: PointOfSale, active: bool) -> PointOfSale:
    pos = PointOfSale.objects.select_for_update().get(pk=point_of_sale.pk)
    if pos.active != active:
        pos.active = active
        pos.save(update_fields=["active", "updated_at"])
        audit(
            actor=actor,
            action=f"pointofsale.{'activated' if active else 'deactivated'}",
            obj=pos,
            summary=f"Punto de venta {pos.number:05d} {'reactivado' if active else 'desactivado'}",
            changes={"Activo": ["No", "Sí"] if active else ["Sí", "No"]},
        )
    return pos


@transaction.atomic
def allowed_invoice_types_set(
    *,
    actor,
    billing_entity: BillingEntity,
    pairs: set[tuple[int, int]],
) -> None:
    """Replace the (tax condition id, invoice type id) pairs the entity may issue.

    Every pair is checked before any row changes: condition and type must be of the entity's
    kind (legal/fantasía).
    """
    conditions = TaxCondition.objects.in_bulk({c for c, _t in pairs})
    types = InvoiceType.objects.in_bulk({t for _c, t in pairs})
    for cond_id, type_id in sorted(pairs):
        cond, inv = conditions.get(cond_id), types.get(type_id)
        if cond is None or inv is None:
            raise _error("allowed", "Condición de IVA o tipo de factura inexistente.")
        if cond.kind != billing_entity.kind:
            raise _error(
                "allowed",
                f"La condición de IVA «{cond}» no es del mismo tipo (legal/fantasía) que la "
                f"razón social «{billing_entity}».",
            )
        if inv.kind != billing_entity.kind:
            raise _error(
                "allowed",
                f"El tipo de factura «{inv}» no es del mismo tipo (legal/fantasía) que la "
                f"razón social «{billing_entity}».",
            )
    BillingEntity.objects.select_for_update().filter(pk=billing_entity.pk).first()
    current = set(
        AllowedInvoiceType.objects.filter(billing_entity=billing_entity).values_list(
            "tax_condition_id", "invoice_type_id"
        )
    )
    for cond_id, type_id in current - pairs:
        AllowedInvoiceType.objects.filter(
            billing_entity=billing_entity, tax_condition_id=cond_id, invoice_type_id=type_id
        ).delete()
    AllowedInvoiceType.objects.bulk_create(
        [
            AllowedInvoiceType(billing_entity=billing_entity, tax_condition_id=c, invoice_type_id=t)
            for c, t in sorted(pairs - current)
        ]
    )
    if pairs != current:
        both = pairs | current
        conds = TaxCondition.objects.in_bulk({c for c, _t in both})
        kinds = InvoiceType.objects.in_bulk({t for _c, t in both})

        def shown(keys) -> str:
            return ", ".join(f"{conds.get(c, c)} → {kinds.get(t, t)}" for c, t in sorted(keys))

        audit(
            actor=actor,
            action="billingentity.invoice_types_set",
            obj=billing_entity,
            summary=f"Tipos de factura permitidos de «{billing_entity}» modificados",
            changes={"Tipos permitidos": [shown(current), shown(pairs)]},
        )

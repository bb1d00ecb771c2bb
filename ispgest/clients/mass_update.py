"""Actualización masiva: set the same values on many clients, all or nothing.

The rules are those of the client form (`clients.validation.validate_client_data` and
`validate_extra_values`), applied set-wise: a rule's outcome depends only on the values it
reads, so the targets are grouped by those values (their "signature") and one representative
per group is validated. Changing the collector of 100k clients is one validation; changing
the neighbourhood is one per distinct (region, city); changing the billing entity is one per
distinct billing combination and tax-id state. The direct-debit rule (an active bank mandate)
is one query for the whole set.

Then, in one transaction, chunk by chunk in id order (the lock order): read the current
values with FOR UPDATE, one set-based UPDATE of the clients that change, and one bulk insert
of their history rows (one row per changed client, field-level old -> new), and
`signals.clients_mass_updated` with those changes (webhooks sends `client.updated` for each
changed client, and `client.deactivated` when the status became inactive). On PostgreSQL the
trigram index entries of large updates are merged after the commit (`_defer_trigram_merge`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, models, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from ispgest.clients import searchsync, signals
from ispgest.clients.models import BankMandate, Client, ClientEvent, EventKind, ExtraFieldValue
from ispgest.clients.scoping import check_client_write
from ispgest.clients.validation import validate_client_data, validate_extra_values
from ispgest.core.audit import audit
from ispgest.core.country import clean_tax_id, get_profile

CHUNK = 5000

#: What a mass update may change (seed 000 "Actualización masiva" plus the issue's list).
FK_FIELDS = (
    "seller",
    "collector",
    "zone",
    "neighbourhood",
    "billing_cycle",
    "billing_entity",
    "tax_condition",
    "invoice_type",
    "payment_method",
)
BOOL_FIELDS = (
    "send_invoice_emails",
    "send_payment_emails",
    "send_reminder_emails",
    "send_manual_emails",
)
MASS_FIELDS = (*FK_FIELDS, "status", *BOOL_FIELDS)

# For each field: the other columns its rules read (validation.py).
_BILLING_DEPS = (
    "billing_enabled",
    "billing_entity_id",
    "tax_condition_id",
    "invoice_type_id",
    "tax_id_kind",
    "tax_id",
)
DEPENDS: dict[str, tuple[str, ...]] = {
    "neighbourhood": ("region_id", "city_id", "neighbourhood_id"),
    "billing_entity": _BILLING_DEPS,
    "tax_condition": _BILLING_DEPS,
    "invoice_type": _BILLING_DEPS,
}


@dataclass
class MassUpdateResult:
    selected: int
    changed: int


def _attname(name: str) -> str:
    return f"{name}_id" if name in FK_FIELDS else name


def _display_maps(changes: dict[str, Any]) -> dict[str, dict]:
    """{field: {stored value: displayed text}} for the history rows' old/new values."""
    maps: dict[str, dict] = {}
    for name in changes:
        if name in FK_FIELDS:
            model = Client._meta.get_field(name).related_model
            maps[name] = {obj.pk: str(obj) for obj in model._default_manager.all()}
            maps[name][None] = ""
        elif name == "status":
            maps[name] = {value: str(label) for value, label in Client.Status.choices}
        else:
            maps[name] = {True: "Sí", False: "No"}
    return maps


def normalise_changes(changes: dict[str, Any]) -> dict[str, Any]:
    """Accept ids or instances; refuse unknown fields. Returns {field: stored value}."""
    unknown = sorted(set(changes) - set(MASS_FIELDS))
    if unknown:
        raise ValidationError(
            {"__all__": [f"Campos que no se pueden actualizar masivamente: {', '.join(unknown)}."]}
        )
    out = {}
    for name, value in changes.items():
        if name in FK_FIELDS:
            out[name] = value.pk if isinstance(value, models.Model) else value
        elif name == "status":
            if value not in Client.Status.values:
                raise ValidationError({"status": ["Estado: elija Activo o Inactivo."]})
            out[name] = value
        else:
            out[name] = bool(value)
    return out


def _tax_id_state(kind: str, tax_id: str, memo: dict) -> tuple:
    """What the tax-id rule sees of a client: empty, or valid/invalid for its kind."""
    if not tax_id:
        return (kind, "")
    key = (kind, tax_id)
    if key not in memo:
        profile = get_profile()
        try:
            clean_tax_id(tax_id, kind or profile.default_tax_id_kind, field="tax_id")
            memo[key] = "valid"
        except ValidationError:
            memo[key] = f"invalid:{tax_id}"
    return (kind, memo[key])


def validate_mass_update(
    targets: QuerySet[Client], changes: dict[str, Any], extra: dict | None = None
) -> dict:
    """Check the change against every client of `targets`; raise ValidationError naming the
    field, the client and how many clients fail. Returns the cleaned extra-field values."""
    errors: dict[str, list[str]] = {}
    cleaned_extra = {}
    if extra:
        cleaned_extra = validate_extra_values(extra)
    client_fields = {k: v for k, v in changes.items() if k != "status"}
    if client_fields:
        deps: list[str] = ["id", *(_attname(f) for f in client_fields)]
        for name in client_fields:
            deps.extend(d for d in DEPENDS.get(name, ()) if d not in deps)
        memo: dict = {}
        groups: dict[tuple, list] = {}
        for row in targets.order_by().values_list(*deps).iterator(chunk_size=CHUNK):
            values = dict(zip(deps, row, strict=True))
            signature = []
            for name in deps[1:]:
                if name == "tax_id":
                    signature.append(_tax_id_state(values["tax_id_kind"], values[name], memo))
                else:
                    signature.append(values[name])
            group = groups.setdefault(tuple(signature), [row[0], 0])
            group[1] += 1
        for rep_id, how_many in groups.values():
            client = Client.objects.get(pk=rep_id)
            try:
                validate_client_data(client, client_fields)
            except ValidationError as exc:
                for field, errs in exc.message_dict.items():
                    for msg in errs:
                        text = msg
                        if how_many > 1:
                            text = (
                                f"{msg} (cliente {client.pk} «{client.name}» y {how_many - 1} más)"
                            )
                        else:
                            text = f"{msg} (cliente {client.pk} «{client.name}»)"
                        errors.setdefault(field, [])
                        if text not in errors[field]:
                            errors[field].append(text)
    method_id = changes.get("payment_method")
    if method_id:
        from ispgest.catalog.models import PaymentMethod

        method = PaymentMethod.objects.filter(pk=method_id).first()
        if method is not None and method.requires_bank:
            without = targets.exclude(
                pk__in=BankMandate.objects.filter(active=True).values("client_id")
            )
            missing = without.order_by("pk").values_list("pk", "name")[:1]
            if missing:
                n = without.count()
                pk, name = missing[0]
                errors.setdefault("payment_method", []).append(
                    f"Forma de pago: «{method}» necesita un mandato bancario activo y "
                    f"{n} cliente(s) no lo tienen (por ejemplo {pk} «{name}»)."
                )
    if errors:
        raise ValidationError(errors)
    return cleaned_extra


def differs(changes: dict[str, Any]) -> Q:
    """Clients on which at least one of `changes` would change something."""
    condition = Q()
    for name, value in changes.items():
        att = _attname(name)
        if value is None:
            condition |= Q(**{f"{att}__isnull": False})
        else:
            condition |= ~Q(**{att: value}) | Q(**{f"{att}__isnull": True})
    return condition


def mass_update_preview(
    targets: QuerySet[Client], changes: dict[str, Any], extra: dict | None = None
) -> dict:
    """{"selected": N, "changing": M, "errors": {field: [messages]}}: how many clients are
    selected, how many change, and what the apply step would refuse (the same validation,
    run now, so the preview never promises a change the apply then refuses)."""
    changes = normalise_changes(changes)
    selected = targets.count()
    if extra:
        changing = selected  # extra values are compared per client only when applied
    elif changes:
        changing = targets.filter(differs(changes)).count()
    else:
        changing = 0
    errors: dict[str, list[str]] = {}
    if changes or extra:
        try:
            validate_mass_update(targets, changes, extra)
        except ValidationError as exc:
            errors = exc.message_dict
    return {"selected": selected, "changing": changing, "errors": errors}


def _check_actor(actor, changes: dict) -> None:
    if actor is not None and not actor.has_perm("clients.mass_update_client"):
        raise PermissionDenied
    if (
        changes.get("status") == Client.Status.ACTIVE
        and actor is not None
        and not actor.has_perm("clients.reactivate_client")
    ):
        raise PermissionDenied


@transaction.atomic
def clients_mass_update(
    *,
    actor,
    targets: QuerySet[Client] | Iterable[int],
    changes: dict[str, Any],
    extra: dict | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> MassUpdateResult:
    """Apply `changes` ({field: value or id}) and `extra` ({ExtraField id: value}) to every
    target client, all or nothing, with one history row per client that changes."""
    changes = normalise_changes(changes)
    _check_actor(actor, changes)
    if not changes and not extra:
        raise ValidationError({"__all__": ["Elija al menos un campo para actualizar."]})
    if not isinstance(targets, QuerySet):
        targets = Client.objects.filter(pk__in=list(targets))
    ids = list(targets.order_by("pk").values_list("pk", flat=True))
    if not ids:
        raise ValidationError({"__all__": ["No hay clientes seleccionados."]})
    check_client_write(actor, clients=targets, data=changes)
    scope = Client.objects.filter(pk__in=ids) if len(ids) <= CHUNK else targets
    cleaned_extra = validate_mass_update(scope, changes, extra)
    if len(ids) > CHUNK and "status" in changes:
        # Only a status change rewrites the clients' search rows (and their trigram entries).
        _defer_trigram_merge()

    labels = {name: str(Client._meta.get_field(name).verbose_name) for name in changes}
    display = _display_maps(changes)
    actor_id = actor.pk if getattr(actor, "pk", None) else None
    now = timezone.now()
    read = ["id", "name", *(_attname(f) for f in changes)]
    changed_total = 0
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        current = Client.objects.filter(pk__in=chunk).order_by("pk").select_for_update()
        per_client: dict[int, dict[str, list[str]]] = {}
        names: dict[int, str] = {}
        for row in current.values_list(*read):
            values = dict(zip(read, row, strict=True))
            names[values["id"]] = values["name"]
            diff = {}
            for name, new in changes.items():
                old = values[_attname(name)]
                if old != new:
                    diff[labels[name]] = [
                        display[name].get(old, str(old)),
                        display[name].get(new, str(new)),
                    ]
            if diff:
                per_client[values["id"]] = diff
        to_update = list(per_client)
        if changes and to_update:
            fields = {_attname(k): v for k, v in changes.items()}
            if changes.get("status") == Client.Status.INACTIVE:
                fields["deactivated_at"] = now
            elif changes.get("status") == Client.Status.ACTIVE:
                fields["deactivated_at"] = None
            Client.objects.filter(pk__in=to_update).update(**fields, updated_at=now)
        if cleaned_extra:
            _apply_extra(chunk, cleaned_extra, per_client, now)
        _insert_history(per_client, actor_id, now)
        if per_client:
            signals.clients_mass_updated.send(
                sender=Client,
                changes=per_client,
                deactivated=changes.get("status") == Client.Status.INACTIVE,
                actor=actor,
            )
        changed_total += len(per_client)
        if progress is not None:
            progress(min(start + CHUNK, len(ids)), len(ids))
    # One installation-wide entry for the whole operation; each client's history row holds
    # its own old -> new values.
    audit(
        actor=actor,
        action="client.mass_updated",
        object_type="clients.client",
        object_repr=f"{len(ids)} clientes",
        summary=f"Actualización masiva de {changed_total} de {len(ids)} clientes: "
        + ", ".join([*labels.values(), *(["campos extra"] if cleaned_extra else [])]),
        changes={
            label: ["", str(display[name].get(changes[name], changes[name]))]
            for name, label in labels.items()
        },
    )
    return MassUpdateResult(selected=len(ids), changed=changed_total)


TRIGRAM_INDEX = searchsync.TRIGRAM_INDEX


def _defer_trigram_merge() -> None:
    """On PostgreSQL a status change rewrites each client's search row (ClientSearch, kept by
    triggers), which adds its trigrams to the side table's GIN index again. Let them pile up in the index's pending list for this transaction and
    merge them right after the commit, outside the row locks, so that no later single-client
    save pays for the merge (migration 0103 creates the index)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL gin_pending_list_limit = '512MB'")
    transaction.on_commit(merge_trigram_pending)


def merge_trigram_pending() -> None:
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [TRIGRAM_INDEX])
        if cursor.fetchone()[0] is not None:
            cursor.execute("SELECT gin_clean_pending_list(%s::regclass)", [TRIGRAM_INDEX])


def _insert_history(per_client: dict[int, dict], actor_id, now) -> None:
    """One automatic history row per changed client (append-only ClientEvent rows)."""
    if not per_client:
        return
    summaries = {
        cid: "Actualización masiva: " + ", ".join(diff) for cid, diff in per_client.items()
    }
    if connection.vendor == "postgresql":
        # One statement per chunk from arrays: building 5000 model objects per chunk costs
        # more than the insert itself.
        ids = list(per_client)
        table = ClientEvent._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (client_id, created_at, actor_id, kind, action, "
                "entry_type, summary, changes, object_type, object_id) "
                "SELECT c, %s, %s, %s, 'client.mass_updated', '', s, j::jsonb, "
                "'clients.client', c::text "
                "FROM unnest(%s::bigint[], %s::text[], %s::text[]) AS t(c, s, j)",
                [
                    now,
                    actor_id,
                    EventKind.AUTO.value,
                    ids,
                    [summaries[c] for c in ids],
                    [json.dumps(per_client[c], ensure_ascii=False) for c in ids],
                ],
            )
        return
    ClientEvent.objects.bulk_create(
        [
            ClientEvent(
                client_id=cid,
                actor_id=actor_id,
                kind=EventKind.AUTO,
                action="client.mass_updated",
                summary=summaries[cid],
                changes=diff,
                object_type="clients.client",
                object_id=str(cid),
            )
            for cid, diff in per_client.items()
        ],
        batch_size=2000,
    )


def _apply_extra(chunk: list[int], cleaned: dict, per_client: dict, now) -> None:
    existing = {
        (v.client_id, v.field_id): v
        for v in ExtraFieldValue.objects.filter(
            client_id__in=chunk, field_id__in=[f.pk for f in cleaned]
        )
    }
    create, update = [], []
    for cid in chunk:
        for field, value in cleaned.items():
            row = existing.get((cid, field.pk))
            old = row.value if row is not None else ""
            if old == value:
                continue
            per_client.setdefault(cid, {})[field.name] = [old, value]
            if row is None:
                create.append(ExtraFieldValue(client_id=cid, field_id=field.pk, value=value))
            else:
                row.value = value
                row.updated_at = now
                update.append(row)
    ExtraFieldValue.objects.bulk_create(create, batch_size=2000)
    ExtraFieldValue.objects.bulk_update(update, ["value", "updated_at"], batch_size=2000)

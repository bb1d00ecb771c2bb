"""Writes of the network app: routers, IP pools and PPPoE accounts.

Passwords are encrypted before they reach a model and never logged. A change that the
router must receive bumps what is wanted (`PPPoEAccount.version`, `Router.sync_needed`) in
the transaction and queues the router's sync task on commit (network/sync.py).
"""

from __future__ import annotations

import ipaddress
import re
import secrets as pysecrets
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from ispgest.clients.history import record_event
from ispgest.clients.models import Client
from ispgest.contracts.models import Contract, ContractStatus
from ispgest.core import secrets
from ispgest.core.audit import audit
from ispgest.core.exceptions import DomainError
from ispgest.network import desired, routeros
from ispgest.network.models import CutoffRule, IPPool, PPPoEAccount, Router, SyncStatus
from ispgest.network.tasks import enqueue_sync

ROUTER_FIELDS = (
    "name",
    "host",
    "api_port",
    "username",
    "zone",
    "active",
    "notes",
    "use_ssl",
    "tls_fingerprint",
    "timeout_seconds",
    "routeros_version",
    "login_method",
)


def _apply(router: Router, data: dict[str, Any]) -> list[str]:
    changed = []
    for name in ROUTER_FIELDS:
        if name not in data:
            continue
        value = data[name]
        if isinstance(value, str):
            value = value.strip()
        attr = "zone_id" if name == "zone" and not hasattr(value, "_meta") else name
        if getattr(router, attr) != value:
            setattr(router, attr, value)
            changed.append(name)
    return changed


def _check(router: Router) -> None:
    router.tls_fingerprint = routeros.normalize_fingerprint(router.tls_fingerprint or "")
    if router.tls_fingerprint and not re.fullmatch(r"[0-9a-f]{64}", router.tls_fingerprint):
        raise DomainError(
            "La huella SHA-256 debe tener 64 cifras hexadecimales (se admiten los dos puntos).",
            field="tls_fingerprint",
        )
    router.full_clean(validate_constraints=False)
    if Router.objects.filter(name__iexact=router.name).exclude(pk=router.pk).exists():
        raise DomainError("Ya existe un router con ese nombre.", field="name")


@transaction.atomic
def router_create(*, actor, data: dict[str, Any], password: str = "") -> Router:
    router = Router()
    _apply(router, data)
    _check(router)
    router.password_encrypted = secrets.encrypt(password)
    router.save()
    audit(actor=actor, action="router.created", obj=router, summary=f"Router «{router.name}».")
    return router


@transaction.atomic
def router_update(
    *, actor, router: Router, data: dict[str, Any], password: str | None = None
) -> Router:
    """`password=None` keeps the stored one; "" clears it."""
    router = Router.objects.select_for_update().get(pk=router.pk)
    changed = _apply(router, data)
    _check(router)
    if password is not None:
        router.password_encrypted = secrets.encrypt(password)
        changed.append("password_encrypted")
    if changed:
        router.save(update_fields=[*changed, "updated_at"])
        audit(
            actor=actor,
            action="router.updated",
            obj=router,
            summary=f"Router «{router.name}»: {', '.join(sorted(set(changed)))}.",
        )
    return router


@transaction.atomic
def router_deactivate(*, actor, router: Router) -> Router:
    updated = Router.objects.filter(pk=router.pk, active=True).update(
        active=False, updated_at=timezone.now()
    )
    router.refresh_from_db()
    if updated:
        audit(
            actor=actor,
            action="router.deactivated",
            obj=router,
            summary=f"Router «{router.name}» desactivado.",
        )
    return router


def router_password(router: Router) -> str:
    """The plain API password, for the code that connects to the router."""
    return secrets.decrypt(router.password_encrypted)


def router_probe(*, actor, router: Router) -> dict:
    """ "Probar conexión": identity, version, uptime and the login method that worked, or a
    RouterOSError in Spanish. The version and the method are kept on the router."""
    info = routeros.probe(router)
    detected = {"detected_version": info["version"][:40]}
    if info["login_method"]:
        detected["detected_login_method"] = info["login_method"]
    Router.objects.filter(pk=router.pk).update(**detected)
    for name, value in detected.items():
        setattr(router, name, value)
    return info


# -- IP pools -------------------------------------------------------------------------------


def _pool_check(pool: IPPool) -> None:
    pool.name = (pool.name or "").strip()
    if not pool.name:
        raise DomainError("Indique el nombre del pool.", field="name")
    if not re.fullmatch(r"[\w.-]{1,60}", pool.name, flags=re.ASCII):
        raise DomainError(
            "El nombre del pool solo admite letras sin tildes, cifras, puntos, guiones y "
            "guiones bajos.",
            field="name",
        )
    try:
        network = ipaddress.IPv4Network((pool.network or "").strip(), strict=False)
    except ValueError:
        raise DomainError("La red debe ser IPv4 en notación CIDR (100.64.0.0/22).", field="network")
    pool.network = str(network)
    try:
        ranges = desired.parse_ranges(pool.ranges or "")
    except ValueError as exc:
        raise DomainError(str(exc), field="ranges") from None
    lo, hi = int(network.network_address), int(network.broadcast_address)
    for a, b in ranges:
        if a < lo or b > hi:
            raise DomainError(f"Los rangos deben estar dentro de la red {network}.", field="ranges")
    pool.ranges = desired.router_ranges(pool.ranges)
    others = IPPool.objects.filter(router_id=pool.router_id).exclude(pk=pool.pk)
    for other in others:
        if other.name.lower() == pool.name.lower():
            raise DomainError("Ya existe un pool con ese nombre en este equipo.", field="name")
        for a, b in ranges:
            for c, d in desired.parse_ranges(other.ranges):
                if a <= d and c <= b:
                    raise DomainError(
                        f"Los rangos se solapan con los del pool «{other.name}» ({other.ranges}).",
                        field="ranges",
                    )
        if pool.no_service and other.no_service:
            raise DomainError(
                f"El equipo ya tiene un pool sin conexión («{other.name}»).", field="no_service"
            )
    if pool.address_list and not pool.no_service:
        raise DomainError(
            "La lista de direcciones solo se usa en el pool sin conexión.", field="address_list"
        )


POOL_FIELDS = ("name", "network", "ranges", "no_service", "address_list")


def _mark_router(router_id: int) -> None:
    Router.objects.filter(pk=router_id).update(sync_needed=True, next_sync_at=None)
    enqueue_sync(router_id)


@transaction.atomic
def pool_create(*, actor, router: Router, data: dict[str, Any]) -> IPPool:
    Router.objects.select_for_update().get(pk=router.pk)  # one pool write per router at a time
    pool = IPPool(router=router, **{k: data[k] for k in POOL_FIELDS if k in data})
    _pool_check(pool)
    pool.save()
    audit(actor=actor, action="pool.created", obj=pool, summary=f"Pool «{pool.name}» en {router}.")
    _mark_router(router.pk)
    return pool


@transaction.atomic
def pool_update(*, actor, pool: IPPool, data: dict[str, Any]) -> IPPool:
    Router.objects.select_for_update().get(pk=pool.router_id)
    pool = IPPool.objects.get(pk=pool.pk)
    for k in POOL_FIELDS:
        if k in data:
            setattr(pool, k, data[k])
    _pool_check(pool)
    pool.save()
    audit(actor=actor, action="pool.updated", obj=pool, summary=f"Pool «{pool.name}».")
    _mark_router(pool.router_id)
    return pool


@transaction.atomic
def pool_delete(*, actor, pool: IPPool) -> None:
    Router.objects.select_for_update().get(pk=pool.router_id)
    if (
        pool.no_service
        and PPPoEAccount.objects.filter(router_id=pool.router_id, suspended=True).exists()
    ):
        raise DomainError(
            "Hay clientes en modo sin conexión que usan este pool.", field="no_service"
        )
    audit(actor=actor, action="pool.deleted", obj=pool, summary=f"Pool «{pool.name}» borrado.")
    pool.delete()
    _mark_router(pool.router_id)


SPEED_FIELDS = frozenset(
    {
        "download_kbps",
        "upload_kbps",
        "burst_download_kbps",
        "burst_upload_kbps",
        "burst_threshold_download_kbps",
        "burst_threshold_upload_kbps",
        "burst_time_seconds",
        "priority",
    }
)


def profiles_changed(*, plan=None, changed=()) -> None:
    """A plan was created or changed: every active router with pools gets its profiles.

    A change of speed kicks the sessions of the plan's secrets, so the new rate-limit applies
    at once; a new name moves the secrets to the profile of that name (the old managed profile
    is removed by the sync once no secret uses it)."""
    for router_id in (
        Router.objects.filter(active=True, pools__isnull=False)
        .distinct()
        .values_list("pk", flat=True)
    ):
        _mark_router(router_id)
    changed = set(changed or ())
    if plan is None or not (changed & (SPEED_FIELDS | {"name"})):
        return
    kick = bool(changed & SPEED_FIELDS)
    accounts = PPPoEAccount.objects.filter(contract__plan=plan, removed=False)
    updates = {"version": F("version") + 1, "sync_status": SyncStatus.PENDING}
    if kick:
        updates["kick_pending"] = True
    accounts.update(**updates, updated_at=timezone.now())
    for router_id in set(accounts.values_list("router_id", flat=True)):
        enqueue_sync(router_id)


# -- PPPoE accounts -------------------------------------------------------------------------

USERNAME_RE = re.compile(r"[A-Za-z0-9._@+-]{1,64}")


def generate_password() -> str:
    alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(pysecrets.choice(alphabet) for _ in range(12))


def _check_static_ip(router: Router, ip: str | None, account_pk: int | None) -> str | None:
    if not ip:
        return None
    try:
        addr = ipaddress.IPv4Address(str(ip).strip())
    except ValueError:
        raise DomainError("La IP estática no es una dirección IPv4 válida.", field="static_ip")
    pools = list(IPPool.objects.filter(router=router))
    service_nets = [ipaddress.IPv4Network(p.network) for p in pools if not p.no_service]
    if not any(addr in net for net in service_nets):
        nets = ", ".join(str(n) for n in service_nets) or "ninguna"
        raise DomainError(
            f"La IP estática debe estar dentro de la red de servicio del equipo ({nets}).",
            field="static_ip",
        )
    for p in pools:
        for a, b in desired.parse_ranges(p.ranges):
            if a <= int(addr) <= b:
                raise DomainError(
                    f"La IP estática está dentro del rango dinámico del pool «{p.name}».",
                    field="static_ip",
                )
    if addr in (net.network_address for net in service_nets) or addr in (
        net.broadcast_address for net in service_nets
    ):
        raise DomainError(
            "La IP estática no puede ser la dirección de red ni la de difusión.", field="static_ip"
        )
    clash = (
        PPPoEAccount.objects.filter(router=router, static_ip=str(addr))
        .exclude(pk=account_pk)
        .select_related("client")
        .first()
    )
    if clash:
        raise DomainError(
            f"La IP estática {addr} ya la usa el secret «{clash.username}».", field="static_ip"
        )
    return str(addr)


def _history(account: PPPoEAccount, *, actor, action: str, summary: str, changes=None) -> None:
    record_event(
        client=account.client,
        actor=actor,
        action=action,
        summary=summary,
        changes=changes,
        obj=account,
    )  # record_event writes the audit entry too


def _bump(account: PPPoEAccount, *, fields: list[str], kick: bool = False) -> None:
    account.version = F("version") + 1
    account.sync_status = SyncStatus.PENDING
    updates = [*fields, "version", "sync_status", "updated_at"]
    if kick:
        account.kick_pending = True
        updates.append("kick_pending")
    account.save(update_fields=updates)
    account.refresh_from_db(fields=["version"])
    enqueue_sync(account.router_id)


@transaction.atomic
def pppoe_save(*, actor, contract: Contract, data: dict[str, Any]) -> PPPoEAccount:
    """ "Guardar Secret": create or update the contract's PPPoE account.

    `data`: router, username, password ("" generates one on creation and keeps the stored one
    on update), static_ip, and optionally version (the one the form was read at: a save
    over a newer one is refused, so two staff saving at once never overwrite each other
    silently)."""
    contract = (
        Contract.objects.select_for_update().select_related("client", "plan").get(pk=contract.pk)
    )
    account = PPPoEAccount.objects.filter(contract=contract).first()
    if contract.status == ContractStatus.CANCELLED:
        raise DomainError("El contrato está dado de baja: no puede tener secret.", field="router")
    router = data.get("router") or (account.router if account else None)
    if isinstance(router, int):
        router = Router.objects.filter(pk=router).first()
    if router is None:
        raise DomainError("Seleccione el equipo Mikrotik.", field="router")
    if not router.active:
        raise DomainError("El equipo Mikrotik está desactivado.", field="router")
    if not IPPool.objects.filter(router=router, no_service=False).exists():
        raise DomainError(
            "El equipo Mikrotik no tiene ninguna Pool de IPs de servicio: créela antes.",
            field="router",
        )
    if (
        account
        and data.get("version") not in (None, "")
        and int(data["version"]) != account.version
    ):
        raise DomainError(
            "Otra persona guardó este secret mientras lo editaba: recargue la página y "
            "vuelva a intentarlo.",
        )
    if account and account.router_id != router.pk and account.applied_version:
        raise DomainError(
            "Para cambiar de equipo Mikrotik, elimine antes el secret del equipo actual.",
            field="router",
        )
    username = str(data.get("username") or (account.username if account else "")).strip()
    if not USERNAME_RE.fullmatch(username):
        raise DomainError(
            "El usuario PPPoe es obligatorio (hasta 64 letras sin tildes, cifras o . _ @ + -).",
            field="username",
        )
    clash = PPPoEAccount.objects.filter(router=router, username__iexact=username)
    if account:
        clash = clash.exclude(pk=account.pk)
    if clash.exists():
        raise DomainError("Ese usuario PPPoe ya existe en este equipo.", field="username")
    password = str(data.get("password") or "")
    if password and (len(password) > 64 or not password.isprintable() or not password.isascii()):
        raise DomainError(
            "La contraseña admite hasta 64 caracteres ASCII imprimibles.", field="password"
        )
    static_ip = _check_static_ip(router, data.get("static_ip"), account.pk if account else None)
    try:
        with transaction.atomic():
            if account is None:
                account = PPPoEAccount.objects.create(
                    contract=contract,
                    client=contract.client,
                    router=router,
                    username=username,
                    password_encrypted=secrets.encrypt(password or generate_password()),
                    static_ip=static_ip,
                    suspended=contract.status == ContractStatus.SUSPENDED,
                )
                enqueue_sync(router.pk)
                _history(
                    account,
                    actor=actor,
                    action="pppoe.created",
                    summary=f"Secret PPPoE «{username}» creado en {router}"
                    + (f" con IP estática {static_ip}." if static_ip else "."),
                )
                return account
            changes = {}
            if account.username != username:
                changes["Usuario PPPoe"] = [account.username, username]
            if (account.static_ip or "") != (static_ip or ""):
                changes["IP Estática"] = [account.static_ip or "", static_ip or ""]
            if account.router_id != router.pk:
                changes["Equipo Mikrotik"] = [str(account.router), str(router)]
            if password:
                changes["Contraseña de acceso"] = ["•••", "•••"]
            account.username, account.static_ip, account.router = username, static_ip, router
            if password:
                account.password_encrypted = secrets.encrypt(password)
            _bump(
                account,
                fields=["username", "static_ip", "router", "password_encrypted"],
            )
    except IntegrityError:
        raise DomainError(
            "Otra persona guardó a la vez un secret con ese usuario o esa IP: recargue.",
            field="username",
        ) from None
    _history(
        account,
        actor=actor,
        action="pppoe.updated",
        summary=f"Secret PPPoE «{username}» guardado.",
        changes=changes,
    )
    return account


def _locked(account: PPPoEAccount) -> PPPoEAccount:
    return (
        PPPoEAccount.objects.select_for_update()
        .select_related("client", "router")
        .get(pk=account.pk)
    )


@transaction.atomic
def pppoe_suspend(*, actor, account: PPPoEAccount, reason: str = "") -> PPPoEAccount:
    """ "Pasa a modo sin conexión": the no-service profile and pool; a static IP is kept in
    the database and left off the router until the account is restored."""
    account = _locked(account)
    if not IPPool.objects.filter(router_id=account.router_id, no_service=True).exists():
        raise DomainError("El equipo no tiene una Pool de IPs sin conexión.", field="suspended")
    if account.suspended:
        return account
    account.suspended = True
    _bump(account, fields=["suspended"], kick=True)
    _history(
        account,
        actor=actor,
        action="pppoe.suspended",
        summary=f"Secret «{account.username}» pasa a modo sin conexión."
        + (f" {reason}" if reason else ""),
        changes={"Modo sin conexión": ["no", "sí"]},
    )
    return account


@transaction.atomic
def pppoe_restore(*, actor, account: PPPoEAccount, reason: str = "") -> PPPoEAccount:
    account = _locked(account)
    if not account.suspended:
        return account
    account.suspended = False
    _bump(account, fields=["suspended"], kick=True)
    _history(
        account,
        actor=actor,
        action="pppoe.restored",
        summary=f"Secret «{account.username}» vuelve al modo con conexión."
        + (f" {reason}" if reason else ""),
        changes={"Modo sin conexión": ["sí", "no"]},
    )
    return account


@transaction.atomic
def pppoe_delete(*, actor, account: PPPoEAccount) -> PPPoEAccount:
    """ "Eliminar secret": removed from the router by the sync, then from the database."""
    account = _locked(account)
    if account.removed:
        return account
    account.removed = True
    _bump(account, fields=["removed"], kick=True)
    _history(
        account,
        actor=actor,
        action="pppoe.deleted",
        summary=f"Secret «{account.username}» eliminado del equipo {account.router}.",
    )
    return account


@transaction.atomic
def pppoe_adopt(*, actor, account: PPPoEAccount) -> PPPoEAccount:
    """Confirm that ispgest takes over a secret of the same name made by hand."""
    account = _locked(account)
    account.adopt = True
    _bump(account, fields=["adopt"])
    _history(
        account,
        actor=actor,
        action="pppoe.adopted",
        summary=f"Se confirma que ispgest gestione el secret «{account.username}» del router.",
    )
    return account


@transaction.atomic
def pppoe_retry(*, actor, account: PPPoEAccount) -> PPPoEAccount:
    account = _locked(account)
    Router.objects.filter(pk=account.router_id).update(next_sync_at=None)
    _bump(account, fields=[])
    return account


@transaction.atomic
def pppoe_plan_changed(*, actor, contract: Contract) -> None:
    account = PPPoEAccount.objects.filter(contract=contract).select_related("client").first()
    if account is None:
        return
    account = _locked(account)
    _bump(account, fields=[], kick=True)
    _history(
        account,
        actor=actor,
        action="pppoe.profile_changed",
        summary=f"Secret «{account.username}»: perfil {desired.profile_name(contract.plan)}; "
        "se reinicia la sesión para aplicar la nueva velocidad.",
    )


def pppoe_status(account: PPPoEAccount) -> dict:
    """ "CMI activo" / "CMI NO activo": the active session, read from the router now."""
    with routeros.session(account.router) as client:
        rows = client.print(
            "/ppp/active",
            proplist=(".id", "name", "address", "uptime", "caller-id"),
            name=account.username,
        )
    if not rows:
        return {"connected": False}
    row = rows[0]
    return {
        "connected": True,
        "address": str(row.get("address", "")),
        "uptime": str(row.get("uptime", "")),
        "caller_id": str(row.get("caller-id", "")),
    }


def pppoe_ping(*, actor, account: PPPoEAccount) -> dict:
    """ "Ping" from the router to the client's address (the session's, else the static IP)."""
    with routeros.session(account.router) as client:
        active = client.print("/ppp/active", proplist=("address",), name=account.username)
        address = str(active[0].get("address", "")) if active else (account.static_ip or "")
        if not address:
            raise routeros.RouterOSError(
                "El cliente no está conectado y no tiene IP estática: no hay a quién hacer ping.",
                "config",
            )
        result = client.ping(address)
    with transaction.atomic():
        _history(
            account,
            actor=actor,
            action="pppoe.ping",
            summary=f"Ping a {address}: {result['received']}/{result['sent']} recibidos"
            + (f", media {result['avg']}." if result["avg"] else "."),
        )
    return result


def pppoe_kick(*, actor, account: PPPoEAccount) -> int:
    """ "Reiniciar sesión": the active session is removed so the client dials again."""
    with routeros.session(account.router) as client:
        rows = client.print("/ppp/active", proplist=(".id",), name=account.username)
        for row in rows:
            client.remove("/ppp/active", str(row[".id"]))
    with transaction.atomic():
        _history(
            account,
            actor=actor,
            action="pppoe.kicked",
            summary=f"Sesión de «{account.username}» reiniciada"
            + ("." if rows else " (no estaba conectado)."),
        )
    return len(rows)


def pppoe_password(account: PPPoEAccount) -> str:
    return secrets.decrypt(account.password_encrypted)


# -- non-payment cut-off rules ("Corte por impago") -------------------------------------------

CUTOFF_FIELDS = ("name", "billing_entity", "zone", "grace_days", "active")


def _parse_exempt(value) -> list[int]:
    """Client numbers as a list or as text separated by commas or spaces."""
    if value in (None, ""):
        return []
    items = value if isinstance(value, list | tuple) else re.split(r"[\s,;]+", str(value))
    out = []
    for item in items:
        text = str(getattr(item, "pk", item)).strip()
        if not text:
            continue
        if not text.isdigit():
            raise DomainError(
                f"Clientes exentos: «{text}» no es un número de cliente.", field="exempt_clients"
            )
        out.append(int(text))
    return sorted(set(out))


def _cutoff_check(rule, exempt: list[int]) -> None:
    rule.name = (rule.name or "").strip()
    if not rule.name:
        raise DomainError("Indique el nombre de la regla.", field="name")
    if len(rule.name) > 120:
        raise DomainError("El nombre admite hasta 120 caracteres.", field="name")
    if not rule.billing_entity_id and not rule.zone_id:
        raise DomainError(
            "Indique la entidad de facturación o la zona a la que se aplica la regla.",
            field="billing_entity",
        )
    from ispgest.catalog.models import BillingEntity, Zone

    if (
        rule.billing_entity_id
        and not BillingEntity.objects.filter(pk=rule.billing_entity_id).exists()
    ):
        raise DomainError("La entidad de facturación no existe.", field="billing_entity")
    if rule.zone_id and not Zone.objects.filter(pk=rule.zone_id).exists():
        raise DomainError("La zona no existe.", field="zone")
    try:
        days = int(rule.grace_days)
    except (TypeError, ValueError):
        raise DomainError("Los días de gracia deben ser un número.", field="grace_days") from None
    if not 0 <= days <= 365:
        raise DomainError("Los días de gracia deben estar entre 0 y 365.", field="grace_days")
    rule.grace_days = days
    found = set(Client.objects.filter(pk__in=exempt).values_list("pk", flat=True))
    missing = [str(pk) for pk in exempt if pk not in found]
    if missing:
        raise DomainError(
            f"Clientes exentos: no existen los clientes {', '.join(missing)}.",
            field="exempt_clients",
        )


def _cutoff_apply(rule, data: dict[str, Any]) -> None:
    for name in CUTOFF_FIELDS:
        if name not in data:
            continue
        value = data[name]
        if name in ("billing_entity", "zone"):
            attr = f"{name}_id"
            value = getattr(value, "pk", value) or None
            setattr(rule, attr, value)
        else:
            setattr(rule, name, value)


def _cutoff_summary(rule, exempt: list[int]) -> str:
    scope = " / ".join(str(x) for x in (rule.billing_entity, rule.zone) if x)
    return (
        f"Regla de corte «{rule.name}» ({scope}): {rule.grace_days} días de gracia, "
        f"{len(exempt)} clientes exentos{'' if rule.active else ', inactiva'}."
    )


@transaction.atomic
def cutoff_rule_create(*, actor, data: dict[str, Any]):
    rule = CutoffRule()
    _cutoff_apply(rule, data)
    exempt = _parse_exempt(data.get("exempt_clients"))
    _cutoff_check(rule, exempt)
    rule.save()
    rule.exempt_clients.set(exempt)
    audit(
        actor=actor, action="cutoff_rule.created", obj=rule, summary=_cutoff_summary(rule, exempt)
    )
    return rule


@transaction.atomic
def cutoff_rule_update(*, actor, rule, data: dict[str, Any]):
    rule = CutoffRule.objects.select_for_update().get(pk=rule.pk)
    _cutoff_apply(rule, data)
    if "exempt_clients" in data:
        exempt = _parse_exempt(data.get("exempt_clients"))
    else:
        exempt = list(rule.exempt_clients.values_list("pk", flat=True))
    _cutoff_check(rule, exempt)
    rule.save()
    rule.exempt_clients.set(exempt)
    audit(
        actor=actor, action="cutoff_rule.updated", obj=rule, summary=_cutoff_summary(rule, exempt)
    )
    return rule


@transaction.atomic
def cutoff_rule_deactivate(*, actor, rule):
    updated = CutoffRule.objects.filter(pk=rule.pk, active=True).update(
        active=False, updated_at=timezone.now()
    )
    rule.refresh_from_db()
    if updated:
        audit(
            actor=actor,
            action="cutoff_rule.deactivated",
            obj=rule,
            summary=f"Regla de corte «{rule.name}» desactivada.",
        )
    return rule

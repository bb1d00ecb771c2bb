"""Converging a router with the database.

`sync_router(router_id)` is what the per-router task runs. It claims the router with a
conditional UPDATE (a lease), so two workers never push to one router at once and changes
reach it in order; it pushes the pools and profiles when they changed, then every account
whose wanted version is ahead of the applied one. Each push looks the item up by name on
the router first, so a rerun after a dropped connection adds nothing twice: an add whose
answer was lost is found and set. A router that cannot be reached keeps its accounts
pending, records the error and is retried with backoff (`next_sync_at`, picked up by the
`network.sync_due` job). A secret that exists on the router without ispgest's marker is a
conflict, left alone until someone confirms the takeover (`adopt`).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db.models import F, Q
from django.utils import timezone

from ispgest.contracts.models import Plan
from ispgest.core import bulk, secrets
from ispgest.network import desired, routeros
from ispgest.network.models import IPPool, PPPoEAccount, Router, SyncStatus

log = logging.getLogger(__name__)

BACKOFF = [15, 60, 300, 900, 1800]  # seconds before retry N; the last repeats
LEASE = timedelta(minutes=10)
# Above this many pending accounts the secrets are read in one print instead of one by one.
BULK_THRESHOLD = 20
PIPELINE_CHUNK = 500


def _claim(router_id: int) -> bool:
    now = timezone.now()
    return bool(
        Router.objects.filter(pk=router_id)
        .filter(Q(sync_lease_until__isnull=True) | Q(sync_lease_until__lt=now))
        .update(sync_lease_until=now + LEASE)
    )


def _release(router_id: int) -> None:
    Router.objects.filter(pk=router_id).update(sync_lease_until=None)


def pending_accounts(router_id: int):
    return (
        PPPoEAccount.objects.filter(router_id=router_id, applied_version__lt=F("version"))
        .select_related("contract__plan")
        .order_by("id")
    )


def has_work(router_id: int) -> bool:
    return (
        Router.objects.filter(pk=router_id, sync_needed=True).exists()
        or pending_accounts(router_id).exists()
    )


def sync_router(router_id: int) -> str:
    """Push what is pending to one router. Returns "done", "busy", "failed" or "idle"."""
    if not _claim(router_id):
        return "busy"
    try:
        router = Router.objects.get(pk=router_id)
        if not router.active:
            return "idle"
        outcome = "idle"
        # Changes saved while a pass runs are taken by the next pass.
        for _pass in range(50):
            if not has_work(router_id):
                break
            outcome = _one_pass(router)
            if outcome == "failed":
                break
        return outcome
    finally:
        _release(router_id)


def _one_pass(router: Router) -> str:
    router.refresh_from_db()
    try:
        with routeros.session(router) as client:
            profiles = router.sync_needed
            if profiles:
                Router.objects.filter(pk=router.pk).update(sync_needed=False)
                push_pools_and_profiles(router, client)
            push_accounts(router, client, list(pending_accounts(router.pk)))
            if profiles:
                prune_profiles(router, client)
    except routeros.RouterOSError as exc:
        _router_failed(router, exc)
        return "failed"
    Router.objects.filter(pk=router.pk).update(
        sync_attempts=0, next_sync_at=None, last_sync_at=timezone.now(), last_sync_error=""
    )
    return "done"


def _router_failed(router: Router, exc: routeros.RouterOSError) -> None:
    attempts = router.sync_attempts + 1
    delay = BACKOFF[min(attempts, len(BACKOFF)) - 1]
    Router.objects.filter(pk=router.pk).update(
        sync_needed=True if router.sync_needed else F("sync_needed"),
        sync_attempts=attempts,
        next_sync_at=timezone.now() + timedelta(seconds=delay),
        last_sync_error=exc.message,
    )
    PPPoEAccount.objects.filter(router=router, applied_version__lt=F("version")).exclude(
        sync_status=SyncStatus.CONFLICT
    ).update(sync_status=SyncStatus.PENDING, last_error=exc.message)
    log.warning("router %s: sync failed (%s), retry in %ss", router.pk, exc.kind, delay)


def _sync_menu(client: routeros.Client, menu: str, wanted: dict[str, dict]) -> None:
    """Add or set each wanted row by name (rows made by hand with that name are kept)."""
    have = {str(r.get("name")): r for r in client.print(menu)}
    for name, row in wanted.items():
        current = have.get(name)
        if current is None:
            client.add(menu, **row)
        elif desired.differences(row, current, fields=tuple(row)):
            client.set(menu, str(current[".id"]), **row)


def push_pools_and_profiles(router: Router, client: routeros.Client) -> None:
    pools = list(IPPool.objects.filter(router=router).order_by("name"))
    plans = list(Plan.objects.filter(active=True).order_by("id"))
    _sync_menu(client, "/ip/pool", desired.desired_pools(router, pools))
    _sync_menu(client, "/ppp/profile", desired.desired_profiles(router, pools, plans))


def prune_profiles(router: Router, client: routeros.Client) -> list[str]:
    """Remove the managed plan profiles no plan wants any more (a plan renamed or
    deactivated), once no secret on the router uses them. Profiles without the marker are
    never touched."""
    pools = list(IPPool.objects.filter(router=router).order_by("name"))
    plans = list(Plan.objects.filter(active=True).order_by("id"))
    wanted = desired.desired_profiles(router, pools, plans)
    removed = []
    for row in client.print("/ppp/profile"):
        name = str(row.get("name", ""))
        if name in wanted or not str(row.get("comment", "")).startswith(desired.MARKER + "plan:"):
            continue
        if client.print("/ppp/secret", proplist=(".id",), profile=name):
            continue  # still used: removed by a later sync
        client.remove("/ppp/profile", str(row[".id"]))
        removed.append(name)
    return removed


def _fetch(client: routeros.Client, names: list[str]) -> dict[str, dict]:
    if len(names) > BULK_THRESHOLD:
        rows = client.print("/ppp/secret")
        wanted = set(names)
        return {str(r["name"]): r for r in rows if str(r.get("name")) in wanted}
    out = {}
    for name in names:
        rows = client.print("/ppp/secret", name=name)
        if rows:
            out[name] = rows[0]
    return out


def push_accounts(router: Router, client: routeros.Client, accounts: list[PPPoEAccount]) -> None:
    if not accounts:
        return
    names = {a.username for a in accounts} | {
        str(a.applied["name"]) for a in accounts if a.applied.get("name")
    }
    remote = _fetch(client, sorted(names))
    plan_cmds: list[tuple[PPPoEAccount, str, tuple[str, dict], dict]] = []
    for acc in accounts:
        have = remote.get(str(acc.applied.get("name") or acc.username)) or remote.get(acc.username)
        acc.remote_id = str(have[".id"]) if have else ""
        if acc.removed:
            if have is None:
                plan_cmds.append((acc, "gone", ("", {}), {}))
            elif desired.is_managed(have) or acc.adopt:
                plan_cmds.append((acc, "remove", ("/ppp/secret/remove", {".id": have[".id"]}), {}))
            else:
                plan_cmds.append((acc, "gone", ("", {}), {}))  # never remove a hand-made one
            continue
        want = desired.desired_secret(
            acc, secrets.decrypt(acc.password_encrypted), acc.contract.plan
        )
        if have is None:
            plan_cmds.append((acc, "add", ("/ppp/secret/add", want), want))
        elif not desired.is_managed(have) and not acc.adopt:
            plan_cmds.append((acc, "conflict", ("", {}), want))
        elif desired.differences(want, have) or have.get("comment") != want["comment"]:
            plan_cmds.append((acc, "set", ("/ppp/secret/set", {".id": have[".id"], **want}), want))
        else:
            plan_cmds.append((acc, "same", ("", {}), want))
    # one round trip per chunk instead of one per command
    to_send = [entry for entry in plan_cmds if entry[2][0]]
    _record([(entry, ("!done", {})) for entry in plan_cmds if not entry[2][0]])
    for start in range(0, len(to_send), PIPELINE_CHUNK):
        chunk = to_send[start : start + PIPELINE_CHUNK]
        replies = client.pipeline([entry[2] for entry in chunk])
        _record(list(zip(chunk, replies, strict=True)))
    _kick(client, [entry[0] for entry in plan_cmds if entry[0].kick_pending])


def _record(outcomes) -> None:
    """Store the outcome of each account's command (or of its no-op).

    An outcome is stored only if the account is still at the version that was pushed: a
    change saved meanwhile keeps it pending for the next pass. The applied outcomes, nearly
    all of them, are written together: one UPDATE per chunk, matching each row by id and
    pushed version."""
    now = timezone.now()
    applied_rows: list[PPPoEAccount] = []
    for (acc, kind, _cmd, want), (reply, attrs) in outcomes:
        base = PPPoEAccount.objects.filter(pk=acc.pk, version=acc.version)
        if reply == "!trap":
            base.update(sync_status=SyncStatus.FAILED, last_error=_trap(attrs))
            continue
        if kind == "conflict":
            base.update(
                sync_status=SyncStatus.CONFLICT,
                last_error=(
                    f"En el router ya existe un secret «{acc.username}» creado a mano (sin la "
                    "marca de ispgest). Confirme que ispgest lo adopte para sobrescribirlo."
                ),
            )
            continue
        if kind in ("remove", "gone"):
            base.delete()
            continue
        ref = attrs.get("ret") if kind == "add" else acc.remote_id
        applied = {k: v for k, v in want.items() if k != "password"}
        applied["password_digest"] = secrets.digest(want.get("password", ""))
        applied_rows.append(
            PPPoEAccount(
                pk=acc.pk,
                version=acc.version,
                applied_version=acc.version,
                applied=applied,
                router_ref=ref or acc.router_ref,
            )
        )
    for start in range(0, len(applied_rows), PIPELINE_CHUNK):
        _record_applied(applied_rows[start : start + PIPELINE_CHUNK], now)


def _record_applied(rows: list[PPPoEAccount], now) -> None:
    bulk.update_rows(
        PPPoEAccount,
        match=("id", "version"),
        values=("applied_version", "applied", "router_ref"),
        rows=[(r.pk, r.version, r.applied_version, r.applied, r.router_ref) for r in rows],
        common={
            "applied_at": now,
            "sync_status": SyncStatus.APPLIED,
            "last_error": "",
            "adopt": False,
        },
    )


def _trap(attrs: dict) -> str:
    return f"El router rechazó la orden: {attrs.get('message', 'error')}."


def _kick(client: routeros.Client, accounts: list[PPPoEAccount]) -> None:
    for acc in accounts:
        for row in client.print("/ppp/active", name=acc.username):
            client.remove("/ppp/active", str(row[".id"]))
        PPPoEAccount.objects.filter(pk=acc.pk).update(kick_pending=False)


def due_routers():
    now = timezone.now()
    pending = PPPoEAccount.objects.filter(applied_version__lt=F("version")).values("router_id")
    return (
        Router.objects.filter(active=True)
        .filter(Q(sync_needed=True) | Q(pk__in=pending))
        .filter(Q(next_sync_at__isnull=True) | Q(next_sync_at__lte=now))
        .values_list("pk", flat=True)
    )

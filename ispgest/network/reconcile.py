"""Reconciliation: a router's secrets against the database.

`compare(router)` reads every /ppp/secret of the router in one print and classifies:

- missing: an account the database holds that the router lacks;
- unknown: a secret on the router no account names (hand-made, or left by a lost remove);
- different: both exist but profile, password, remote address, disabled or service differ.

"Aplicar" (`apply_rows`) pushes the database's truth for the chosen rows: missing and
different accounts are marked for the sync; unknown secrets carrying ispgest's marker are
removed, hand-made ones never (they can only be imported). "Importar" (`import_secret`)
adopts an unknown secret into a contract. `drift_check_task` runs `compare` for every
active router and stores the counts (`DriftCheck`) for the router page and the dashboard.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import F

from ispgest.core import secrets
from ispgest.network import desired, routeros
from ispgest.network.models import DriftCheck, PPPoEAccount, Router, SyncStatus
from ispgest.network.tasks import enqueue_sync


@dataclass
class Row:
    kind: str  # missing | unknown | different
    name: str
    account: PPPoEAccount | None = None
    remote: dict = field(default_factory=dict)
    diffs: dict = field(default_factory=dict)  # field -> (router, database)

    @property
    def managed(self) -> bool:
        return desired.is_managed(self.remote)


@dataclass
class Report:
    router: Router
    rows: list[Row]
    total_router: int = 0
    total_db: int = 0

    def count(self, kind: str) -> int:
        return sum(r.kind == kind for r in self.rows)

    @property
    def counts(self) -> dict[str, int]:
        return {k: self.count(k) for k in ("missing", "unknown", "different")}

    @property
    def applicable(self) -> bool:
        """Some row "Aplicar" may act on (a hand-made secret can only be imported)."""
        return any(r.kind != "unknown" or r.managed for r in self.rows)


def compare(router: Router) -> Report:
    with routeros.session(router) as client:
        remote_rows = client.print("/ppp/secret")
    remote = {str(r.get("name")): r for r in remote_rows}
    accounts = list(
        PPPoEAccount.objects.filter(router=router, removed=False)
        .select_related("contract__plan", "client")
        .order_by("username")
    )
    rows: list[Row] = []
    names = set()
    for acc in accounts:
        names.add(acc.username)
        have = remote.get(acc.username)
        if have is None:
            rows.append(Row("missing", acc.username, account=acc))
            continue
        want = desired.desired_secret(
            acc, secrets.decrypt(acc.password_encrypted), acc.contract.plan
        )
        diffs = desired.differences(want, have)
        if "password" in diffs:
            diffs["password"] = ("•••", "•••")
        if diffs:
            rows.append(Row("different", acc.username, account=acc, remote=have, diffs=diffs))
    for name, have in remote.items():
        if name not in names:
            rows.append(Row("unknown", name, remote=have))
    rows.sort(key=lambda r: (r.kind, r.name))
    return Report(router=router, rows=rows, total_router=len(remote), total_db=len(accounts))


@transaction.atomic
def apply_rows(*, actor, router: Router, names: list[str], report: Report) -> int:
    """Push the database's truth for the chosen rows. Returns how many were acted on."""
    chosen = {r.name: r for r in report.rows if r.name in set(names)}
    account_ids = [r.account.pk for r in chosen.values() if r.account is not None]
    PPPoEAccount.objects.filter(pk__in=account_ids).update(
        version=F("version") + 1, sync_status=SyncStatus.PENDING, adopt=True
    )
    stale = [str(r.remote[".id"]) for r in chosen.values() if r.kind == "unknown" and r.managed]
    if stale:
        with routeros.session(router) as client:
            client.remove("/ppp/secret", *stale)
    from ispgest.core.audit import audit

    audit(
        actor=actor,
        action="network.reconcile_applied",
        obj=router,
        summary=f"Conciliación de {router}: {len(account_ids)} secrets reenviados, "
        f"{len(stale)} secrets sin contrato eliminados del router.",
    )
    enqueue_sync(router.pk)
    return len(account_ids) + len(stale)


def import_secret(*, actor, router: Router, row: Row, contract) -> PPPoEAccount:
    """Adopt an unknown router secret into `contract` (its password and static IP kept)."""
    from ispgest.network import services

    ip = str(row.remote.get("remote-address") or "") or None
    account = services.pppoe_save(
        actor=actor,
        contract=contract,
        data={
            "router": router,
            "username": row.name,
            "password": str(row.remote.get("password") or ""),
            "static_ip": ip,
        },
    )
    PPPoEAccount.objects.filter(pk=account.pk).update(adopt=True)
    return account


def record_drift(router: Router) -> DriftCheck:
    try:
        report = compare(router)
    except routeros.RouterOSError as exc:
        return DriftCheck.objects.create(router=router, error=exc.message)
    return DriftCheck.objects.create(router=router, **report.counts)

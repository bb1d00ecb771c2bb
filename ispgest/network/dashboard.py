"""The network card of "Inicio": secrets that differ from the routers (last drift check of
each active router) and secrets whose push failed."""

from __future__ import annotations

from django.db.models import OuterRef, Subquery
from django.urls import reverse
from django.utils.translation import gettext as _

from ispgest.core.dashboard import Card
from ispgest.network.models import DriftCheck, PPPoEAccount, Router, SyncStatus


def dashboard_cards(request) -> list[Card]:
    if not request.user.has_perm("network.view_pppoeaccount"):
        return []
    latest = DriftCheck.objects.filter(router=OuterRef("pk")).order_by("-checked_at", "-id")
    rows = (
        Router.objects.filter(active=True)
        .annotate(
            d_missing=Subquery(latest.values("missing")[:1]),
            d_unknown=Subquery(latest.values("unknown")[:1]),
            d_different=Subquery(latest.values("different")[:1]),
            d_error=Subquery(latest.values("error")[:1]),
        )
        .values("d_missing", "d_unknown", "d_different", "d_error")
    )
    drift = unreachable = 0
    for r in rows:
        drift += (r["d_missing"] or 0) + (r["d_unknown"] or 0) + (r["d_different"] or 0)
        unreachable += bool(r["d_error"])
    failed = PPPoEAccount.objects.filter(
        sync_status__in=[SyncStatus.FAILED, SyncStatus.CONFLICT]
    ).count()
    hint = _("%(failed)s con error al aplicar") % {"failed": failed}
    if unreachable:
        hint += " · " + _("%(n)s routers sin respuesta") % {"n": unreachable}
    return [
        Card(
            key="network.drift",
            title=_("Secrets PPPoE con diferencias"),
            value=str(drift),
            url=reverse("network:home"),
            hint=hint,
            section="work",
            order=60,
            level="warning" if drift or failed or unreachable else "",
        )
    ]

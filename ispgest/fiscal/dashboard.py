"""Dashboard cards: VERI*FACTU records waiting or rejected, per the issuers' queues."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from ispgest.core.dashboard import Card
from ispgest.fiscal.models import Issuer, Record, RecordStatus


def dashboard_cards(request) -> list[Card]:
    user = request.user
    if not (user.has_perm("fiscal.view_record") and user.has_perm("clients.view_all_clients")):
        return []
    issuers = list(Issuer.objects.only("pk", "environment", "last_error", "certificate"))
    if not issuers:
        return []
    pending = rejected = 0
    for issuer in issuers:
        mine = Record.objects.filter(issuer=issuer, environment=issuer.environment)
        pending += mine.filter(status=RecordStatus.PENDING).count()
        rejected += mine.filter(status=RecordStatus.REJECTED, corrections__isnull=True).count()
    trouble = any(i.last_error or not i.certificate for i in issuers)
    return [
        Card(
            key="fiscal.pending",
            title=_("Registros VERI*FACTU pendientes de envío"),
            value=str(pending),
            url=reverse("fiscal:home"),
            hint=_("Hay emisores con errores de envío o sin certificado") if trouble else "",
            section="system",
            level="warning" if trouble else "",
        ),
        Card(
            key="fiscal.rejected",
            title=_("Registros VERI*FACTU rechazados sin subsanar"),
            value=str(rejected),
            url=reverse("fiscal:home"),
            section="system",
            level="danger" if rejected else "",
        ),
    ]

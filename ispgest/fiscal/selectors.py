"""Reads of the fiscal pages (fixed query counts whatever the number of records)."""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Count

from ispgest.fiscal.models import Issuer, Record, RecordStatus, Submission


def issuers_with_counts() -> list[Issuer]:
    """Every issuer with `.counts` {status: n} of its current environment's records."""
    issuers = list(Issuer.objects.all())
    counts: dict[int, dict] = defaultdict(dict)
    for row in (
        Record.objects.values("issuer_id", "environment", "status")
        .annotate(n=Count("id"))
        .order_by()
    ):
        counts[(row["issuer_id"], row["environment"])][row["status"]] = row["n"]
    for issuer in issuers:
        found = counts.get((issuer.pk, issuer.environment), {})
        issuer.counts = {s: found.get(s, 0) for s in RecordStatus.values}
    return issuers


def issuer_records(issuer: Issuer, status: str | None = None):
    qs = Record.objects.filter(issuer=issuer).select_related("invoice", "submission")
    if status in RecordStatus.values:
        qs = qs.filter(status=status, environment=issuer.environment)
    return qs.order_by("-position")


def issuer_submissions(issuer: Issuer, limit: int = 20) -> list[Submission]:
    return list(Submission.objects.filter(issuer=issuer).defer("response_xml")[:limit])

"""Reads of the fiscal pages (fixed query counts whatever the number of records)."""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Count, F, Q

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


def issuers_annotated():
    """Issuers with pending / accepted / accepted_with_errors / rejected counts of their
    current environment's records, in one query."""
    same_env = Q(records__environment=F("environment"))
    return Issuer.objects.annotate(
        **{
            status: Count("records", filter=same_env & Q(records__status=status))
            for status in RecordStatus.values
        }
    )


def issuer_records(issuer: Issuer, status: str | None = None):
    qs = Record.objects.filter(issuer=issuer).select_related("invoice", "submission")
    if status in RecordStatus.values:
        qs = qs.filter(status=status, environment=issuer.environment)
    return qs.order_by("-position", "-id")


def issuer_submissions(issuer: Issuer, limit: int = 20) -> list[Submission]:
    return list(Submission.objects.filter(issuer=issuer).defer("response_xml")[:limit])

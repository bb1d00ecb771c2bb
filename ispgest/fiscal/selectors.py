"""Reads of the fiscal pages (fixed query counts whatever the number of records)."""

from __future__ import annotations

from ispgest.fiscal.models import Environment, Issuer, Record, RecordStatus, Submission

# The states a healthy queue keeps few records in: counted through the queue index. The
# accepted ones (nearly all) are the rest of the chain, so no page ever counts a million rows.
_FEW = (RecordStatus.PENDING, RecordStatus.ACCEPTED_WITH_ERRORS, RecordStatus.REJECTED)


def issuer_counts(issuer: Issuer) -> dict[str, int]:
    """{status: n} of the records of the issuer's current environment."""
    counts = {
        status: Record.objects.filter(
            issuer=issuer, status=status, environment=issuer.environment
        ).count()
        for status in _FEW
    }
    total = issuer.chain.length
    if issuer.environment == Environment.PRODUCTION and issuer.production_from:
        total -= issuer.production_from - 1
    counts[RecordStatus.ACCEPTED] = max(total - sum(counts.values()), 0)
    return {status: counts[status] for status in RecordStatus.values}


def issuers_with_counts() -> list[Issuer]:
    """Every issuer with `.counts` {status: n} (three index lookups per issuer)."""
    issuers = list(Issuer.objects.select_related("chain"))
    for issuer in issuers:
        issuer.counts = issuer_counts(issuer)
    return issuers


def issuer_records(issuer: Issuer, status: str | None = None):
    qs = Record.objects.filter(issuer=issuer).select_related("invoice", "submission")
    if status in RecordStatus.values:
        qs = qs.filter(status=status, environment=issuer.environment)
    return qs.order_by("-position", "-id")


def issuer_submissions(issuer: Issuer, limit: int = 20) -> list[Submission]:
    return list(Submission.objects.filter(issuer=issuer).defer("response_xml")[:limit])

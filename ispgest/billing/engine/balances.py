"""Clients' balances (unpaid count, unpaid total, wallet) moved by increments."""

from __future__ import annotations

from decimal import Decimal

from django.db import connection


def bump_balances(deltas: dict[int, tuple[int, Decimal, Decimal]]) -> None:
    """Add (unpaid count, unpaid total, wallet) deltas to clients' ClientBalance rows.

    Increments, not rewrites: two transactions touching one client both land (each UPDATE
    takes the row lock and reads the committed value).
    """
    from ispgest.billing.models import ClientBalance

    deltas = {k: v for k, v in deltas.items() if any(v)}
    if not deltas:
        return
    ids = sorted(deltas)
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            params = [
                ids,
                [deltas[c][0] for c in ids],
                [str(deltas[c][1]) for c in ids],
                [str(deltas[c][2]) for c in ids],
            ]
            if all(n >= 0 and t >= 0 and w >= 0 for n, t, w in deltas.values()):
                # The run's case (only additions): one UPSERT.
                cur.execute(
                    "INSERT INTO billing_clientbalance "
                    "(client_id, unpaid_count, unpaid_total, wallet_balance, updated_at) "
                    "SELECT cid, n, t, w, now() "
                    "FROM unnest(%s::bigint[], %s::int[], %s::numeric[], %s::numeric[]) "
                    "AS v(cid, n, t, w) ON CONFLICT (client_id) DO UPDATE SET "
                    "unpaid_count = billing_clientbalance.unpaid_count + EXCLUDED.unpaid_count, "
                    "unpaid_total = billing_clientbalance.unpaid_total + EXCLUDED.unpaid_total, "
                    "wallet_balance = billing_clientbalance.wallet_balance "
                    "+ EXCLUDED.wallet_balance, updated_at = now()",
                    params,
                )
                return
            # Two statements: a CHECK (count >= 0) would refuse a negative delta as the
            # proposed row of an INSERT ... ON CONFLICT, before the conflict is seen.
            cur.execute(
                "INSERT INTO billing_clientbalance "
                "(client_id, unpaid_count, unpaid_total, wallet_balance, updated_at) "
                "SELECT cid, 0, 0, 0, now() FROM unnest(%s::bigint[]) AS v(cid) "
                "ON CONFLICT (client_id) DO NOTHING",
                [ids],
            )
            cur.execute(
                "UPDATE billing_clientbalance b SET unpaid_count = b.unpaid_count + v.n, "
                "unpaid_total = b.unpaid_total + v.t, "
                "wallet_balance = b.wallet_balance + v.w, updated_at = now() "
                "FROM unnest(%s::bigint[], %s::int[], %s::numeric[], %s::numeric[]) "
                "AS v(cid, n, t, w) WHERE b.client_id = v.cid",
                params,
            )
            return
    ClientBalance.objects.bulk_create(
        [ClientBalance(client_id=cid) for cid in ids], ignore_conflicts=True, batch_size=500
    )
    with connection.cursor() as cur:
        cur.executemany(
            "UPDATE billing_clientbalance SET unpaid_count = unpaid_count + %s, "
            "unpaid_total = unpaid_total + %s, wallet_balance = wallet_balance + %s, "
            "updated_at = CURRENT_TIMESTAMP WHERE client_id = %s",
            [(n, str(t), str(w), cid) for cid, (n, t, w) in deltas.items()],
        )

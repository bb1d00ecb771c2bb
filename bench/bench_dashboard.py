"""Inicio (the staff dashboard): its p50/p95 beside a plain SQL aggregation of the same
figures over the base tables, as a ratio; plus the cost of the jobs that keep its summary
rows (refresh every 5 minutes, monthly rebuild nightly).

The page is measured through the view (`core.views.home`: every app's cards and charts,
SVG included, template rendered) for an administrator and for a Vendedor. The baseline is
what the page would cost without summary rows: the figures' SQL over clients, contracts,
plan assignments, balances, invoices and payments. Everything runs in one transaction that
is rolled back, so the database is left as found (summary rows included).
"""

from __future__ import annotations

import time

REPEAT = 30


class _Rollback(Exception):
    pass


def _baseline_sql(today, month_start, year_start):
    """The dashboard's figures straight from the base tables (what a DBA would write)."""
    ms = month_start.isoformat()
    return [
        (
            "SELECT count(*) FILTER (WHERE status = 'active'), "
            "count(*) FILTER (WHERE created_at >= %s), "
            "count(*) FILTER (WHERE status = 'inactive' AND deactivated_at >= %s) "
            "FROM clients_client",
            [ms, ms],
        ),
        (
            "SELECT count(DISTINCT k.client_id) FROM contracts_contract k JOIN clients_client c "
            "ON c.id = k.client_id WHERE k.status = 'suspended' AND c.status = 'active'",
            None,
        ),
        (
            "SELECT zone_id, count(*) FROM clients_client WHERE status = 'active' "
            "GROUP BY zone_id ORDER BY 2 DESC",
            None,
        ),
        (
            "SELECT sum(coalesce(pa.price, p.price)), count(*) FROM contracts_contract k "
            "JOIN contracts_plan p ON p.id = k.plan_id LEFT JOIN contracts_planassignment pa "
            "ON pa.contract_id = k.id AND pa.end_date IS NULL "
            "WHERE k.status = 'active' AND p.kind = 'monthly'",
            None,
        ),
        (
            "SELECT sum(unpaid_total), count(*) FILTER (WHERE unpaid_count > 0), "
            "sum(wallet_balance), count(*) FILTER (WHERE wallet_balance > 0) "
            "FROM billing_clientbalance",
            None,
        ),
        (
            "SELECT sum(total - paid_amount - credited_amount), count(DISTINCT client_id) "
            "FROM billing_invoice WHERE kind = 'invoice' "
            "AND status IN ('pending', 'partially_paid') AND due_date < %s",
            [today.isoformat()],
        ),
        (
            "SELECT date_trunc('month', issue_date), kind, sum(total), count(*) "
            "FROM billing_invoice WHERE kind IN ('invoice', 'credit_note') AND issue_date >= %s "
            "GROUP BY 1, 2",
            [year_start.isoformat()],
        ),
        (
            "SELECT date_trunc('month', date), sum(amount), count(*) FROM billing_payment "
            "WHERE date >= %s GROUP BY 1",
            [year_start.isoformat()],
        ),
    ]


def run(ctx):
    from django.contrib.auth.models import Group
    from django.contrib.sessions.backends.db import SessionStore
    from django.db import connection, transaction
    from django.test import RequestFactory
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from ispgest.accounts.models import User
    from ispgest.accounts.roles import SELLER
    from ispgest.billing.engine import add_months
    from ispgest.billing.stats import rebuild_monthly_money, refresh_money_tallies
    from ispgest.catalog.models import Seller
    from ispgest.clients.stats import refresh_client_tallies
    from ispgest.core.views import home

    today = timezone.localdate()
    month_start = today.replace(day=1)
    year_start = add_months(month_start, -11)
    factory = RequestFactory()

    def page(user):
        request = factory.get("/")
        request.user = user
        request.session = SessionStore()
        request._messages = []
        response = home(request)
        assert response.status_code == 200
        return response

    try:
        with transaction.atomic():
            jobs = {}
            for name, fn in (
                ("dashboard_refresh_clients", refresh_client_tallies),
                ("dashboard_refresh_money", refresh_money_tallies),
                ("dashboard_rebuild_monthly", rebuild_monthly_money),
            ):
                started = time.perf_counter()
                rows = fn()
                jobs[name] = (round(time.perf_counter() - started, 2), rows)
            admin = User.objects.create_superuser("bench-dashboard", "b@bench.test", "x" * 12)
            seller = (
                Seller.objects.raw(
                    "SELECT s.* FROM catalog_seller s JOIN clients_client c ON c.seller_id = s.id "
                    "GROUP BY s.id ORDER BY count(*) DESC LIMIT 1"
                )[0]
                if ctx.sql("SELECT 1 FROM catalog_seller LIMIT 1")
                else None
            )
            vendedor = None
            if seller is not None:
                # A seller has at most one user (the demo makes one per seller): use it.
                vendedor = User.objects.filter(seller=seller).first()
                if vendedor is None:
                    vendedor = User.objects.create_user("bench-vendedor", password="x" * 12)
                    vendedor.seller = seller
                    vendedor.save()
                vendedor.groups.add(Group.objects.get(name=SELLER))
                vendedor = User.objects.get(pk=vendedor.pk)  # fresh permission cache

            admin_samples = ctx.time(lambda: page(admin), repeat=REPEAT, warmup=3)
            seller_samples = (
                ctx.time(lambda: page(vendedor), repeat=REPEAT, warmup=3) if vendedor else []
            )
            statements = _baseline_sql(today, month_start, year_start)
            sql_samples = ctx.time(
                lambda: [ctx.sql(q, p) for q, p in statements], repeat=max(5, REPEAT // 3), warmup=1
            )
            with CaptureQueriesContext(connection) as captured:
                page(admin)
            queries = len(captured.captured_queries)
            for n, query in enumerate(captured.captured_queries, start=1):
                if query["sql"].lstrip().upper().startswith("SELECT") and "tally" in query["sql"]:
                    ctx.explain(f"dashboard_query_{n}", query["sql"])
            for n, (q, p) in enumerate(statements, start=1):
                ctx.explain(f"dashboard_baseline_{n}", q, p)
            raise _Rollback
    except _Rollback:
        pass

    s50, s95 = ctx.percentiles(sql_samples)
    p50, p95 = ctx.percentiles(admin_samples)
    yield ctx.figure("dashboard_admin_p50", p50, "ms", sql=s50, queries=queries)
    yield ctx.figure("dashboard_admin_p95", p95, "ms", sql=s95, queries=queries, target_ms=100)
    if seller_samples:
        v50, v95 = ctx.percentiles(seller_samples)
        yield ctx.figure("dashboard_seller_p50", v50, "ms", sql=s50)
        yield ctx.figure("dashboard_seller_p95", v95, "ms", sql=s95)
    for name, (seconds, rows) in jobs.items():
        yield ctx.figure(name, seconds, "s", summary_rows=rows)

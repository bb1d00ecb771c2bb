"""The CRM's reads at scale: the pipeline board, the client's opportunities tab and
"Mis próximas actuaciones", over BENCH_CRM_OPPORTUNITIES (default 200000) extra opportunities
with one activity each, inserted inside a transaction that is rolled back at the end.

Figures (p95 ms): the whole board for an administrator (all sellers), for one seller, for one
seller and a 30-day close period; the opportunities and activities of one client; one user's
due activities. Baselines are the same aggregates in plain SQL. The plans of the board's
grouped aggregate and of its per-stage window query are written under var/bench/plans/.
"""

from __future__ import annotations

import os
from datetime import timedelta


def _seed(ctx, n: int) -> None:
    ctx.sql(
        """
        INSERT INTO crm_opportunity (created_at, updated_at, client_id, title, description,
            stage_id, amount, probability, expected_close_date, seller_id, source,
            lost_reason)
        SELECT now(), now(), c.id, 'Bench ' || g, '',
            (SELECT id FROM crm_opportunitystage ORDER BY "order" OFFSET (g %% 6) LIMIT 1),
            (g %% 400) * 100, 10 + (g %% 8) * 10, current_date + ((g %% 180) - 60),
            c.seller_id, 'other', ''
        FROM generate_series(1, %s) AS g
        JOIN clients_client c ON c.id = (SELECT min(id) FROM clients_client) + (g %% %s)
        """,
        [n, max(ctx.clients, 1)],
    )
    user_id = ctx.sql("SELECT id FROM accounts_user ORDER BY id LIMIT 1")[0][0]
    ctx.sql(
        """
        INSERT INTO crm_activity (created_at, updated_at, opportunity_id, client_id, kind,
            occurred_at, user_id, notes, result, next_action, next_action_on)
        SELECT now(), now(), o.id, o.client_id, 'call', now() - interval '2 days', %s, '',
            '', CASE WHEN o.id %% 50 = 0 THEN 'Llamar' ELSE '' END,
            CASE WHEN o.id %% 50 = 0 THEN current_date + ((o.id %% 20) - 5)::int END
        FROM crm_opportunity o WHERE o.title LIKE 'Bench %%'
        """,
        [user_id],
    )
    ctx.sql("ANALYZE crm_opportunity")
    ctx.sql("ANALYZE crm_activity")


def run(ctx):
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.db.models import Count
    from django.utils import timezone

    from ispgest.clients.models import Client
    from ispgest.crm import selectors
    from ispgest.crm.models import Opportunity

    n = int(os.environ.get("BENCH_CRM_OPPORTUNITIES", "200000"))
    with transaction.atomic():
        sid = transaction.savepoint()
        _seed(ctx, n)
        total = Opportunity.objects.count()
        User = get_user_model()
        admin = User.objects.filter(is_superuser=True).first() or User.objects.order_by("id")[0]
        admin.is_superuser = True  # sees everything, like the Administrador role
        seller_id = (
            Opportunity.objects.exclude(seller_id=None)
            .values("seller_id")
            .annotate(n=Count("id"))
            .order_by("-n")[0]["seller_id"]
        )
        seller_user = User(username="bench-seller", seller_id=seller_id, is_superuser=True)
        seller_user.has_perm = lambda perm, obj=None: perm != "crm.view_all_pipeline"
        today = timezone.localdate()
        period = (today, today + timedelta(days=30))

        cases = {
            "crm_board_all": lambda: selectors.pipeline_board(admin),
            "crm_board_seller": lambda: selectors.pipeline_board(seller_user),
            "crm_board_seller_period": lambda: selectors.pipeline_board(
                seller_user, date_from=period[0], date_to=period[1]
            ),
        }
        board_sql = (
            "SELECT stage_id, count(*), sum(amount), sum(amount * probability / 100) "
            "FROM crm_opportunity o JOIN crm_opportunitystage s ON s.id = o.stage_id "
            "WHERE s.active GROUP BY stage_id"
        )
        seller_sql = board_sql.replace("WHERE s.active", "WHERE s.active AND o.seller_id = %s")
        baselines = {
            "crm_board_all": lambda: ctx.sql(board_sql),
            "crm_board_seller": lambda: ctx.sql(seller_sql, [seller_id]),
            "crm_board_seller_period": lambda: ctx.sql(
                seller_sql.replace(
                    "GROUP BY", "AND expected_close_date BETWEEN %s AND %s GROUP BY"
                ),
                [seller_id, *period],
            ),
        }
        for name, fn in cases.items():
            _p50, p95 = ctx.percentiles(ctx.time(fn, repeat=10))
            _b50, b95 = ctx.percentiles(ctx.time(baselines[name], repeat=10))
            yield ctx.figure(f"{name}_p95", p95, "ms", sql=b95, opportunities=total)

        qs = selectors.pipeline_queryset(seller_user)
        agg = qs.order_by().values("stage_id").annotate(n=Count("id"))
        sql, params = agg.query.sql_with_params()
        ctx.explain("crm_board_seller_aggregate", sql, params)

        client_id = (
            Opportunity.objects.exclude(client_id=None)
            .values("client_id")
            .annotate(n=Count("id"))
            .order_by("-n")[0]["client_id"]
        )
        client = Client.objects.get(pk=client_id)

        def tab():
            list(selectors.party_opportunities(admin, client=client))
            list(selectors.party_activities(admin, client=client))

        _p50, p95 = ctx.percentiles(ctx.time(tab, repeat=20))
        yield ctx.figure("crm_client_tab_p95", p95, "ms", opportunities=total)
        opp_sql, opp_params = selectors.party_opportunities(
            admin, client=client
        ).query.sql_with_params()
        ctx.explain("crm_client_opportunities", opp_sql, opp_params)

        user = User.objects.get(
            pk=ctx.sql("SELECT id FROM accounts_user ORDER BY id LIMIT 1")[0][0]
        )
        # «Mis actividades» as the page reads it: three groups of at most DUE_LIMIT rows
        # with their counts, 30 days ahead; then the API's first page of the same list.
        due = lambda: selectors.due_activity_groups(user, day=today, horizon_days=30)  # noqa: E731
        _p50, p95 = ctx.percentiles(ctx.time(due, repeat=20))
        pending = sum(group.count for group in due().values())
        yield ctx.figure("crm_my_activities_p95", p95, "ms", opportunities=total, due=pending)
        first_page = lambda: list(selectors.due_activities(user, day=today)[:100])  # noqa: E731
        _p50, p95 = ctx.percentiles(ctx.time(first_page, repeat=20))
        yield ctx.figure("crm_my_activities_api_page_p95", p95, "ms", opportunities=total)
        overdue = selectors.due_activities(user, day=today).filter(next_action_on__lt=today)
        due_sql, due_params = overdue[: selectors.DUE_LIMIT].query.sql_with_params()
        ctx.explain("crm_my_activities", due_sql, due_params)
        transaction.savepoint_rollback(sid)

"""Ticket reads at scale over BENCH_TICKETS (default 200000) extra tickets spread over the
clients, statuses, priorities and two assignees, inserted inside a transaction that is rolled
back at the end.

Figures (p95 ms): the staff list's first page as it opens (active tickets), the overdue
filter, "Mis tickets", a text search by the client's name, a client's "Tickets" section and
the Inicio card's aggregate. Baselines are the same reads in plain SQL. The plans of the
default list and of the card are written under var/bench/plans/.
"""

from __future__ import annotations

import os


def _seed(ctx, n: int, user_ids: list[int]) -> None:
    ctx.sql(
        """
        INSERT INTO tickets_ticket (created_at, updated_at, client_id, subject, priority,
            status, assignee_id, source, due_at, last_message_at)
        SELECT now() - (g %% 1000) * interval '1 hour', now(),
            (SELECT min(id) FROM clients_client) + (g %% %s),
            'Bench ' || g,
            (ARRAY['baja','normal','alta','urgente'])[1 + g %% 4],
            (ARRAY['nuevo','abierto','en_espera','resuelto','cerrado','cerrado','cerrado',
                   'cerrado'])[1 + g %% 8],
            CASE WHEN g %% 3 = 0 THEN NULL ELSE (%s::bigint[])[1 + g %% 2] END,
            'staff',
            now() + ((g %% 200) - 100) * interval '1 hour',
            now()
        FROM generate_series(1, %s) AS g
        """,
        [max(ctx.clients, 1), user_ids, n],
    )
    ctx.sql("ANALYZE tickets_ticket")


def run(ctx):
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from ispgest.clients.models import Client
    from ispgest.tickets import selectors

    n = int(os.environ.get("BENCH_TICKETS", "200000"))
    User = get_user_model()
    with transaction.atomic():
        sid = transaction.savepoint()
        admin = User.objects.filter(is_superuser=True).first() or User.objects.order_by("id")[0]
        admin.is_superuser = True
        other = User.objects.exclude(pk=admin.pk).order_by("id").first() or admin
        _seed(ctx, n, [admin.pk, other.pk])
        client = Client.objects.filter(tickets__isnull=False).order_by("id").first()
        name_word = client.name.split()[0]

        def first_page(filters):
            return list(selectors.ticket_list(admin, filters)[:50])

        F = selectors.TicketFilters
        cases = {
            "tickets_list_active": (
                lambda: first_page(F(status="activos")),
                "SELECT t.id FROM tickets_ticket t LEFT JOIN clients_client c ON c.id = "
                "t.client_id WHERE t.status IN ('nuevo','abierto','en_espera') "
                "ORDER BY t.id DESC LIMIT 50",
            ),
            "tickets_list_overdue": (
                lambda: first_page(F(status="activos", overdue=True)),
                "SELECT t.id FROM tickets_ticket t WHERE t.status IN "
                "('nuevo','abierto','en_espera') AND t.due_at < now() "
                "ORDER BY t.id DESC LIMIT 50",
            ),
            "tickets_list_mine": (
                lambda: first_page(F(status="activos", assignee="yo")),
                f"SELECT t.id FROM tickets_ticket t WHERE t.assignee_id = {admin.pk} AND "
                "t.status IN ('nuevo','abierto','en_espera') ORDER BY t.id DESC LIMIT 50",
            ),
            "tickets_list_text": (
                lambda: first_page(F(status="", text=name_word)),
                "SELECT t.id FROM tickets_ticket t JOIN clients_client c ON c.id = t.client_id "
                "WHERE (t.subject ILIKE %s OR c.name ILIKE %s) ORDER BY t.id DESC LIMIT 50",
            ),
            "tickets_client_section": (
                lambda: selectors.client_tickets(admin, client),
                f"SELECT t.id FROM tickets_ticket t WHERE t.client_id = {client.pk} "
                "ORDER BY t.id DESC LIMIT 50",
            ),
            "tickets_dashboard_card": (
                lambda: selectors.open_counts(admin),
                "SELECT count(*), count(*) FILTER (WHERE due_at < now()), count(*) FILTER "
                f"(WHERE assignee_id = {admin.pk}) FROM tickets_ticket WHERE status IN "
                "('nuevo','abierto','en_espera')",
            ),
        }
        like = f"%{name_word}%"
        for name, (fn, sql) in cases.items():
            params = [like, like] if "%s" in sql else None
            app = ctx.percentiles(ctx.time(fn))
            raw = ctx.percentiles(ctx.time(lambda s=sql, p=params: ctx.sql(s, p)))
            if name in ("tickets_list_active", "tickets_dashboard_card"):
                ctx.explain(name, sql, params)
            yield ctx.figure(f"{name}_p95", app[1], "ms", sql=raw[1], tickets=n, p50=app[0])
        transaction.savepoint_rollback(sid)

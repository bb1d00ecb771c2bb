"""Mail and files at scale: BENCH_MAIL_MESSAGES (default 500000) messages spread over the
clients (a tenth of them received, some unassigned) and a repository file for every client,
inserted inside a transaction that is rolled back at the end.

Figures (p95 ms): the Correo list of the client with most mail (newest 50, with their
attachments), the same filtered by status, the unassigned inbox's first page, the
repository list of a client filtered by tag, and matching a sender to clients
(`clients_by_email`, done once per received message), by a principal e-mail and by one of
the "Emails a notificar" (its plan too). Baselines are the plain SQL of the
same rows. Plans are written under var/bench/plans/.
"""

from __future__ import annotations

import os


def _seed(ctx, n: int) -> None:
    ctx.sql(
        """
        INSERT INTO messaging_emailmessage (client_id, direction, template, from_email, "to",
            cc, subject, body_text, body_html, status, error, attempts, created_at,
            related_type, related_id, message_id, in_reply_to, "references",
            suggested_clients, size)
        SELECT CASE WHEN g %% 97 = 0 THEN NULL
                    ELSE (SELECT min(id) FROM clients_client) + (g %% %s) END,
            CASE WHEN g %% 10 = 0 THEN 'in' ELSE 'out' END, 'client_message',
            'isp@bench.test', '["c@bench.test"]', '[]', 'Bench ' || g, 'texto', '',
            CASE WHEN g %% 10 = 0 THEN 'received' WHEN g %% 13 = 0 THEN 'failed'
                 ELSE 'sent' END,
            '', 1, now() - (g || ' seconds')::interval, '', '',
            '<bench-' || g || '@bench.test>', '', '', '[]', 1000
        FROM generate_series(1, %s) AS g
        """,
        [max(ctx.clients, 1), n],
    )
    ctx.sql(
        """
        INSERT INTO messaging_repositoryfile (client_id, name, tag, file, original_name,
            content_type, size, sha256, source, source_id, created_at)
        SELECT id, 'Documento ' || id, CASE WHEN id %% 3 = 0 THEN 'DNI' ELSE 'Contrato' END,
            'repository/x.pdf', 'x.pdf', 'application/pdf', 1000, '', 'upload', '', now()
        FROM clients_client
        """,
        [],
    )
    ctx.sql("ANALYZE messaging_emailmessage")
    ctx.sql("ANALYZE messaging_repositoryfile")


def run(ctx):
    from django.db import transaction
    from django.db.models import Count

    from ispgest.clients import emailmatch
    from ispgest.clients.models import Client
    from ispgest.clients.selectors import clients_by_email
    from ispgest.messaging import repository, selectors
    from ispgest.messaging.models import EmailMessage

    n = int(os.environ.get("BENCH_MAIL_MESSAGES", "500000"))
    with transaction.atomic():
        sid = transaction.savepoint()
        _seed(ctx, n)
        total = EmailMessage.objects.count()
        client_id = (
            EmailMessage.objects.exclude(client_id=None)
            .values("client_id")
            .annotate(n=Count("id"))
            .order_by("-n")[0]["client_id"]
        )

        def correo():
            list(selectors.client_messages(client_id)[:50])

        def correo_failed():
            list(selectors.client_messages(client_id, status="failed")[:50])

        def unassigned():
            list(selectors.unassigned_messages()[:50])

        base = (
            "SELECT * FROM messaging_emailmessage WHERE client_id = %s "
            "ORDER BY created_at DESC, id DESC LIMIT 50"
        )
        for name, fn, sql, params in (
            ("mail_client_log", correo, base, [client_id]),
            (
                "mail_client_log_failed",
                correo_failed,
                base.replace("WHERE", "WHERE status = 'failed' AND"),
                [client_id],
            ),
            (
                "mail_unassigned",
                unassigned,
                "SELECT * FROM messaging_emailmessage WHERE client_id IS NULL AND "
                "direction = 'in' ORDER BY created_at DESC, id DESC LIMIT 50",
                [],
            ),
        ):
            _p50, p95 = ctx.percentiles(ctx.time(fn, repeat=20))
            _b50, b95 = ctx.percentiles(ctx.time(lambda s=sql, p=params: ctx.sql(s, p)))
            yield ctx.figure(f"{name}_p95", p95, "ms", sql=b95, messages=total)
        qs_sql, qs_params = selectors.client_messages(client_id)[:50].query.sql_with_params()
        ctx.explain("mail_client_log", qs_sql, qs_params)
        un_sql, un_params = selectors.unassigned_messages()[:50].query.sql_with_params()
        ctx.explain("mail_unassigned", un_sql, un_params)

        repo = lambda: list(repository.client_repository_files(client_id, tag="DNI")[:100])  # noqa: E731
        _p50, p95 = ctx.percentiles(ctx.time(repo, repeat=20))
        yield ctx.figure("repository_client_list_p95", p95, "ms")
        r_sql, r_params = repository.client_repository_files(client_id, tag="DNI")[
            :100
        ].query.sql_with_params()
        ctx.explain("repository_client_list", r_sql, r_params)

        address = (
            Client.objects.exclude(email=None).order_by("-id").values_list("email", flat=True)[0]
        )
        match = lambda: clients_by_email(address.upper())  # noqa: E731
        _p50, p95 = ctx.percentiles(ctx.time(match, repeat=10))
        yield ctx.figure("mail_sender_match_p95", p95, "ms")
        notify = (
            Client.objects.exclude(notify_emails="")
            .order_by("-id")
            .values_list("notify_emails", flat=True)
            .first()
        )
        if notify:
            entry = notify.split(",")[-1].strip()
            match = lambda: clients_by_email(entry)  # noqa: E731
            _p50, p95 = ctx.percentiles(ctx.time(match, repeat=10))
            yield ctx.figure("mail_sender_match_notify_p95", p95, "ms", matched=len(match()))
            n_sql = f"SELECT id FROM clients_client WHERE {emailmatch.MATCH_SQL}"
            ctx.explain("mail_sender_match_notify", n_sql, [entry])
        transaction.savepoint_rollback(sid)

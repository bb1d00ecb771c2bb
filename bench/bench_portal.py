"""The client portal: Inicio and Facturas p50/p95 for random clients, beside the plain SQL
of the same reads, as a ratio (target p95 < 50 ms at 1M clients).

Pages are measured through the views (`portal.views.home`, `portal.views.invoices`: the
portal session check, the selectors, the template) with a portal session of a client drawn
at random for every call. The portal accounts the sessions need are created inside one
transaction that is rolled back, so the database is left as found.
"""

from __future__ import annotations

REPEAT = 40
SAMPLE = 60


class _Rollback(Exception):
    pass


HOME_SQL = [
    "SELECT unpaid_count, unpaid_total, wallet_balance FROM billing_clientbalance "
    "WHERE client_id = %s",
    "SELECT id, number_display, due_date, total, paid_amount, credited_amount "
    "FROM billing_invoice WHERE client_id = %s AND kind IN ('invoice') "
    "AND status IN ('pending', 'partially_paid') ORDER BY due_date, id LIMIT 10",
    "SELECT k.id, k.status, k.address, p.name FROM contracts_contract k "
    "JOIN contracts_plan p ON p.id = k.plan_id WHERE k.client_id = %s ORDER BY k.status, k.id DESC",
    "SELECT c.id, c.status, c.name, b.day_of_month FROM clients_client c "
    "LEFT JOIN catalog_billingcycle b ON b.id = c.billing_cycle_id WHERE c.id = %s",
]
INVOICES_SQL = [
    "SELECT count(*) FROM billing_invoice WHERE client_id = %s",
    "SELECT i.id, i.kind, i.number_display, i.issue_date, i.due_date, i.total, i.status "
    "FROM billing_invoice i WHERE i.client_id = %s ORDER BY i.issue_date DESC, i.id DESC LIMIT 20",
]


def run(ctx):
    from django.contrib.auth.models import AnonymousUser
    from django.contrib.sessions.backends.db import SessionStore
    from django.db import transaction
    from django.test import RequestFactory

    from ispgest.portal import views
    from ispgest.portal.auth import HASH_KEY, SESSION_KEY
    from ispgest.portal.models import PortalAccount
    from ispgest.portal.services import session_hash

    factory = RequestFactory()
    low, high = ctx.sql("SELECT min(id), max(id) FROM clients_client WHERE status = 'active'")[0]
    if low is None:
        return
    ids: list[int] = []
    while len(ids) < SAMPLE:
        start = ctx.rng.randint(low, high)
        row = ctx.sql(
            "SELECT id FROM clients_client WHERE status = 'active' AND id >= %s "
            "ORDER BY id LIMIT 1",
            [start],
        )
        if row and row[0][0] not in ids:
            ids.append(row[0][0])

    def request_for(account, path):
        request = factory.get(path)
        request.user = AnonymousUser()
        request.session = SessionStore()
        request.session[SESSION_KEY] = account.pk
        request.session[HASH_KEY] = session_hash(account)
        request._messages = []
        return request

    try:
        with transaction.atomic():
            existing = set(
                PortalAccount.objects.filter(client_id__in=ids).values_list("client_id", flat=True)
            )
            PortalAccount.objects.bulk_create(
                [
                    PortalAccount(client_id=i, password="argon2$bench")
                    for i in ids
                    if i not in existing
                ]
            )
            accounts = list(PortalAccount.objects.filter(client_id__in=ids))

            def page(view, path):
                account = ctx.rng.choice(accounts)
                response = view(request_for(account, path))
                assert response.status_code == 200, response.status_code
                return response

            home = ctx.time(lambda: page(views.home, "/portal/"), repeat=REPEAT, warmup=3)
            invoices = ctx.time(
                lambda: page(views.invoices, "/portal/facturas/"), repeat=REPEAT, warmup=3
            )

            def plain(statements):
                cid = ctx.rng.choice(ids)
                return [ctx.sql(q, [cid]) for q in statements]

            home_sql = ctx.time(lambda: plain(HOME_SQL), repeat=REPEAT, warmup=3)
            invoices_sql = ctx.time(lambda: plain(INVOICES_SQL), repeat=REPEAT, warmup=3)
            for n, q in enumerate(HOME_SQL + INVOICES_SQL, start=1):
                ctx.explain(f"portal_sql_{n}", q, [ids[0]])
            raise _Rollback
    except _Rollback:
        pass

    for name, samples, sql in (
        ("portal_home", home, home_sql),
        ("portal_invoices", invoices, invoices_sql),
    ):
        p50, p95 = ctx.percentiles(samples)
        s50, s95 = ctx.percentiles(sql)
        yield ctx.figure(f"{name}_p50", p50, "ms", sql=s50)
        yield ctx.figure(f"{name}_p95", p95, "ms", sql=s95, target_ms=50)

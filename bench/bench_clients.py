"""Client list figures: quick search, advanced search, list pages, export, mass update.

Each figure is measured through the application code (clients/search.py, export.py,
mass_update.py) and beside it the plain SQL a DBA would write for the same result, run on
the same data, as `sql_value` and `ratio`. The SQL the application ran is EXPLAINed
(ANALYZE, BUFFERS) with the same planner settings; plans go to var/bench/plans/.
"""

from __future__ import annotations

import time
from decimal import Decimal

REPEAT = 15


class BenchUser:
    """An administrator for the selectors (every permission, no seller scope)."""

    pk = None
    seller_id = None
    is_superuser = True

    def has_perm(self, perm):
        return True

    def has_perms(self, perms):
        return True


def _explain_captured(ctx, name: str, fn) -> None:
    """Run fn once capturing its SQL; EXPLAIN ANALYZE each SELECT with the SET LOCALs that
    preceded it (the application's planner choices)."""
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        fn()
    pending: list[str] = []
    n = 0
    for query in captured.captured_queries:
        sql = query["sql"]
        if sql.startswith("SET LOCAL"):
            pending.append(sql)
            continue
        if not sql.lstrip().upper().startswith("SELECT"):
            continue
        n += 1
        with transaction.atomic():
            for setting in pending:
                ctx.sql(setting)
            ctx.explain(f"{name}_{n}", sql)
        pending = []


def _search_figure(ctx, name, cases, sql_for):
    """cases: list of form data dicts; sql_for(data) -> list of (sql, params) for baseline."""
    from ispgest.clients.search import search_clients

    if not cases:
        raise RuntimeError(f"{name}: the data gave no search cases")
    user = BenchUser()
    app, raw = [], []
    for data in cases:
        app += ctx.time(lambda d=data: search_clients(user, d), repeat=REPEAT // 3 or 1, warmup=1)
        statements = sql_for(data)
        raw += ctx.time(
            lambda s=statements: [ctx.sql(q, p) for q, p in s], repeat=REPEAT // 3 or 1, warmup=1
        )
    p50, p95 = ctx.percentiles(app)
    s50, s95 = ctx.percentiles(raw)
    _explain_captured(ctx, name, lambda: search_clients(user, cases[0]))
    yield ctx.figure(f"{name}_p50", p50, "ms", sql=s50, cases=len(cases))
    yield ctx.figure(f"{name}_p95", p95, "ms", sql=s95, cases=len(cases))


def _quick_sql(data):
    from ispgest.clients.search import query_words

    words = query_words(data["q"])
    where = " AND ".join(["search_text LIKE %s"] * len(words))
    params = [f"%{w}%" for w in words]
    return [
        (
            "SELECT client_id, sort_name FROM clients_clientsearch WHERE status = 'active' AND "
            f"{where} ORDER BY sort_name, client_id LIMIT 26",
            params,
        ),
        (
            "SELECT count(*) FROM (SELECT 1 FROM clients_clientsearch WHERE status = 'active' AND "
            f"{where} LIMIT 1001) s",
            params,
        ),
    ]


def run(ctx):
    from ispgest.clients import demo
    from ispgest.clients.search import encode_cursor, search_clients

    rng = ctx.rng
    user = BenchUser()
    # A previous run's rolled-back mass update leaves 100k dead row versions and clears
    # visibility bits; measure a settled table (VACUUM outside any transaction).
    ctx.sql("VACUUM ANALYZE clients_client")
    ctx.sql("VACUUM ANALYZE clients_clientsearch")

    # --- quick search by name fragments: common first names, common surnames, partials.
    first = [n.lower() for n in demo.FIRST_NAMES[:4]]
    surnames = [n.lower() for n in demo.SURNAMES[:4]]
    partial = ["gonz", "rodri", "zúñi", "ordóñez", "íñigo", "quiñones"]
    cases = [{"q": t, "status": "active"} for t in first + surnames + partial]
    yield from _search_figure(ctx, "quick_search_name", cases, _quick_sql)

    # --- by document and by phone fragment of random clients.
    # Ids need not start at 1 nor be dense (a sequence is never rolled back): each pick is
    # the first client at or after a random point of the id range.
    low, high = ctx.sql("SELECT min(id), max(id) FROM clients_client")[0]
    docs = []
    for _ in range(8):
        docs += ctx.sql(
            "SELECT document_number, mobile, phone FROM clients_client WHERE id >= %s "
            "ORDER BY id LIMIT 1",
            [rng.randint(low, high)],
        )
    doc_cases = [{"q": d, "status": "active"} for d, _m, _p in docs if d][:6]
    yield from _search_figure(ctx, "quick_search_document", doc_cases, _quick_sql)
    phone_cases = []
    for _d, mobile, phone in docs:
        number = mobile or phone
        if number and len(number) >= 8:
            phone_cases.append({"q": number[-8:], "status": "active"})
    yield from _search_figure(ctx, "quick_search_phone", phone_cases[:6], _quick_sql)

    # --- advanced search: contract zone + plan + with unpaid invoices (page and count).
    combos = ctx.sql(
        "SELECT zone_id, plan_id FROM contracts_contract WHERE zone_id IS NOT NULL "
        "GROUP BY 1, 2 ORDER BY count(*) DESC LIMIT 3"
    )
    adv_cases = [
        {"contract_zone": z, "plan": p, "unpaid": True, "status": "active"} for z, p in combos
    ]

    def adv_sql(data):
        where = (
            "c.status = 'active' AND EXISTS (SELECT 1 FROM contracts_contract k WHERE "
            "k.client_id = c.id AND k.zone_id = %s AND k.plan_id = %s) AND b.unpaid_count > 0"
        )
        params = [data["contract_zone"], data["plan"]]
        return [
            (
                f"SELECT c.id, c.name FROM clients_client c JOIN billing_clientbalance b "
                f"ON b.client_id = c.id WHERE {where} ORDER BY c.sort_name, c.id LIMIT 26",
                params,
            ),
            (
                f"SELECT count(*) FROM (SELECT 1 FROM clients_client c JOIN "
                f"billing_clientbalance b ON b.client_id = c.id WHERE {where} LIMIT 1001) s",
                params,
            ),
        ]

    from ispgest.contracts.models import Contract, Plan  # noqa: F401  (models must load)

    if adv_cases:
        yield from _search_figure(ctx, "advanced_zone_plan_unpaid", adv_cases, adv_sql)
        result = search_clients(user, adv_cases[0])
        yield ctx.figure("advanced_zone_plan_unpaid_matches", result.count, "clients")

    # --- list pages: the first and a deep one (keyset cursor at the middle of the order).
    middle = ctx.sql(
        "SELECT sort_name, id FROM clients_client WHERE status = 'active' "
        "ORDER BY sort_name, id OFFSET %s LIMIT 1",
        [ctx.clients // 2],
    )[0]
    cursor = encode_cursor(list(middle))
    data = {"status": "active"}
    app = ctx.time(lambda: search_clients(user, data), repeat=REPEAT)
    raw = ctx.time(
        lambda: (
            ctx.sql(
                "SELECT id, name FROM clients_client WHERE status = 'active' "
                "ORDER BY sort_name, id LIMIT 26"
            ),
            ctx.sql(
                "SELECT count(*) FROM (SELECT 1 FROM clients_client WHERE status = 'active' "
                "LIMIT 1001) s"
            ),
        ),
        repeat=REPEAT,
    )
    _explain_captured(ctx, "list_first_page", lambda: search_clients(user, data))
    yield ctx.figure(
        "list_first_page_p95", ctx.percentiles(app)[1], "ms", sql=ctx.percentiles(raw)[1]
    )
    app = ctx.time(lambda: search_clients(user, data, after=cursor), repeat=REPEAT)
    raw = ctx.time(
        lambda: ctx.sql(
            "SELECT id, name FROM clients_client WHERE status = 'active' AND "
            "(sort_name, id) > (%s, %s) ORDER BY sort_name, id LIMIT 26",
            list(middle),
        ),
        repeat=REPEAT,
    )
    offset = ctx.time(
        lambda: ctx.sql(
            "SELECT id, name FROM clients_client WHERE status = 'active' "
            "ORDER BY sort_name, id OFFSET %s LIMIT 26",
            [ctx.clients // 2],
        ),
        repeat=3,
        warmup=0,
    )
    _explain_captured(ctx, "list_deep_page", lambda: search_clients(user, data, after=cursor))
    yield ctx.figure(
        "list_deep_page_p95",
        ctx.percentiles(app)[1],
        "ms",
        sql=ctx.percentiles(raw)[1],
        offset_sql_ms=ctx.percentiles(offset)[1],
    )

    # --- export of all clients, CSV and XLSX, in a subprocess (time and peak memory). The
    # file goes to a real temporary file, as the export task writes it: zipfile (XLSX) reads
    # its own position to record offsets, and /dev/null's stays at 0, so at 1M clients the
    # end record's arithmetic left struct's range (`struct.error: argument out of range`).
    for fmt in ("csv", "xlsx"):
        seconds, rss = ctx.subprocess(
            "import tempfile\n"
            "from ispgest.clients.export import write_export\n"
            "from ispgest.clients.models import Client\n"
            "with tempfile.TemporaryFile() as out:\n"
            f"    write_export(Client.objects.all(), {fmt!r}, out)\n"
        )
        base_seconds, base_rss = ctx.subprocess(
            "import tempfile\n"
            "from django.db import connection\n"
            "connection.ensure_connection()\n"
            "with connection.cursor() as c, tempfile.TemporaryFile() as out:\n"
            "    with c.cursor.copy('COPY (SELECT c.id, c.name, c.notes, c.email, c.phone, "
            "c.mobile, c.address, nb.name, z.name, c.document_number, ci.name, r.name, "
            "c.billing_enabled, it.name, tc.name, c.tax_id, b.unpaid_count, b.unpaid_total, "
            "NULL, c.created_at, c.updated_at FROM clients_client c "
            "LEFT JOIN catalog_neighbourhood nb ON nb.id = c.neighbourhood_id "
            "LEFT JOIN catalog_zone z ON z.id = c.zone_id "
            "LEFT JOIN catalog_city ci ON ci.id = c.city_id "
            "LEFT JOIN catalog_region r ON r.id = c.region_id "
            "LEFT JOIN catalog_invoicetype it ON it.id = c.invoice_type_id "
            "LEFT JOIN catalog_taxcondition tc ON tc.id = c.tax_condition_id "
            "LEFT JOIN billing_clientbalance b ON b.client_id = c.id) TO STDOUT CSV') as cp:\n"
            "        for data in cp:\n"
            "            out.write(data)\n"
        )
        yield ctx.figure(
            f"export_{fmt}_seconds",
            round(seconds, 2),
            "s",
            sql=round(base_seconds, 2),
            peak_rss_mb=rss,
            sql_peak_rss_mb=base_rss,
        )

    # --- mass update of 100k clients (collector) with history rows, rolled back.
    yield from _mass_update(ctx, user)


class _Rollback(Exception):
    pass


def _mass_update(ctx, user):
    from django.db import transaction

    from ispgest.catalog.models import Collector
    from ispgest.clients.mass_update import clients_mass_update
    from ispgest.clients.models import Client

    size = min(100_000, ctx.clients)
    collector = Collector.objects.order_by("pk").first()
    if collector is None:
        return
    ids = list(Client.objects.order_by("pk").values_list("pk", flat=True)[:size])
    targets = Client.objects.filter(pk__lte=ids[-1])
    result = {}

    def app():
        try:
            with transaction.atomic():
                started = time.perf_counter()
                outcome = clients_mass_update(
                    actor=None, targets=targets, changes={"collector": collector.pk}
                )
                result["seconds"] = time.perf_counter() - started
                result["changed"] = outcome.changed
                raise _Rollback
        except _Rollback:
            pass

    def raw():
        try:
            with transaction.atomic():
                started = time.perf_counter()
                ctx.sql(
                    "UPDATE clients_client SET collector_id = %s, updated_at = now() "
                    "WHERE id <= %s AND collector_id IS DISTINCT FROM %s",
                    [collector.pk, ids[-1], collector.pk],
                )
                ctx.sql(
                    "INSERT INTO clients_clientevent (client_id, created_at, kind, action, "
                    "entry_type, summary, changes, object_type, object_id) "
                    "SELECT id, now(), 'auto', 'client.mass_updated', '', "
                    "'Actualización masiva: Recaudador', "
                    "jsonb_build_object('Recaudador', jsonb_build_array('', %s)), "
                    "'clients.client', id::text FROM clients_client WHERE id <= %s",
                    [str(collector), ids[-1]],
                )
                result["sql_seconds"] = time.perf_counter() - started
                raise _Rollback
        except _Rollback:
            pass

    from ispgest.clients.mass_update import merge_trigram_pending

    merge_trigram_pending()  # start from an empty pending list
    app()
    # What the application does right after its commit (here: after the rollback, whose
    # dead index entries are in the pending list all the same).
    started = time.perf_counter()
    merge_trigram_pending()
    merge = time.perf_counter() - started
    raw()
    merge_trigram_pending()
    ctx.sql("VACUUM ANALYZE clients_client")
    ctx.sql("VACUUM ANALYZE clients_clientsearch")
    yield ctx.figure(
        "mass_update_100k_seconds",
        round(result["seconds"], 2),
        "s",
        sql=round(result["sql_seconds"], 2),
        selected=size,
        changed=result["changed"],
        trigram_merge_after_commit_s=round(merge, 2),
    )


_unused = Decimal

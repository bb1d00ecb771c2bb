"""Billing run over BENCH_BILLING_CONTRACTS (default 100000) contracts on PostgreSQL.

Everything happens inside one transaction that is rolled back at the end, so the database is
left as it was. The bench makes its own billing set-up (entity, point of sale, tax, a cycle
on a day no other client uses) and its own clients and contracts (one each; 10 % started
inside the period so they are prorated), then:

1. times `billing_run_execute` (numbering, lines, taxes, history rows, client balances,
   the e-mail tasks enqueued), rolls that back to a savepoint, and
2. times a plain SQL INSERT ... SELECT of the same invoice and line rows (numbers from
   row_number(), totals computed in SQL) as the baseline: ratio = run / SQL, and
3. times the run again with one active webhook subscription to `invoice.issued` (an event
   and a delivery per document, stored in bulk), and then the callbacks the commit would
   run (the e-mail and delivery tasks enqueued), inside the same rolled-back transaction.
"""

from __future__ import annotations

import os
import time
from datetime import date
from decimal import Decimal

RUN_DATE_MONTH = (2026, 11)


def _defaults(ctx, table: str, given: dict[str, str]) -> tuple[list[str], list[str]]:
    """Columns and SQL expressions for an INSERT ... SELECT: the given ones plus a neutral
    value for every other NOT NULL column without a database default (robust to new fields)."""
    rows = ctx.sql(
        "SELECT column_name, data_type, is_nullable, column_default, is_identity "
        "FROM information_schema.columns WHERE table_name = %s AND table_schema = 'public'",
        [table],
    )
    cols, exprs = [], []
    neutral = {
        "text": "''",
        "character varying": "''",
        "boolean": "false",
        "integer": "0",
        "bigint": "0",
        "smallint": "0",
        "numeric": "0",
        "double precision": "0",
        "timestamp with time zone": "now()",
        "date": "current_date",
        "jsonb": "'{}'::jsonb",
        "uuid": "gen_random_uuid()",
    }
    for name, dtype, nullable, default, identity in rows:
        if name in given:
            cols.append(name)
            exprs.append(given[name])
        elif nullable == "NO" and default is None and identity != "YES":
            cols.append(name)
            exprs.append(neutral.get(dtype, "''"))
    return cols, exprs


def _setup(ctx, n: int) -> date:
    from ispgest.catalog.defaults import allow_default_invoice_types, install_country_defaults
    from ispgest.catalog.models import (
        BillingCycle,
        BillingEntity,
        InvoiceType,
        PointOfSale,
        Tax,
        TaxCondition,
    )
    from ispgest.contracts.models import Plan

    install_country_defaults("AR")
    entity = BillingEntity.objects.create(name="Bench S.A.", country="AR", address="Bench 1")
    allow_default_invoice_types(entity)
    PointOfSale.objects.create(billing_entity=entity, number=99)
    tax = Tax.objects.create(name="Bench IVA 21%", rate=Decimal("21"), included_in_price=False)
    used = set(
        BillingCycle.objects.filter(client__isnull=False).values_list("day_of_month", flat=True)
    )
    default = BillingCycle.objects.filter(is_default=True).first()
    if default is not None and ctx.sql(
        "SELECT 1 FROM clients_client WHERE billing_cycle_id IS NULL LIMIT 1"
    ):
        used.add(default.day_of_month)
    day = next(d for d in range(28, 0, -1) if d not in used)
    cycle = BillingCycle.objects.create(name=f"Bench día {day}", day_of_month=day)
    condition = TaxCondition.objects.get(country="AR", name="Consumidor Final")
    invoice_type = InvoiceType.objects.get(code="B")
    plans = [
        Plan.objects.create(name=f"Bench plan {i}", price=Decimal(f"{9000 + i * 1234}.99"))
        for i in range(5)
    ]
    run_date = date(*RUN_DATE_MONTH, day)
    cols, exprs = _defaults(
        ctx,
        "clients_client",
        {
            "name": "'Bench cliente ' || g",
            "sort_name": "'bench cliente ' || g",
            "search_text": "'bench cliente ' || g",
            "status": "'active'",
            "person_type": "'other'",
            "address": "'Calle Bench ' || g",
            "tax_id": "'20123456786'",
            "tax_id_kind": "'CUIT'",
            "billing_enabled": "true",
            "billing_entity_id": str(entity.pk),
            "tax_condition_id": str(condition.pk),
            "invoice_type_id": str(invoice_type.pk),
            "billing_tax_id": str(tax.pk),
            "billing_cycle_id": str(cycle.pk),
            "created_at": "now()",
            "updated_at": "now()",
        },
    )
    ctx.sql(
        f"INSERT INTO clients_client ({', '.join(cols)}) "
        f"SELECT {', '.join(exprs)} FROM generate_series(1, %s) g",
        [n],
    )
    plan_case = (
        "CASE (c.id %% 5) "
        + " ".join(f"WHEN {i} THEN {p.pk}" for i, p in enumerate(plans))
        + " END"
    )
    period_start = date(run_date.year, run_date.month - 1, run_date.day)
    cols, exprs = _defaults(
        ctx,
        "contracts_contract",
        {
            "client_id": "c.id",
            "status": "'active'",
            "address": "c.address",
            "plan_id": plan_case,
            # one in ten started inside the period: prorated
            "start_date": f"CASE WHEN c.id %% 10 = 0 THEN DATE '{period_start}' + (c.id %% 20)::int "
            "ELSE DATE '2025-01-01' END",
            "created_at": "now()",
            "updated_at": "now()",
        },
    )
    ctx.sql(
        f"INSERT INTO contracts_contract ({', '.join(cols)}) "
        f"SELECT {', '.join(exprs)} FROM clients_client c WHERE c.billing_cycle_id = %s",
        [cycle.pk],
    )
    cols, exprs = _defaults(
        ctx,
        "contracts_planassignment",
        {
            "contract_id": "k.id",
            "plan_id": "k.plan_id",
            "price": "p.price",
            "start_date": "k.start_date",
            "created_at": "now()",
            "updated_at": "now()",
        },
    )
    ctx.sql(
        f"INSERT INTO contracts_planassignment ({', '.join(cols)}) "
        f"SELECT {', '.join(exprs)} FROM contracts_contract k "
        "JOIN contracts_plan p ON p.id = k.plan_id "
        "JOIN clients_client c ON c.id = k.client_id WHERE c.billing_cycle_id = %s",
        [cycle.pk],
    )
    for table in ("clients_client", "contracts_contract", "contracts_planassignment"):
        ctx.sql(f"ANALYZE {table}")
    return run_date


def _sql_baseline(ctx, run_date: date) -> float:
    """The same invoice and line rows written by two INSERT ... SELECT statements."""
    from ispgest.core.money import default_currency

    period_start = date(run_date.year, run_date.month - 1, run_date.day)
    days = (run_date - period_start).days
    seq = ctx.sql("SELECT id FROM billing_numbersequence ORDER BY id DESC LIMIT 1")[0][0]
    started = time.perf_counter()
    ctx.sql(
        f"""
        WITH src AS (
            SELECT k.id AS contract_id, c.id AS client_id, c.name, c.tax_id, c.tax_id_kind,
                   c.address, c.billing_entity_id, c.invoice_type_id,
                   ROUND(pa.price * (DATE '{run_date}' - GREATEST(k.start_date, DATE '{period_start}'))
                         / {days}, 2) AS net,
                   t.rate
            FROM contracts_contract k
            JOIN clients_client c ON c.id = k.client_id
            JOIN contracts_planassignment pa ON pa.contract_id = k.id AND pa.end_date IS NULL
            JOIN catalog_tax t ON t.id = c.billing_tax_id
            JOIN catalog_billingcycle bc ON bc.id = c.billing_cycle_id
            WHERE bc.day_of_month = {run_date.day} AND c.billing_enabled AND k.status = 'active'
        )
        INSERT INTO billing_invoice (kind, status, client_id, contract_id, sequence_id, number,
            number_display, billing_entity_id, invoice_type_id, legal, client_name, client_tax_id,
            client_tax_id_kind, client_address, client_tax_condition, period_start, period_end,
            issue_date, due_date, subtotal, tax_total, total, paid_amount, credited_amount,
            sepa_state, notes, currency, created_at, updated_at)
        SELECT 'invoice', 'pending', client_id, contract_id, {seq},
               row_number() OVER (ORDER BY client_id, contract_id),
               'B 00099-' || lpad((row_number() OVER (ORDER BY client_id, contract_id))::text, 8, '0'),
               billing_entity_id, invoice_type_id, true, name, tax_id, tax_id_kind, address, '',
               DATE '{period_start}', DATE '{run_date}', DATE '{run_date}', DATE '{run_date}' + 10,
               net, ROUND(net * rate / 100, 2), net + ROUND(net * rate / 100, 2), 0, 0, '', '',
               '{default_currency()}', now(), now()
        FROM src
        """
    )
    ctx.sql(
        """
        INSERT INTO billing_invoiceline (invoice_id, position, source, description, quantity,
            unit_price, tax_name, tax_rate, tax_included, net_amount, tax_amount, total)
        SELECT i.id, 1, 'plan', 'Plan ' || i.period_start, 1, i.subtotal, 'IVA', 21, false,
               i.subtotal, i.tax_total, i.total
        FROM billing_invoice i WHERE i.sequence_id = %s
        """,
        [seq],
    )
    return time.perf_counter() - started


class _Rollback(Exception):
    pass


_TOUCHED = (
    "clients_client",
    "contracts_contract",
    "contracts_planassignment",
    "billing_invoice",
    "billing_invoiceline",
    "billing_clientbalance",
    "clients_clientevent",
)


def _vacuum(ctx) -> None:
    """Clear the dead rows a previous rolled-back measurement left (outside a transaction)."""
    for table in _TOUCHED:
        ctx.sql(f"VACUUM ANALYZE {table}")


def run(ctx):
    from django.db import connection, transaction

    from ispgest.billing import numbering
    from ispgest.billing.engine import billing_run_execute
    from ispgest.billing.models import BillingRun
    from ispgest.catalog.models import BillingEntity, InvoiceType, PointOfSale
    from ispgest.webhooks.models import Delivery, Event, Subscription

    n = int(os.environ.get("BENCH_BILLING_CONTRACTS", "100000"))
    results = {}
    # Each measurement gets the same fresh set-up in its own transaction, rolled back after.
    _vacuum(ctx)
    try:
        with transaction.atomic():
            run_date = _setup(ctx, n)
            started = time.perf_counter()
            billing_run = billing_run_execute(BillingRun.objects.create(run_date=run_date))
            results["run"] = time.perf_counter() - started
            results["issued"] = billing_run.invoices_issued
            raise _Rollback
    except _Rollback:
        pass
    _vacuum(ctx)
    try:
        with transaction.atomic():
            run_date = _setup(ctx, n)
            entity = BillingEntity.objects.get(name="Bench S.A.")
            numbering.get_sequence(
                entity_id=entity.pk,
                kind="invoice",
                invoice_type_id=InvoiceType.objects.get(code="B").pk,
                pos_id=PointOfSale.objects.get(billing_entity=entity, number=99).pk,
            )
            results["sql"] = _sql_baseline(ctx, run_date)
            raise _Rollback
    except _Rollback:
        pass
    _vacuum(ctx)
    try:
        with transaction.atomic():
            run_date = _setup(ctx, n)
            Subscription.objects.create(
                name="Bench", url="http://127.0.0.1:9/bench", events=["invoice.issued"]
            )
            started = time.perf_counter()
            billing_run_execute(BillingRun.objects.create(run_date=run_date))
            results["hook_run"] = time.perf_counter() - started
            results["events"] = Event.objects.filter(type="invoice.issued").count()
            results["deliveries"] = Delivery.objects.count()
            callbacks = [callback for _sids, callback, _robust in connection.run_on_commit]
            connection.run_on_commit = []
            started = time.perf_counter()
            for callback in callbacks:
                callback()
            results["hook_commit"] = time.perf_counter() - started
            raise _Rollback
    except _Rollback:
        pass
    _vacuum(ctx)
    yield ctx.figure(
        "billing_run_100k_contracts_webhook",
        round(results["hook_run"], 2),
        "s",
        contracts=n,
        events=results["events"],
        deliveries=results["deliveries"],
        on_commit_s=round(results["hook_commit"], 2),
        note="the run with one subscription to invoice.issued; on_commit_s: the e-mail and "
        "delivery tasks enqueued",
    )
    yield ctx.figure(
        "billing_run_100k_contracts",
        round(results["run"], 2),
        "s",
        sql=round(results["sql"], 2),
        contracts=n,
        invoices=results["issued"],
        note="run: numbering, prorated lines, taxes, history rows, balances, e-mail tasks "
        "enqueued; sql: INSERT..SELECT of the same invoice and line rows",
    )

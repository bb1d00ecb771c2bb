"""VERI*FACTU: the cost of the fiscal layer on a billing run, and of a submission.

Everything happens in transactions rolled back at the end, so the database is left as it
was. The bench makes its own Spanish legal billing entity, a cycle on a day no other client
uses, and BENCH_FISCAL_CONTRACTS (default 100000) clients with a valid NIF and one contract
each, then:

1. times `billing_run_execute` for the entity WITHOUT a fiscal regime (rolled back);
2. times the same run with the entity under VERI*FACTU: every invoice gets its alta record,
   chained with its huella in the numbering transaction; ratio = (2) / (1), target < 1.5;
3. on those records (before the rollback): the time to build and XSD-validate one
   submission of 1,000 records (`queue.build_batch` + the SOAP envelope), the EXPLAIN
   ANALYZE of the queue's read (the next 1,000 pending records of an issuer) and of one of
   the issuer page's counts, and a recomputation of the whole chain (`chain_problems`).
"""

from __future__ import annotations

import os
import time
from datetime import date
from decimal import Decimal

from bench.__main__ import log
from bench.bench_billing import _defaults

RUN_DATE_MONTH = (2026, 11)


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
    "fiscal_record",
)


def _vacuum(ctx) -> None:
    for table in _TOUCHED:
        ctx.sql(f"VACUUM ANALYZE {table}")


def _setup(ctx, n: int, regime: str) -> date:
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

    install_country_defaults("ES")
    entity = BillingEntity.objects.create(
        name="Bench Telecomunicaciones S.L.",
        country="ES",
        tax_id="B98765431",
        tax_id_kind="NIF",
        address="Calle Bench 1, Madrid",
        fiscal_regime=regime,
    )
    allow_default_invoice_types(entity)
    PointOfSale.objects.create(billing_entity=entity, number=97)
    tax = Tax.objects.create(name="Bench IVA 21%", rate=Decimal("21"), included_in_price=False)
    used = set(
        BillingCycle.objects.filter(client__isnull=False).values_list("day_of_month", flat=True)
    )
    if ctx.sql("SELECT 1 FROM clients_client WHERE billing_cycle_id IS NULL LIMIT 1"):
        default = BillingCycle.objects.filter(is_default=True).first()
        if default is not None:
            used.add(default.day_of_month)
    day = next(d for d in range(28, 0, -1) if d not in used)
    cycle = BillingCycle.objects.create(name=f"Bench fiscal día {day}", day_of_month=day)
    condition = TaxCondition.objects.get(country="ES", name="Régimen general")
    invoice_type = InvoiceType.objects.get(code="Factura completa")
    plans = [
        Plan.objects.create(name=f"Bench fibra {i}", price=Decimal(f"{25 + i * 5}.90"))
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
            "tax_id": "'12345678Z'",
            "tax_id_kind": "'NIF'",
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
    cols, exprs = _defaults(
        ctx,
        "contracts_contract",
        {
            "client_id": "c.id",
            "status": "'active'",
            "address": "c.address",
            "plan_id": plan_case,
            "start_date": "DATE '2025-01-01'",
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


def _run(ctx, n: int, regime: str, results: dict, key: str, after=None) -> None:
    from django.db import transaction

    from ispgest.billing.engine import billing_run_execute
    from ispgest.billing.models import BillingRun

    _vacuum(ctx)
    try:
        with transaction.atomic():
            run_date = _setup(ctx, n, regime)
            started = time.perf_counter()
            run = billing_run_execute(BillingRun.objects.create(run_date=run_date), notify=False)
            results[key] = time.perf_counter() - started
            results[f"{key}_issued"] = run.invoices_issued
            results[f"{key}_errors"] = len(run.errors)
            log(f"bench_fiscal: {key} run {results[key]:.2f} s, {run.invoices_issued} invoices")
            if after is not None:
                after(results)
            raise _Rollback
    except _Rollback:
        pass


def _submission_figures(ctx, results: dict) -> None:
    from ispgest.fiscal.models import Issuer, Record
    from ispgest.fiscal.verifactu import queue, records
    from ispgest.fiscal.verifactu import xml as X

    issuer = Issuer.objects.get(nif="B98765431")
    results["records"] = Record.objects.filter(issuer=issuer).count()
    ctx.sql("ANALYZE fiscal_record")

    def build():
        batch = list(queue.pending(issuer)[: queue.BATCH])
        X.envelope(queue.build_batch(issuer, batch, incident=False))

    samples = ctx.time(build, repeat=5, warmup=1)
    results["batch_p50_ms"], results["batch_p95_ms"] = ctx.percentiles(samples)
    ctx.explain(
        "fiscal_queue_next_batch",
        "SELECT * FROM fiscal_record WHERE issuer_id = %s AND status = 'pending' "
        "AND environment = %s ORDER BY position LIMIT 1000",
        [issuer.pk, issuer.environment],
    )
    ctx.explain(
        "fiscal_issuer_count_rejected",
        "SELECT count(*) FROM fiscal_record WHERE issuer_id = %s AND status = 'rejected' "
        "AND environment = %s",
        [issuer.pk, issuer.environment],
    )
    started = time.perf_counter()
    results["chain_problems"] = len(records.chain_problems(issuer))
    results["chain_check_s"] = time.perf_counter() - started


def run(ctx):
    from django.conf import settings

    if not settings.ISPGEST_VERIFACTU_PRODUCER_NIF:
        settings.ISPGEST_VERIFACTU_PRODUCER_NIF = "A58700329"
    n = int(os.environ.get("BENCH_FISCAL_CONTRACTS", "100000"))
    results: dict = {}
    _run(ctx, n, "", results, "plain")
    _run(ctx, n, "verifactu", results, "fiscal", after=lambda r: _submission_figures(ctx, r))
    _vacuum(ctx)
    yield ctx.figure(
        "billing_run_with_verifactu",
        round(results["fiscal"], 2),
        "s",
        sql=round(results["plain"], 2),
        contracts=n,
        invoices=results["fiscal_issued"],
        records=results["records"],
        errors=results["fiscal_errors"],
        note="value: run of a Spanish entity under VERI*FACTU (alta record, huella, chain per "
        "invoice); sql_value here is the same run without the fiscal layer (ratio target < 1.5)",
    )
    yield ctx.figure(
        "verifactu_submission_1000_build_and_validate_p50",
        results["batch_p50_ms"],
        "ms",
        p95_ms=results["batch_p95_ms"],
        note="queue read of 1,000 pending records + RegFactuSistemaFacturacion XML + "
        "SuministroLR.xsd validation + SOAP envelope",
    )
    yield ctx.figure(
        "verifactu_chain_check",
        round(results["chain_check_s"], 2),
        "s",
        records=results["records"],
        problems=results["chain_problems"],
        note="recompute every huella and link of the issuer's chain",
    )

"""Getting clients in: the client import of a CSV and the bulk load of demo_data.

1. Import of BENCH_IMPORT_ROWS (default 100000) clients from a CSV written for the run
   (valid rows: names, documents and tax ids with their check digit, unique e-mails, phones,
   catalogs of the database by name, billing combinations the catalogs allow), through the
   product's steps and job: `import_upload`, the dry run (`import_start_check` and the
   `import_task` job) and the import in "todo o nada" mode (`import_start_run` and the job),
   into the benchmark database as it is. It runs in a subprocess (time and peak RSS) inside
   a transaction that is rolled back, and the stored file is deleted. The baseline is the
   plain SQL a DBA would write for the same result: COPY of the same file into a temporary
   table and one INSERT … SELECT into clients_client (catalogs joined by name; the search
   side table filled by its trigger) plus one into the history, also rolled back. Figures:
   `import_check_seconds` and `import_run_seconds` (target < 60 s each) with that baseline
   as `sql_value`/`ratio`, and the subprocess's `peak_rss_mb`.

2. Bulk load of BENCH_IMPORT_BULK (default 1000000) clients with the search side table
   through the path `manage.py demo_data` takes (`clients.demo` inside
   `clients.bulkload.BulkLoad`, which fills the side table with `searchsync.sync_missing`),
   into empty copies of the client tables in a scratch schema (`CREATE TABLE … (LIKE …
   INCLUDING ALL)`, the search triggers re-created there, `search_path` pointing at it; the
   catalogs are the database's own), so the figure is that of a fresh installation's load.
   The schema is created inside a transaction that is rolled back: nothing is left. Figures:
   `bulk_load_seconds` (target < 600 s) and one `bulk_load_<step>_seconds` per step (drop
   indexes, rows generated and copied, search side table, each index rebuilt, ANALYZE).

Knobs: BENCH_IMPORT_ROWS, BENCH_IMPORT_BULK (0 skips a part).
"""

from __future__ import annotations

import csv
import json
import os
import tempfile
from pathlib import Path

HEADERS = [
    "Tipo de persona",
    "Primer nombre",
    "Primer apellido",
    "Segundo apellido",
    "Razón social",
    "Documento/cédula",
    "E-mail",
    "Teléfono celular",
    "Teléfono",
    "Dirección",
    "Ciudad",
    "Provincia/estado/región",
    "Zona",
    "Vendedor",
    "Facturación habilitada",
    "Razón social de facturación",
    "Condición impositiva",
    "Tipo de factura",
    "Número de identificación tributaria",
    "Observaciones",
]


def _unique_names(rows):
    """Keep the rows whose name no other active row shares (the import matches by name)."""
    from collections import Counter

    from ispgest.clients.importing import normalise_header

    counts = Counter(normalise_header(r.name) for r in rows)
    return [r for r in rows if counts[normalise_header(r.name)] == 1]


def write_csv(path: Path, n: int, rng) -> None:
    """n valid client rows for the installation's country, every catalog value by name."""
    from ispgest.catalog.models import AllowedInvoiceType, City, Seller, Zone
    from ispgest.clients import demo
    from ispgest.core.country import get_profile

    profile = get_profile()
    country, default_kind = profile.code, profile.default_tax_id_kind
    cities = [c for c in _unique_names(City.objects.filter(active=True)) if c.region_id]
    regions = {c.pk: c.region.name for c in cities}
    zones = [z.name for z in _unique_names(Zone.objects.filter(active=True))]
    sellers = [s.name for s in _unique_names(Seller.objects.filter(active=True))]
    combos = [
        (a.billing_entity, a.tax_condition.name, a.invoice_type.name)
        for a in AllowedInvoiceType.objects.select_related(
            "billing_entity", "tax_condition", "invoice_type"
        ).filter(billing_entity__active=True, tax_condition__active=True, invoice_type__active=True)
    ]
    entity_names = {e.name for e in _unique_names({c[0] for c in combos})}
    combos = [c for c in combos if c[0].name in entity_names]
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(HEADERS)
        for i in range(n):
            legal = rng.random() < 0.2
            first, sur1, sur2 = (
                rng.choice(demo.FIRST_NAMES),
                rng.choice(demo.SURNAMES),
                rng.choice(demo.SURNAMES),
            )
            kind, tax_id, document = demo._tax_id(country, rng, legal)
            if kind != default_kind:
                tax_id = ""
            mobile_phone = demo._phones(country, rng)
            city = rng.choice(cities) if cities else None
            billing = [c for c in combos if tax_id or not c[0].is_legal]
            combo = rng.choice(billing) if billing and rng.random() < 0.85 else None
            company = f"{rng.choice(demo.COMPANY_WORDS)} {sur1} {rng.choice(demo.COMPANY_SUFFIX)}"
            out.writerow(
                [
                    "legal" if legal else "natural",
                    "" if legal else first,
                    "" if legal else sur1,
                    "" if legal else sur2,
                    company if legal else "",
                    document,
                    f"{demo._ascii(first)}.{demo._ascii(sur1)}.{i}@importacion.example.net",
                    mobile_phone[1],
                    mobile_phone[0] if rng.random() < 0.4 else "",
                    f"{rng.choice(demo.STREET_KIND)} {rng.choice(demo.STREETS)} "
                    f"{rng.randint(1, 4999)}",
                    city.name if city else "",
                    regions[city.pk] if city else "",
                    rng.choice(zones) if zones else "",
                    rng.choice(sellers) if sellers else "",
                    "Sí" if combo else "No",
                    combo[0].name if combo else "",
                    combo[1] if combo else "",
                    combo[2] if combo else "",
                    tax_id,
                    "Traído del sistema anterior" if rng.random() < 0.05 else "",
                ]
            )


# The import through the product's steps and job, in one transaction rolled back.
IMPORT_CODE = """
import json, time
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from ispgest.clients import importing
from ispgest.clients.models import DataImport
from ispgest.clients.tasks import import_task
from ispgest.core.models import Job

class Rollback(Exception):
    pass

out, stored = {}, None
try:
    with transaction.atomic():
        with open(CSV_PATH, "rb") as fh:
            t = time.perf_counter()
            imp = importing.import_upload(actor=None, uploaded=File(fh, name="clientes.csv"))
            out["upload_s"] = time.perf_counter() - t
        stored = imp.file.name
        out["unmapped"] = [h for i, h in enumerate(imp.headers) if str(i) not in imp.mapping]
        job = importing.import_start_check(actor=None, imp=imp)
        t = time.perf_counter()
        import_task.call(job.pk)
        out["check_s"] = time.perf_counter() - t
        imp = DataImport.objects.get(pk=imp.pk)
        out["rows"], out["valid"], out["invalid"] = imp.row_count, imp.valid_count, imp.error_count
        out["errors"] = imp.errors[:5]
        if imp.status == DataImport.Status.CHECKED and not imp.error_count:
            job = importing.import_start_run(actor=None, imp=imp, mode=DataImport.Mode.ALL)
            t = time.perf_counter()
            import_task.call(job.pk)
            out["run_s"] = time.perf_counter() - t
            imp = DataImport.objects.get(pk=imp.pk)
            out["imported"] = imp.imported_count
            out["run_errors"] = imp.errors[:5]
            out["job"] = Job.objects.get(pk=job.pk).status
        raise Rollback
except Rollback:
    pass
finally:
    if stored:
        default_storage.delete(stored)
with open(RESULT_PATH, "w") as fh:
    json.dump(out, fh)
"""

# The plain SQL of the same result: the CSV through COPY into a temporary table, then one
# INSERT ... SELECT into clients_client (catalogs joined by name) and one into the history.
BASELINE_CODE = """
import json, time
from django.db import connection, transaction
from ispgest.clients.models import Client

class Rollback(Exception):
    pass

n = len(HEADERS)
stage = ", ".join(f"c{i} text" for i in range(n))
col = {h: f"s.c{i}" for i, h in enumerate(HEADERS)}
name = (f"CASE WHEN {col['Tipo de persona']} = 'legal' THEN {col['Razón social']} ELSE "
        f"concat_ws(' ', {col['Primer nombre']}, {col['Primer apellido']}, "
        f"NULLIF({col['Segundo apellido']}, '')) END")
expr = {
    "person_type": col["Tipo de persona"],
    "first_name": col["Primer nombre"],
    "first_surname": col["Primer apellido"],
    "second_surname": col["Segundo apellido"],
    "legal_name": col["Razón social"],
    "name": name,
    "sort_name": f"lower({name})",
    "search_text": f"lower(concat_ws(' ', {name}, {col['E-mail']}, {col['Documento/cédula']}, "
                   f"{col['Número de identificación tributaria']}, {col['Teléfono celular']}, "
                   f"{col['Teléfono']}))",
    "document_number": col["Documento/cédula"],
    "email": f"NULLIF({col['E-mail']}, '')",
    "mobile": col["Teléfono celular"],
    "phone": col["Teléfono"],
    "address": col["Dirección"],
    "notes": col["Observaciones"],
    "tax_id": col["Número de identificación tributaria"],
    "billing_enabled": f"{col['Facturación habilitada']} = 'Sí'",
    "city_id": "ci.id", "region_id": "r.id", "zone_id": "z.id", "seller_id": "se.id",
    "billing_entity_id": "be.id", "tax_condition_id": "tc.id", "invoice_type_id": "it.id",
    "created_at": "now()", "updated_at": "now()",
}
columns, values, params = [], [], []
for f in Client._meta.concrete_fields:
    if f.primary_key:
        continue
    columns.append(f.column)
    if f.column in expr:
        values.append(expr[f.column])
    else:
        default = f.get_default() if f.has_default() else ("" if not f.null else None)
        values.append("%s")
        params.append(f.get_db_prep_save(default, connection))
joins = (
    f"LEFT JOIN catalog_city ci ON ci.name = {col['Ciudad']} "
    f"LEFT JOIN catalog_region r ON r.name = {col['Provincia/estado/región']} "
    f"LEFT JOIN catalog_zone z ON z.name = {col['Zona']} "
    f"LEFT JOIN catalog_seller se ON se.name = {col['Vendedor']} "
    f"LEFT JOIN catalog_billingentity be ON be.name = {col['Razón social de facturación']} "
    f"LEFT JOIN catalog_taxcondition tc ON tc.name = {col['Condición impositiva']} "
    f"LEFT JOIN catalog_invoicetype it ON it.name = {col['Tipo de factura']}"
)
out = {}
try:
    with transaction.atomic(), connection.cursor() as cursor:
        t = time.perf_counter()
        cursor.execute(f"CREATE TEMP TABLE import_stage ({stage}) ON COMMIT DROP")
        with cursor.cursor.copy("COPY import_stage FROM STDIN (FORMAT csv, HEADER true, NULL '~null~')") as cp:
            with open(CSV_PATH, "rb") as fh:
                while data := fh.read(1 << 20):
                    cp.write(data)
        cursor.execute("SELECT COALESCE(max(id), 0) FROM clients_client")
        first = cursor.fetchone()[0]
        cursor.execute(
            f"INSERT INTO clients_client ({', '.join(columns)}) "
            f"SELECT {', '.join(values)} FROM import_stage s {joins}",
            params,
        )
        out["inserted"] = cursor.rowcount
        cursor.execute(
            "INSERT INTO clients_clientevent (client_id, created_at, kind, action, entry_type, "
            "summary, changes, object_type, object_id) SELECT id, now(), 'auto', "
            "'client.imported', '', 'Cliente importado', '{}'::jsonb, 'clients.dataimport', "
            "'0' FROM clients_client WHERE id > %s",
            [first],
        )
        out["seconds"] = time.perf_counter() - t
        raise Rollback
except Rollback:
    pass
with open(RESULT_PATH, "w") as fh:
    json.dump(out, fh)
"""

# The demo_data bulk path into empty copies of the client tables in a scratch schema.
BULK_CODE = """
import io, json, random, time
from django.db import connection, transaction
from ispgest.clients import demo, searchsync
from ispgest.clients.bulkload import BulkLoad
from ispgest.core.country import get_profile
from ispgest.core.management.commands.demo_data import DemoContext

TABLES = ["clients_client", "clients_clientevent", "clients_contact", "clients_bankmandate",
          "clients_gatewayaccount", searchsync.TABLE]
SCHEMA = "bench_bulk_load"

class Rollback(Exception):
    pass

steps = []

def timed(execute, sql, params, many, context):
    head = sql.lstrip()[:160]
    kind = None
    if head.startswith("DROP INDEX"):
        kind = "drop_indexes"
    elif head.startswith("INSERT INTO " + searchsync.TABLE):
        kind = "search_sync"
    elif head.startswith("CREATE INDEX") or head.startswith("CREATE UNIQUE INDEX"):
        kind = "index " + head.split()[2 if head.startswith("CREATE INDEX") else 3].strip('"')
    elif head.startswith("ANALYZE"):
        kind = "analyze"
    t = time.perf_counter()
    try:
        return execute(sql, params, many, context)
    finally:
        if kind:
            steps.append((kind, time.perf_counter() - t))

out = {}
try:
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_schema()")
            source = cursor.fetchone()[0]
            cursor.execute(f"CREATE SCHEMA {SCHEMA}")
            for table in TABLES:
                cursor.execute(
                    f"CREATE TABLE {SCHEMA}.{table} (LIKE {source}.{table} INCLUDING ALL)"
                )
            cursor.execute(f"SET LOCAL search_path = {SCHEMA}, {source}")
            for sql in searchsync.PG_FORWARD:
                cursor.execute(sql)
        ctx = DemoContext(clients=BULK, seed=SEED, country=get_profile().code,
                          rng=random.Random(SEED), stdout=io.StringIO())
        with connection.execute_wrapper(timed):
            t0 = time.perf_counter()
            load = BulkLoad(BULK)
            with load:
                t1 = time.perf_counter()
                demo._generate(ctx, BULK)
                t2 = time.perf_counter()
            t3 = time.perf_counter()
        out["indexes_dropped"] = load.enabled
        out["total_s"] = t3 - t0
        out["rows_s"] = t2 - t1
        out["steps"] = steps
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM {SCHEMA}.clients_client")
            out["clients"] = cursor.fetchone()[0]
            cursor.execute(f"SELECT count(*) FROM {SCHEMA}.{searchsync.TABLE}")
            out["search_rows"] = cursor.fetchone()[0]
        raise Rollback
except Rollback:
    pass
with open(RESULT_PATH, "w") as fh:
    json.dump(out, fh)
"""


def _child(ctx, code: str, **names) -> tuple[dict, float, float]:
    """Run code in ctx.subprocess with the given names bound; (its result, s, peak MB)."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as fh:
        result = Path(fh.name)
    try:
        binds = "".join(f"{k} = {v!r}\n" for k, v in {**names, "RESULT_PATH": str(result)}.items())
        seconds, rss = ctx.subprocess(binds + code)
        return json.loads(result.read_text() or "{}"), seconds, rss
    finally:
        result.unlink(missing_ok=True)


def _import(ctx, n: int):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "clientes.csv"
        write_csv(path, n, ctx.rng)
        size_mb = round(path.stat().st_size / 1e6, 1)
        app, _s, rss = _child(ctx, IMPORT_CODE, CSV_PATH=str(path))
        if app.get("unmapped") or app.get("invalid") or app.get("imported") != n:
            raise RuntimeError(f"bench_import: the import did not take every row: {app}")
        base, _s, base_rss = _child(ctx, BASELINE_CODE, CSV_PATH=str(path), HEADERS=HEADERS)
        if base.get("inserted") != n:
            raise RuntimeError(f"bench_import: the COPY baseline inserted {base}")
    # The rolled-back rows are dead tuples; later modules measure a settled database.
    for table in ("clients_client", "clients_clientevent", "clients_clientsearch"):
        ctx.sql(f"VACUUM ANALYZE {table}")
    extra = {"rows": n, "file_mb": size_mb, "peak_rss_mb": rss, "sql_peak_rss_mb": base_rss}
    yield ctx.figure(
        "import_check_seconds",
        round(app["check_s"], 2),
        "s",
        sql=round(base["seconds"], 2),
        target_s=60,
        **extra,
    )
    yield ctx.figure(
        "import_run_seconds",
        round(app["run_s"], 2),
        "s",
        sql=round(base["seconds"], 2),
        target_s=60,
        upload_s=round(app["upload_s"], 2),
        **extra,
    )


def _bulk(ctx, n: int):
    seed = ctx.rng.randrange(1 << 30)
    out, _s, rss = _child(ctx, BULK_CODE, BULK=n, SEED=seed)
    if out.get("clients") != n or out.get("search_rows") != n:
        raise RuntimeError(f"bench_import: the bulk load wrote {out}")
    steps: dict[str, float] = {}
    for kind, seconds in out["steps"]:
        steps[kind] = steps.get(kind, 0.0) + seconds
    indexes = {k.removeprefix("index "): v for k, v in steps.items() if k.startswith("index ")}
    yield ctx.figure(
        "bulk_load_seconds",
        round(out["total_s"], 2),
        "s",
        target_s=600,
        rows=n,
        indexes_dropped=out["indexes_dropped"],
        peak_rss_mb=rss,
    )
    named = [
        ("drop_indexes", steps.get("drop_indexes", 0.0)),
        ("rows", out["rows_s"]),
        ("search_sync", steps.get("search_sync", 0.0)),
        ("index_build", sum(indexes.values())),
        ("analyze", steps.get("analyze", 0.0)),
    ]
    for name, seconds in named:
        extra = {}
        if name == "index_build" and indexes:
            slowest = max(indexes, key=indexes.get)
            extra = {"indexes": len(indexes), "slowest": slowest}
            extra["slowest_s"] = round(indexes[slowest], 2)
        yield ctx.figure(f"bulk_load_{name}_seconds", round(seconds, 2), "s", rows=n, **extra)


def run(ctx):
    rows = int(os.environ.get("BENCH_IMPORT_ROWS", "100000"))
    bulk = int(os.environ.get("BENCH_IMPORT_BULK", "1000000"))
    if rows > 0:
        yield from _import(ctx, rows)
    if bulk > 0:
        yield from _bulk(ctx, bulk)

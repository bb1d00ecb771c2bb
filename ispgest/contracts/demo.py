"""Demo data: plans, routers, renewable packages, and for most clients one or two contracts
with their plan history, status log, equipment and a few package assignments.

Big tables are written in chunks of clients with explicit ids: PostgreSQL gets COPY,
SQLite `executemany`; memory stays constant whatever the number of clients. Stores
ctx.data["plan_ids"], ["router_ids"], ["package_ids"] and ["contract_id_range"].
"""

from __future__ import annotations

import datetime as dt
from datetime import date, timedelta
from decimal import Decimal

from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from ispgest.catalog.models import PaymentMethod, Product, Tax, Zone
from ispgest.clients.models import Client
from ispgest.contracts.models import (
    Contract,
    ContractStatus,
    ContractStatusChange,
    Equipment,
    PackageAssignment,
    PackageAssignmentLine,
    Plan,
    PlanAssignment,
    RenewablePackage,
    RenewablePackageLine,
)
from ispgest.core.dates import add_months
from ispgest.core.money import round_money

CHUNK = 20_000

# (city, latitude, longitude) per country: service addresses are scattered around them.
CITIES = {
    "AR": [
        ("Córdoba", -31.4201, -64.1888),
        ("Buenos Aires", -34.6037, -58.3816),
        ("Rosario", -32.9442, -60.6505),
        ("Mendoza", -32.8895, -68.8458),
    ],
    "CO": [
        ("Bogotá", 4.7110, -74.0721),
        ("Medellín", 6.2442, -75.5812),
        ("Cali", 3.4516, -76.5320),
    ],
    "EC": [
        ("Quito", -0.1807, -78.4678),
        ("Guayaquil", -2.1709, -79.9224),
        ("Cuenca", -2.9001, -79.0059),
    ],
    "MX": [
        ("Ciudad de México", 19.4326, -99.1332),
        ("Guadalajara", 20.6597, -103.3496),
        ("Monterrey", 25.6866, -100.3161),
    ],
    "ES": [
        ("Madrid", 40.4168, -3.7038),
        ("Valencia", 39.4699, -0.3763),
        ("Sevilla", 37.3891, -5.9845),
    ],
    "OTHER": [("Ciudad de Panamá", 8.9824, -79.5199), ("David", 8.4273, -82.4308)],
}
STREETS = [
    "Av. San Martín",
    "Belgrano",
    "Rivadavia",
    "Sarmiento",
    "Mitre",
    "Av. Libertad",
    "Bolívar",
    "Calle Mayor",
    "Av. de la Paz",
    "Independencia",
    "Colón",
    "Los Álamos",
    "Las Heras",
    "Av. Constitución",
    "Juárez",
    "Hidalgo",
    "Morelos",
    "Av. Sucre",
    "Santander",
    "Olmos",
]
# (Mbps, price) per currency, plus the installation fee.
PRICES = {
    "ARS": ([(10, "8500"), (30, "12900"), (100, "18900"), (300, "28900")], "25000"),
    "COP": ([(10, "59900"), (30, "79900"), (100, "109900"), (300, "159900")], "100000"),
    "MXN": ([(10, "299"), (30, "399"), (100, "549"), (300, "799")], "500"),
    "EUR": ([(10, "19.90"), (30, "25.90"), (100, "32.90"), (300, "44.90")], "60"),
    "USD": ([(10, "20"), (30, "28"), (100, "38"), (300, "55")], "50"),
}


def _catalogs(ctx) -> dict:
    from ispgest.core.country import get_profile

    profile = get_profile(ctx.country)
    tiers, install_fee = PRICES.get(profile.currency, PRICES["USD"])
    tax = Tax.objects.filter(active=True).order_by("-rate", "id").first()
    plans = []
    for mbps, price in tiers:
        kbps = mbps * 1000
        plan, _ = Plan.objects.get_or_create(
            name=f"Internet {mbps} Mbps",
            defaults={
                "price": Decimal(price),
                "currency": profile.currency,
                "tax": tax,
                "download_kbps": kbps,
                "upload_kbps": kbps // (10 if mbps < 100 else 2),
                "burst_download_kbps": kbps * 3 // 2,
                "burst_upload_kbps": kbps // (10 if mbps < 100 else 2) * 3 // 2,
                "burst_threshold_download_kbps": kbps * 3 // 4,
                "burst_threshold_upload_kbps": kbps // (10 if mbps < 100 else 2) * 3 // 4,
                "burst_time_seconds": 16,
            },
        )
        plans.append(plan)
    fee, _ = Plan.objects.get_or_create(
        name="Instalación",
        defaults={
            "price": Decimal(install_fee),
            "currency": profile.currency,
            "tax": tax,
            "kind": Plan.Kind.ONE_OFF,
        },
    )
    zones = list(Zone.objects.filter(active=True).order_by("id").values_list("id", flat=True))
    Router = Contract._meta.get_field("router").related_model  # noqa: N806 (network's model)
    routers = []
    for i, name in enumerate(["Nodo Centro", "Nodo Norte", "Nodo Sur", "Nodo Oeste"]):
        router, _ = Router.objects.get_or_create(
            name=name,
            defaults={
                "host": f"10.{i + 1}.0.1",
                "username": "ispgest",
                "zone_id": zones[i % len(zones)] if zones else None,
            },
        )
        routers.append(router)
    device, _ = Product.objects.get_or_create(
        name="Router WiFi doble banda",
        defaults={"code": "RTR-AC", "brand": "MikroTik", "model": "hAP ac2", "tax": tax},
    )
    onu, _ = Product.objects.get_or_create(
        name="ONU GPON",
        defaults={"code": "ONU-G", "brand": "Huawei", "model": "HG8145", "tax": tax},
    )
    packages = []
    for name, months, lines in [
        ("Mantenimiento anual", 12, [("Mantenimiento preventivo", "1", "0.60")]),
        ("IP fija", 1, [("Dirección IP pública fija", "1", "0.25")]),
        ("Dominio y correo", 12, [("Dominio .com", "1", "0.80"), ("Buzón de correo", "3", "0.20")]),
    ]:
        package, created = RenewablePackage.objects.get_or_create(
            name=name, defaults={"renewal_months": months}
        )
        if created:
            base = plans[1].price
            RenewablePackageLine.objects.bulk_create(
                RenewablePackageLine(
                    package=package,
                    description=desc,
                    quantity=Decimal(qty),
                    unit_price=round_money(base * Decimal(factor)),
                    tax=tax,
                    position=pos,
                )
                for pos, (desc, qty, factor) in enumerate(lines)
            )
        packages.append(package)
    methods = list(
        PaymentMethod.objects.filter(active=True).order_by("id").values_list("id", flat=True)
    )
    return {
        "plans": plans,
        "fee": fee,
        "zones": zones,
        "routers": [r.pk for r in routers],
        "devices": [device.pk, onu.pk],
        "packages": [(p, list(p.lines.all())) for p in packages],
        "methods": methods,
        "cities": CITIES.get(ctx.country, CITIES["OTHER"]),
    }


class _Writer:
    """Appends rows to tables: COPY on PostgreSQL, executemany elsewhere."""

    def __init__(self):
        self.pg = connection.vendor == "postgresql"

    def write(self, model, columns: list[str], rows: list[tuple]) -> None:
        if not rows:
            return
        table = model._meta.db_table
        cols = ", ".join(columns)
        with connection.cursor() as cursor:
            if self.pg:
                with cursor.cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(columns))
                cursor.executemany(
                    f"INSERT INTO {table} ({cols}) VALUES ({marks})",  # noqa: S608 (fixed names)
                    [tuple(self._sqlite(v) for v in row) for row in rows],
                )

    @staticmethod
    def _sqlite(value):
        if isinstance(value, dt.datetime):
            return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(" ")
        if isinstance(value, (date, Decimal)):
            return str(value)
        return value

    def skip_fk_triggers(self) -> None:
        """PostgreSQL: inside the current transaction, skip the per-row deferred foreign-key
        triggers (the bulk of the load time). Only a superuser (or a role granted SET on the
        parameter) may; otherwise the checks simply run. The rows reference ids read from
        the database just before, and unique/exclusion/check constraints still apply."""
        if not self.pg:
            return
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SET LOCAL session_replication_role = replica")
        except DatabaseError:
            pass

    def vacuum_analyze(self, *models) -> None:
        """Fresh planner statistics and visibility map after a bulk load: counts and
        filtered pages on a million rows go from ~0.5 s to tens of ms."""
        if not self.pg:
            return
        verb = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
        with connection.cursor() as cursor:
            for model in models:
                cursor.execute(f"{verb} {model._meta.db_table}")

    def reset_sequences(self, *models) -> None:
        if not self.pg:
            return
        with connection.cursor() as cursor:
            for model in models:
                table = model._meta.db_table
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                    f"COALESCE((SELECT MAX(id) FROM {table}), 1))"
                )


def _next_id(model) -> int:
    last = model.objects.order_by("-id").values_list("id", flat=True).first()
    return (last or 0) + 1


def _client_ids(ctx):
    ids = ctx.data.get("client_ids")
    if ids is not None:
        return ids
    return Client.objects.order_by("pk").values_list("pk", flat=True).iterator(chunk_size=CHUNK)


def _chunks(iterable, size):
    chunk = []
    for item in iterable:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


CONTRACT_COLS = [
    "id",
    "created_at",
    "updated_at",
    "client_id",
    "status",
    "address",
    "city_id",
    "latitude",
    "longitude",
    "zone_id",
    "router_id",
    "plan_id",
    "start_date",
    "end_date",
    "payment_method_id",
    "notes",
    "status_changed_at",
]
ASSIGN_COLS = [
    "id",
    "created_at",
    "updated_at",
    "contract_id",
    "plan_id",
    "price",
    "start_date",
    "end_date",
    "created_by_id",
]
CHANGE_COLS = [
    "id",
    "contract_id",
    "from_status",
    "to_status",
    "effective_date",
    "changed_at",
    "actor_id",
    "reason",
]
EQUIP_COLS = [
    "id",
    "created_at",
    "updated_at",
    "client_id",
    "contract_id",
    "product_id",
    "description",
    "serial_number",
    "mac_address",
    "ip_address",
    "installed_on",
    "technician_id",
    "status",
    "retired_on",
    "notes",
]


def generate(ctx) -> None:
    rng = ctx.rng
    cat = _catalogs(ctx)
    plans, cities, zones, routers = cat["plans"], cat["cities"], cat["zones"], cat["routers"]
    methods, devices = cat["methods"], cat["devices"]
    writer = _Writer()
    now = timezone.now()
    today = timezone.localdate()
    first_day = date(2019, 1, 1)
    span = (today - timedelta(days=30) - first_day).days
    ids = {
        "contract": _next_id(Contract),
        "assign": _next_id(PlanAssignment),
        "change": _next_id(ContractStatusChange),
        "equip": _next_id(Equipment),
        "pkg": _next_id(PackageAssignment),
        "pkgline": _next_id(PackageAssignmentLine),
    }
    first_contract = ids["contract"]
    plan_weights = [0.15, 0.40, 0.35, 0.10]
    counts = {"contracts": 0, "assignments": 0, "changes": 0, "equipment": 0, "packages": 0}

    for chunk in _chunks(_client_ids(ctx), CHUNK):
        contracts, assigns, changes, equipment, pkgs, pkglines = [], [], [], [], [], []
        for client_id in chunk:
            roll = rng.random()
            n = 0 if roll < 0.05 else (2 if roll > 0.75 else 1)
            for _ in range(n):
                cid = ids["contract"]
                ids["contract"] += 1
                city, lat0, lon0 = rng.choice(cities)
                lat = Decimal(f"{lat0 + rng.uniform(-0.08, 0.08):.6f}")
                lon = Decimal(f"{lon0 + rng.uniform(-0.08, 0.08):.6f}")
                address = f"{rng.choice(STREETS)} {rng.randint(1, 4999)}, {city}"
                start = first_day + timedelta(days=rng.randint(0, span))
                plan = rng.choices(plans, plan_weights)[0]
                s = rng.random()
                status = (
                    ContractStatus.ACTIVE
                    if s < 0.80
                    else ContractStatus.SUSPENDED
                    if s < 0.88
                    else ContractStatus.CANCELLED
                    if s < 0.95
                    else ContractStatus.PENDING_INSTALLATION
                )
                installed = start + timedelta(days=rng.randint(1, 10))
                if installed >= today:
                    status = ContractStatus.PENDING_INSTALLATION
                end = None
                log = [("", ContractStatus.PENDING_INSTALLATION, start, "Alta del contrato")]
                if status != ContractStatus.PENDING_INSTALLATION:
                    log.append((ContractStatus.PENDING_INSTALLATION, "active", installed, ""))
                later = installed + timedelta(days=rng.randint(0, max((today - installed).days, 0)))
                if status == ContractStatus.SUSPENDED:
                    log.append(("active", "suspended", later, "Falta de pago"))
                elif status == ContractStatus.CANCELLED:
                    end = later
                    log.append(("active", "cancelled", later, "Baja solicitada por el cliente"))
                # plan history: a fifth of the contracts changed plan once
                history = []
                if rng.random() < 0.2 and plan != plans[0] and (end or today) > installed:
                    change_day = installed + timedelta(
                        days=rng.randint(0, ((end or today) - installed).days)
                    )
                    older = plans[max(plans.index(plan) - 1, 0)]
                    history.append((older, start, change_day))
                    history.append((plan, change_day, end))
                else:
                    history.append((plan, start, end))
                contracts.append(
                    (
                        cid,
                        now,
                        now,
                        client_id,
                        status,
                        address,
                        None,
                        lat,
                        lon,
                        rng.choice(zones) if zones else None,
                        rng.choice(routers),
                        plan.pk,
                        start,
                        end,
                        rng.choice(methods) if methods else None,
                        "",
                        now,
                    )
                )
                for p, a_start, a_end in history:
                    assigns.append(
                        (ids["assign"], now, now, cid, p.pk, p.price, a_start, a_end, None)
                    )
                    ids["assign"] += 1
                for frm, to, on, reason in log:
                    changes.append((ids["change"], cid, frm, to, on, now, None, reason))
                    ids["change"] += 1
                if status != ContractStatus.PENDING_INSTALLATION and rng.random() < 0.3:
                    eid = ids["equip"]
                    ids["equip"] += 1
                    # Locally administered MACs derived from the id: unique by construction.
                    mac = "02:" + ":".join(f"{(eid >> s) & 0xFF:02X}" for s in (32, 24, 16, 8, 0))
                    retired = status == ContractStatus.CANCELLED
                    equipment.append(
                        (
                            eid,
                            now,
                            now,
                            client_id,
                            cid,
                            rng.choice(devices),
                            "",
                            f"SN{eid:010d}",
                            mac,
                            None,
                            installed,
                            None,
                            "retired" if retired else "installed",
                            end if retired else None,
                            "",
                        )
                    )
            if n and rng.random() < 0.02:
                package, lines = rng.choice(cat["packages"])
                pstart = first_day + timedelta(days=rng.randint(0, span))
                nxt = add_months(pstart, package.renewal_months)
                while nxt < today:
                    nxt = add_months(nxt, package.renewal_months)
                pid = ids["pkg"]
                ids["pkg"] += 1
                pkgs.append(
                    PackageAssignment(
                        id=pid,
                        client_id=client_id,
                        package=package,
                        start_date=pstart,
                        renewal_months=package.renewal_months,
                        next_renewal_date=nxt,
                    )
                )
                for line in lines:
                    pkglines.append(
                        PackageAssignmentLine(
                            id=ids["pkgline"],
                            assignment_id=pid,
                            description=line.description,
                            quantity=line.quantity,
                            unit_price=line.unit_price,
                            tax_id=line.tax_id,
                            position=line.position,
                        )
                    )
                    ids["pkgline"] += 1
        with transaction.atomic():
            writer.skip_fk_triggers()
            writer.write(Contract, CONTRACT_COLS, contracts)
            writer.write(PlanAssignment, ASSIGN_COLS, assigns)
            writer.write(ContractStatusChange, CHANGE_COLS, changes)
            writer.write(Equipment, EQUIP_COLS, equipment)
            PackageAssignment.objects.bulk_create(pkgs)
            PackageAssignmentLine.objects.bulk_create(pkglines)
        counts["contracts"] += len(contracts)
        counts["assignments"] += len(assigns)
        counts["changes"] += len(changes)
        counts["equipment"] += len(equipment)
        counts["packages"] += len(pkgs)
    writer.reset_sequences(
        Contract,
        PlanAssignment,
        ContractStatusChange,
        Equipment,
        PackageAssignment,
        PackageAssignmentLine,
    )
    writer.vacuum_analyze(
        Contract,
        PlanAssignment,
        ContractStatusChange,
        Equipment,
        PackageAssignment,
        PackageAssignmentLine,
    )
    ctx.data["plan_ids"] = [p.pk for p in plans]
    ctx.data["installation_plan_id"] = cat["fee"].pk
    ctx.data["router_ids"] = routers
    ctx.data["package_ids"] = [p.pk for p, _ in cat["packages"]]
    ctx.data["contract_id_range"] = (first_contract, ids["contract"] - 1)
    ctx.log(
        f"  contratos: {counts['contracts']} contratos, {counts['assignments']} asignaciones de "
        f"tarifa, {counts['changes']} cambios de estado, {counts['equipment']} equipos, "
        f"{counts['packages']} renovaciones"
    )

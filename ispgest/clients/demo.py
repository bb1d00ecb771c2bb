"""Demo clients: realistic Spanish-language records for the installation's country.

`generate(ctx)` writes ctx.clients clients with names (accents included, so searches for
"maría" or "gonzález" find many), a mix of person types, check-digit-valid tax ids and
documents for ctx.country, phones, addresses, some notify e-mails, some direct-debit mandates
with valid IBANs, gateway accounts, contacts, and one "client created" history row each. It
stores the id range in ctx.data["client_ids"] (a range) and ctx.data["client_id_min"/"max"].

Speed: rows are generated in chunks (memory stays flat) and written with COPY on PostgreSQL
and executemany batches on SQLite, with explicit ids reserved up front; search_text and
sort_name come from Client.refresh_search_fields itself, so they match what services write.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, date, datetime, timedelta

from django.db import connection, transaction
from stdnum import iban as std_iban
from stdnum.ar import cuit
from stdnum.co import nit
from stdnum.ec import ci as ec_ci
from stdnum.es import ccc, dni
from stdnum.mx import rfc

from ispgest.clients.bulkload import BulkLoad as _BulkLoad
from ispgest.clients.bulkload import SearchFields as _SearchFields
from ispgest.clients.bulkload import with_search_fields as _with_search_fields
from ispgest.clients.models import BankMandate, Client, ClientEvent, Contact, GatewayAccount
from ispgest.core.bulk import column_defaults as _column_defaults
from ispgest.core.bulk import columns as _columns
from ispgest.core.bulk import db_timestamp as _ts
from ispgest.core.bulk import reserve_ids as _reserve_ids
from ispgest.core.bulk import write_rows as _write

FIRST_NAMES = (
    "María José Juan Ana Luis Carmen Jorge Lucía Carlos Sofía Martín Valentina Andrés Camila "
    "Julián Mónica Ramón Inés Raúl Verónica Sebastián Paula Tomás Florencia Nicolás Agustina "
    "Ángel Belén Facundo Gabriela Héctor Jimena Joaquín Rocío Óscar Noelia Iván Pilar Hernán "
    "Elena Álvaro Natalia Rubén Lorena Íñigo Sara Víctor Marta Matías Daniela Fernando Laura"
).split()
SURNAMES = (
    "González Rodríguez Fernández López Martínez García Pérez Sánchez Gómez Díaz Álvarez "
    "Romero Sosa Torres Ruiz Ramírez Flores Benítez Acosta Medina Herrera Suárez Aguirre "
    "Giménez Gutiérrez Molina Castro Ortiz Núñez Muñoz Peña Ibáñez Rojas Morales Ríos "
    "Domínguez Vázquez Jiménez Castaño Salazar Cárdenas Quiñones Zúñiga Mejía Ordóñez"
).split()
COMPANY_WORDS = (
    "Distribuidora Comercial Servicios Agropecuaria Construcciones Transportes Ferretería "
    "Panadería Farmacia Librería Estudio Consultora Inmobiliaria Taller Almacén"
).split()
COMPANY_SUFFIX = ("S.R.L.", "S.A.", "S.A.S.", "S.L.", "y Asociados", "Hnos.")
STREETS = (
    "San Martín|Belgrano|Rivadavia|Sarmiento|Mitre|Bolívar|Colón|Independencia|"
    "Avenida de Mayo|Los Álamos|Las Acacias|del Carmen|Simón Bolívar|Juárez|Hidalgo|"
    "Gran Vía|Alcalá|de la Constitución|Reforma|Ñandubay"
).split("|")
STREET_KIND = ("Calle", "Av.", "Pasaje", "Camino")
CONTACT_ROLES = [r for r, _ in Contact.Role.choices]
CHUNK = {"postgresql": 50_000, "sqlite": 10_000}


# --- Tax ids and documents, valid for each country ---------------------------------------


def _digits(rng: random.Random, n: int) -> str:
    return str(rng.randrange(10 ** (n - 1), 10**n))


# Area codes people actually dial, so demo phones look like the country's.
_AR_AREAS = (("11", 4), ("341", 3), ("351", 3), ("261", 3), ("221", 3), ("381", 3))
_MX_AREAS = ("55", "33", "81", "222", "442")


def _phones(country: str, rng: random.Random) -> tuple[str, str]:
    """A landline and a mobile number written as the country writes them."""
    if country == "AR":
        area, width = rng.choice(_AR_AREAS)
        local = 8 - len(area) + 2  # AR numbers have 10 digits with the area code
        line = _digits(rng, local)
        cut = local - 4
        return (
            f"0{area} {line[:cut]}-{line[cut:]}",
            f"+54 9 {area} {_digits(rng, cut)}-{_digits(rng, 4)}",
        )
    if country == "CO":
        return (
            f"601 {_digits(rng, 3)} {_digits(rng, 4)}",
            f"+57 3{rng.randint(0, 2)}{rng.randint(0, 9)} {_digits(rng, 3)} {_digits(rng, 4)}",
        )
    if country == "EC":
        return (
            f"0{rng.randint(2, 7)} {_digits(rng, 3)} {_digits(rng, 4)}",
            f"+593 9{rng.randint(5, 9)} {_digits(rng, 3)} {_digits(rng, 4)}",
        )
    if country == "MX":
        area = rng.choice(_MX_AREAS)
        rest = 10 - len(area)
        return (
            f"{area} {_digits(rng, rest - 4)} {_digits(rng, 4)}",
            f"+52 {area} {_digits(rng, rest - 4)} {_digits(rng, 4)}",
        )
    if country == "ES":
        return (
            f"9{rng.randint(1, 8)}{rng.randint(0, 9)} {_digits(rng, 3)} {_digits(rng, 3)}",
            f"+34 6{_digits(rng, 2)} {_digits(rng, 3)} {_digits(rng, 3)}",
        )
    return (
        f"{_digits(rng, 3)} {_digits(rng, 4)}",
        f"+1 {_digits(rng, 3)} {_digits(rng, 3)} {_digits(rng, 4)}",
    )


def _tax_id(country: str, rng: random.Random, legal: bool) -> tuple[str, str, str]:
    """(tax id kind, compact tax id, identity document)."""
    if country == "AR":
        while True:
            doc = _digits(rng, 8)
            base = ("30" if legal else rng.choice(("20", "27", "23"))) + doc
            # calc_check_digit maps every remainder to a digit, so the result is valid.
            return "CUIT", base + cuit.calc_check_digit(base), "" if legal else doc
    if country == "CO":
        doc = _digits(rng, 10 if not legal else 9)
        if legal:
            number = "9" + doc[1:]
            return "NIT", number + nit.calc_check_digit(number), ""
        return "CC", doc, doc
    if country == "EC":
        while True:
            base = f"{rng.randint(1, 24):02d}{rng.randint(0, 5)}{_digits(rng, 6)}"
            for check in "0123456789":
                if ec_ci.is_valid(base + check):
                    cedula = base + check
                    return "CI", cedula, cedula
    if country == "MX":
        letters = "ABCDEFGHJKLMNPRSTUVWXYZ"
        while True:
            head = "".join(rng.choice(letters) for _ in range(3 if legal else 4))
            born = date(1950, 1, 1) + timedelta(days=rng.randrange(0, 20000))
            homoclave = rng.choice("123456789ABCDEFGHJKLMNPRSTUV") + rng.choice("123456789")
            base = head + born.strftime("%y%m%d") + homoclave
            value = base + rfc.calc_check_digit(base)
            if value[-1] in "0123456789A" and rfc.is_valid(value):
                curp = "" if legal else head + born.strftime("%y%m%d") + _digits(rng, 4)
                return "RFC", value, curp
    if country == "ES":
        if legal:
            from stdnum.es import cif

            while True:
                base = rng.choice("ABG") + _digits(rng, 7)
                value = base + cif.calc_check_digits(base)[0]
                if cif.is_valid(value):
                    return "NIF", value, ""
        digits = _digits(rng, 8)
        value = digits + dni.calc_check_digit(digits)
        return "NIF", value, value
    doc = _digits(rng, 9)
    return "OTHER", doc, doc


def _spanish_iban(rng: random.Random) -> tuple[str, str]:
    banks = (("2100", "CAIXESBBXXX"), ("0049", "BSCHESMMXXX"), ("0182", "BBVAESMMXXX"))
    bank, bic = rng.choice(banks)
    number = bank + _digits(rng, 4) + "00" + _digits(rng, 10)
    number = number[:8] + ccc.calc_check_digits(number) + number[10:]
    value = "ES" + std_iban.calc_check_digits("ES00" + number) + number
    return value, bic


# --- Catalog ids ---------------------------------------------------------------------------


def _ids(ctx, key: str, model_path: str) -> list[int]:
    if ctx.data.get(key):
        return list(ctx.data[key])
    from django.apps import apps

    model = apps.get_model(*model_path.split("."))
    return list(model.objects.filter(active=True).values_list("pk", flat=True))


def _geography(ctx) -> list[tuple[int | None, int | None, int | None]]:
    from ispgest.catalog.models import Neighbourhood

    wanted = set(ctx.data.get("neighbourhood_ids") or [])
    qs = Neighbourhood.objects.filter(active=True).select_related("city")
    if wanted:
        qs = qs.filter(pk__in=wanted)
    out = [(n.pk, n.city_id, n.city.region_id if n.city else None) for n in qs]
    if not out:
        from ispgest.catalog.models import City

        out = [(None, c.pk, c.region_id) for c in City.objects.filter(active=True)]
    return out or [(None, None, None)]


def _billing_combos(ctx) -> list[tuple[int, int, int, bool]]:
    from ispgest.catalog.models import AllowedInvoiceType

    qs = AllowedInvoiceType.objects.select_related("billing_entity").filter(
        billing_entity__active=True, tax_condition__active=True, invoice_type__active=True
    )
    if ctx.data.get("billing_entity_ids"):
        qs = qs.filter(billing_entity_id__in=ctx.data["billing_entity_ids"])
    return [
        (a.billing_entity_id, a.tax_condition_id, a.invoice_type_id, a.billing_entity.is_legal)
        for a in qs
    ]


# --- Writing -------------------------------------------------------------------------------


def _ascii(text: str) -> str:
    from ispgest.core.text import fold

    return fold(text).replace("n~", "n").replace(" ", "")


def generate(ctx) -> None:
    total = int(ctx.clients)
    if total <= 0:
        ctx.data["client_ids"] = range(0)
        return
    with transaction.atomic(), _BulkLoad(total):
        _generate(ctx, total)


def _generate(ctx, total: int) -> None:
    rng = random.Random(ctx.rng.random())
    country = ctx.country
    zones = _ids(ctx, "zone_ids", "catalog.Zone")
    sellers = _ids(ctx, "seller_ids", "catalog.Seller")
    collectors = _ids(ctx, "collector_ids", "catalog.Collector")
    gateways = _ids(ctx, "gateway_ids", "catalog.PaymentGateway")
    geo = _geography(ctx)
    combos = _billing_combos(ctx)
    from ispgest.catalog.models import BillingCycle, PaymentMethod, Tax

    methods = dict(PaymentMethod.objects.filter(active=True).values_list("kind", "pk"))
    direct_debit = methods.get("direct_debit")
    other_methods = [pk for kind, pk in methods.items() if kind != "direct_debit"]
    taxes = list(Tax.objects.filter(active=True).values_list("pk", flat=True))
    cycles = list(
        BillingCycle.objects.filter(active=True, is_default=False).values_list("pk", flat=True)
    )
    from ispgest.catalog.models import PaymentGateway

    gateway_codes = dict(PaymentGateway.objects.filter(pk__in=gateways).values_list("pk", "code"))

    client_cols = _columns(Client, with_id=True)
    defaults = _column_defaults(Client)
    event_cols = _columns(ClientEvent, with_id=False)
    contact_cols = _columns(Contact, with_id=False)
    mandate_cols = _columns(BankMandate, with_id=False)
    gateway_cols = _columns(GatewayAccount, with_id=False)

    # The tuples below are written in these column orders.
    assert event_cols[:3] == ["client_id", "created_at", "actor_id"], event_cols
    assert contact_cols[2:4] == ["client_id", "name"], contact_cols
    assert mandate_cols[2:5] == ["client_id", "account_holder", "iban"], mandate_cols
    assert gateway_cols[2:] == ["client_id", "gateway_id", "reference"], gateway_cols
    start_id = _reserve_ids(Client, total)
    now = datetime.now(UTC).replace(microsecond=0)
    chunk = CHUNK.get(connection.vendor, 10_000)
    search = _SearchFields()
    mandate_share = 0.35 if country == "ES" else 0.05

    for offset in range(0, total, chunk):
        clients, events, contacts, mandates, accounts = [], [], [], [], []
        for cid in range(start_id + offset, start_id + min(offset + chunk, total)):
            row = dict(defaults)
            roll = rng.random()
            first = rng.choice(FIRST_NAMES)
            surname1, surname2 = rng.choice(SURNAMES), rng.choice(SURNAMES)
            created = now - timedelta(seconds=rng.randrange(0, 3 * 365 * 86400))
            if roll < 0.7:
                person = "natural"
                middle = rng.choice(FIRST_NAMES) if rng.random() < 0.3 else ""
                second = surname2 if rng.random() < 0.6 else ""
                name = " ".join(p for p in (first, middle, surname1, second) if p)
                row.update(
                    first_name=first,
                    middle_name=middle,
                    first_surname=surname1,
                    second_surname=second,
                )
                legal = False
            elif roll < 0.9:
                person = "legal"
                name = (
                    f"{rng.choice(COMPANY_WORDS)} {surname1} {rng.choice(COMPANY_SUFFIX)}"
                    if rng.random() < 0.6
                    else f"{surname1} {surname2} {rng.choice(COMPANY_SUFFIX)}"
                )
                row["legal_name"] = name
                if rng.random() < 0.4:
                    row["trade_name"] = f"{rng.choice(COMPANY_WORDS)} {first}"
                legal = True
            else:
                person = "other"
                name = f"{first} {surname1}"
                legal = False
            kind, tax_id, document = _tax_id(country, rng, legal)
            hood, city, region = rng.choice(geo)
            email = None
            if rng.random() < 0.65:
                email = f"{_ascii(first)}.{_ascii(surname1)}.{cid}@example.com"
            phone, mobile = _phones(country, rng)
            row.update(
                id=cid,
                created_at=_ts(created),
                updated_at=_ts(created),
                person_type=person,
                name=name,
                document_number=document,
                email=email,
                phone=phone if rng.random() < 0.4 else "",
                mobile=mobile,
                region_id=region,
                city_id=city,
                neighbourhood_id=hood,
                address=f"{rng.choice(STREET_KIND)} {rng.choice(STREETS)} {rng.randint(1, 4999)}",
                zone_id=rng.choice(zones) if zones else None,
                seller_id=rng.choice(sellers) if sellers else None,
                collector_id=rng.choice(collectors) if collectors and rng.random() < 0.5 else None,
                tax_id_kind=kind,
                tax_id=tax_id,
                custom_id=f"C{cid:08d}" if rng.random() < 0.3 else None,
            )
            if email and rng.random() < 0.1:
                row["notify_emails"] = f"administracion.{cid}@example.com"
            if rng.random() < 0.05:
                row["notes"] = "Cliente con antena en el techo; avisar antes de visitar."
            if combos and rng.random() < 0.85:
                entity, cond, itype, _legal_entity = rng.choice(combos)
                row.update(
                    billing_enabled=True,
                    billing_entity_id=entity,
                    tax_condition_id=cond,
                    invoice_type_id=itype,
                    billing_tax_id=rng.choice(taxes) if taxes else None,
                )
                if cycles and rng.random() < 0.05:
                    row["billing_cycle_id"] = rng.choice(cycles)
            has_mandate = direct_debit and rng.random() < mandate_share
            if has_mandate:
                row["payment_method_id"] = direct_debit
                value, bic = _spanish_iban(rng)
                signed = (created + timedelta(days=rng.randrange(0, 30))).date()
                mandates.append(
                    (
                        _ts(created),
                        _ts(created),
                        cid,
                        name[:140],
                        value,
                        bic,
                        "",
                        f"DEMO-{cid:010d}",
                        min(signed, now.date()),
                        True,
                        False,
                    )
                )
            elif other_methods:
                row["payment_method_id"] = rng.choice(other_methods)
            if gateways and rng.random() < 0.2:
                gw = rng.choice(gateways)
                accounts.append(
                    (_ts(created), _ts(created), cid, gw, f"{gateway_codes.get(gw, 'gw')}-{cid}")
                )
            if rng.random() < 0.15:
                for _ in range(rng.randint(1, 2)):
                    cfirst, csur = rng.choice(FIRST_NAMES), rng.choice(SURNAMES)
                    contacts.append(
                        (
                            _ts(created),
                            _ts(created),
                            cid,
                            f"{cfirst} {csur}",
                            rng.choice(CONTACT_ROLES),
                            mobile,
                            f"{_ascii(cfirst)}.{cid}@example.com",
                            "",
                            True,
                        )
                    )
            _with_search_fields(row, search)
            clients.append(tuple(row[c] for c in client_cols))
            events.append(
                (
                    cid,
                    _ts(created),
                    None,
                    "auto",
                    "client.created",
                    "",
                    None,
                    f"Cliente creado: {name}",
                    json.dumps({"Nombre": ["", name]}, ensure_ascii=False),
                    "clients.client",
                    str(cid),
                )
            )
        with transaction.atomic():
            _write(Client, client_cols, clients)
            _write(ClientEvent, event_cols, events)
            _write(Contact, contact_cols, contacts)
            _write(BankMandate, mandate_cols, mandates)
            _write(GatewayAccount, gateway_cols, accounts)
        ctx.log(f"    clientes: {min(offset + chunk, total)}/{total}")

    end_id = start_id + total - 1
    ctx.data["client_ids"] = range(start_id, end_id + 1)
    ctx.data["client_id_min"] = start_id
    ctx.data["client_id_max"] = end_id

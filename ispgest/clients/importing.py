"""Importar clientes (and contracts): upload, column mapping, dry run, import, undo.

The steps of a DataImport:

1. `import_upload` stores the file (streamed to storage, never read whole), reads its
   header and matches each column to a field by name (`match_headers`: the 21 columns of
   the export map to themselves, so an export re-imports; common names of other products'
   exports are synonyms). `import_set_mapping` changes the map.
2. `import_check` (the dry run, run as a job) reads every row and validates it with the
   rules of the record (`validate_client_data` for clients: tax ids, e-mail uniqueness
   against the database, catalogs by name) plus uniqueness within the file (an e-mail in two
   rows flags both rows). It keeps each error as (row, column, Spanish message) and the
   catalog values that do not exist; `import_create_missing` creates those.
3. `import_run` (a job) imports, all-or-nothing or only the valid rows, as the user chose:
   every row is validated again, and the rows are written in one transaction through the
   bulk path (clients/bulkload.py), each client with a history row naming the import;
   `signals.clients_imported` names the written clients (webhooks sends `client.created`
   for each).
4. `import_undo` deactivates the imported clients while nobody has touched them since
   (`signals.clients_import_undone`: `client.deactivated` for each).

A spec (`ClientSpec` here; `ispgest.contracts.importing.ContractSpec`, which contracts
registers with `register_spec` in its AppConfig.ready()) says which fields a kind has and
how a row is checked and written.
"""

from __future__ import annotations

import functools
import json
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.utils import timezone

from ispgest.clients import signals, tabular
from ispgest.clients.models import Client, ClientEvent, DataImport, EventKind
from ispgest.core.audit import audit
from ispgest.core.exceptions import DomainError
from ispgest.core.uploads import safe_original_name, too_big

BATCH = 1000


@dataclass(frozen=True)
class ImportField:
    key: str
    label: str
    synonyms: tuple[str, ...] = ()
    catalog: str | None = None  # "catalog.Zone": the cell is the catalog row's name
    creatable: bool = False  # a missing catalog name can be created from the import page
    ignore: bool = False  # a known column that is not imported (the export's figures)


@functools.lru_cache(maxsize=4096)
def normalise_header(text: str) -> str:
    """ "Teléfono celular" -> "telefonocelular": no accents, case, blanks or signs. Cached:
    an import asks it for every catalog cell, and those repeat (zones, cities, sellers)."""
    text = unicodedata.normalize("NFKD", text or "")
    return "".join(ch for ch in text.lower() if ch.isalnum())


def match_headers(headers: list[str], fields: tuple[ImportField, ...]) -> dict[str, str]:
    """{column index: field key} for every header that names a field (each field once)."""
    names: dict[str, str] = {}
    for field in fields:
        for name in (field.key, field.label, *field.synonyms):
            names.setdefault(normalise_header(name), field.key)
    mapping: dict[str, str] = {}
    used: set[str] = set()
    for index, header in enumerate(headers):
        key = names.get(normalise_header(header))
        if key is not None and key not in used:
            mapping[str(index)] = key
            used.add(key)
    return mapping


def _bool(value: str) -> bool | None:
    low = normalise_header(value)
    if low in {"1", "si", "s", "true", "yes", "y", "verdadero", "x", "on"}:
        return True
    if low in {"0", "no", "n", "false", "falso", "off"}:
        return False
    return None


class CatalogIndex:
    """The active rows of a catalog by normalised name (one query per catalog and run)."""

    def __init__(self, model_path: str):
        self.model = apps.get_model(model_path)
        self.by_name: dict[str, Any] = {}
        rows = self.model._default_manager.order_by("pk")
        if any(f.name == "active" for f in self.model._meta.fields):
            rows = rows.filter(active=True)
        coded = any(f.name == "code" for f in self.model._meta.fields)
        for row in rows:
            self.by_name.setdefault(normalise_header(row.name), row)
        if coded:  # "B" finds "Factura B" (code B) unless a row is named "B"
            for row in rows:
                if row.code:
                    self.by_name.setdefault(normalise_header(row.code), row)

    def get(self, name: str):
        return self.by_name.get(normalise_header(name))


# --- Clients ------------------------------------------------------------------------------

CLIENT_IMPORT_FIELDS: tuple[ImportField, ...] = (
    ImportField(
        "custom_id",
        "ID Cliente Personalizable",
        ("ID cliente", "ID", "Código", "Codigo cliente", "Customer ID", "Client ID", "Login"),
    ),
    ImportField("person_type", "Tipo de persona", ("Tipo persona", "Person type")),
    ImportField(
        "name", "Nombre", ("Nombre completo", "Full name", "Cliente", "Razón o nombre", "Name")
    ),
    ImportField("first_name", "Primer nombre", ("First name", "Nombres")),
    ImportField("middle_name", "Segundo nombre", ("Middle name",)),
    ImportField("first_surname", "Primer apellido", ("Apellido", "Last name", "Apellidos")),
    ImportField("second_surname", "Segundo apellido", ("Second last name",)),
    ImportField("legal_name", "Razón social", ("Company name", "Empresa", "Company")),
    ImportField("trade_name", "Nombre de fantasía", ("Nombre comercial", "Trade name")),
    ImportField(
        "document_number",
        "Documento/cédula",
        ("Documento", "Cédula", "DNI", "Documento de identidad", "Identification", "ID number"),
    ),
    ImportField("email", "E-mail", ("Email", "Correo", "Correo electrónico", "Mail")),
    ImportField("notify_emails", "Emails a notificar", ("Billing email", "Emails")),
    ImportField("phone", "Teléfono", ("Teléfono fijo", "Phone", "Phone number", "Telefono")),
    ImportField(
        "mobile", "Teléfono celular", ("Celular", "Móvil", "Mobile", "WhatsApp", "Cell phone")
    ),
    ImportField(
        "address",
        "Dirección",
        ("Domicilio", "Street", "Address", "Street 1", "Dirección principal"),
    ),
    ImportField("postal_code", "Código postal", ("ZIP", "ZIP code", "Postal code", "CP")),
    ImportField("notes", "Observaciones", ("Notas", "Comentarios", "Notes", "Comments")),
    ImportField("neighbourhood", "Barrio", ("Colonia", "Neighbourhood"), "catalog.Neighbourhood"),
    ImportField("zone", "Zona", ("Zone", "Sector", "Nodo"), "catalog.Zone", creatable=True),
    ImportField("city", "Ciudad", ("City", "Localidad", "Municipio"), "catalog.City", True),
    ImportField(
        "region",
        "Provincia/estado/región",
        ("Provincia", "Estado", "Región", "Region", "State", "Departamento"),
        "catalog.Region",
        creatable=True,
    ),
    ImportField("seller", "Vendedor", ("Seller", "Agente"), "catalog.Seller", creatable=True),
    ImportField("collector", "Recaudador", ("Cobrador", "Collector"), "catalog.Collector", True),
    ImportField(
        "billing_enabled", "Facturación habilitada", ("Facturación", "Billing enabled", "Factura")
    ),
    ImportField("billing_entity", "Razón social de facturación", (), "catalog.BillingEntity"),
    ImportField("invoice_type", "Tipo de factura", ("Invoice type",), "catalog.InvoiceType"),
    ImportField(
        "tax_condition",
        "Condición impositiva",
        ("Condición de IVA", "Condición frente al IVA", "Tax condition"),
        "catalog.TaxCondition",
    ),
    ImportField(
        "tax_id",
        "Número de identificación tributaria",
        ("NIT", "CUIT", "RUC", "RFC", "NIF", "Tax ID", "VAT number", "Identificación tributaria"),
    ),
    ImportField("payment_method", "Forma de pago", ("Payment method",), "catalog.PaymentMethod"),
    ImportField(
        "billing_cycle", "Ciclo de facturación", ("Billing cycle",), "catalog.BillingCycle"
    ),
    # The export's figures and stamps: known, not imported.
    ImportField("ignore_unpaid_count", "Número de facturas impagas", ignore=True),
    ImportField("ignore_unpaid_total", "Balance de facturas impagas", ignore=True),
    ImportField("ignore_gateways", "Información de Pasarelas de Pago", ignore=True),
    ImportField("ignore_created", "Creado el", ignore=True),
    ImportField("ignore_updated", "Última modificación", ignore=True),
)


def _messages_by_field(exc: ValidationError) -> list[tuple[str, str]]:
    if hasattr(exc, "error_dict"):
        return [(f, m) for f, errs in exc.error_dict.items() for e in errs for m in e.messages]
    return [("__all__", m) for m in exc.messages]


class RowError(Exception):
    """A row that breaks the rules: [(field key or "__all__", Spanish message)]."""

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems
        super().__init__("; ".join(m for _f, m in problems))


class ClientSpec:
    kind = DataImport.Kind.CLIENTS
    fields = CLIENT_IMPORT_FIELDS
    unique_keys = ("email", "custom_id")
    noun = "clientes"

    def prepare(self) -> dict:
        ctx: dict[str, Any] = {f.key: CatalogIndex(f.catalog) for f in self.fields if f.catalog}
        ctx["_blank"] = Client()
        return ctx

    def check_chunk(self, ctx: dict, rows: list[dict[str, str]]) -> list[tuple]:
        """(cleaned or None, problems, missing) of each row of a chunk: every rule of
        `check`, with the uniqueness against the database asked once per chunk (one query
        for the e-mails, one for the custom ids) and the allowed billing combinations
        loaded once per chunk, instead of once per row. The messages and
        their order are those of `validate_client_data`."""
        from ispgest.catalog.services import billing_combinations_preloaded
        from ispgest.clients.validation import (
            custom_id_taken_message,
            email_taken_message,
            normalise_email,
            taken_custom_ids,
            taken_emails,
        )

        out: list[tuple] = []
        with billing_combinations_preloaded():
            for values in rows:
                try:
                    out.append((self.check(ctx, values, unique=False), [], []))
                except RowError as exc:
                    out.append((None, exc.problems, getattr(exc, "missing", [])))
        emails: list[str | None] = []
        custom_ids: list[str | None] = []
        for values, (cleaned, problems, _missing) in zip(rows, out, strict=True):
            flagged = {key for key, _m in problems}
            if cleaned is not None:
                email, custom_id = cleaned.get("email"), cleaned.get("custom_id")
            else:
                email = normalise_email(values.get("email"))
                custom_id = (values.get("custom_id") or "").strip() or None
            emails.append(None if "email" in flagged else email)
            custom_ids.append(None if "custom_id" in flagged else custom_id)
        taken_e = taken_emails(emails)
        taken_c = taken_custom_ids(custom_ids)
        if not taken_e and not taken_c:
            return out
        for i, (_cleaned, problems, missing) in enumerate(out):
            extra = []
            if emails[i] and emails[i].lower() in taken_e:
                extra.append(("email", email_taken_message(emails[i])))
            if custom_ids[i] and custom_ids[i] in taken_c:
                extra.append(("custom_id", custom_id_taken_message(custom_ids[i])))
            if extra:
                out[i] = (None, problems + extra, missing)
        return out

    def check(self, ctx: dict, values: dict[str, str], *, unique: bool = True) -> dict:
        """The cleaned values of one row (validate_client_data), or RowError."""
        data: dict[str, Any] = {}
        problems: list[tuple[str, str]] = []
        missing: list[tuple[str, str]] = []
        for key, text in values.items():
            if not text:
                continue
            field = FIELD_BY_KEY[key]
            if field.catalog:
                row = ctx[key].get(text)
                if row is None:
                    problems.append((key, f"{field.label}: «{text}» no existe en el catálogo."))
                    missing.append((key, text))
                    continue
                data[key] = row
            elif key == "billing_enabled":
                flag = _bool(text)
                if flag is None:
                    problems.append((key, f"{field.label}: indique «Sí» o «No» (no «{text}»)."))
                    continue
                data[key] = flag
            elif key == "person_type":
                data[key] = _person_type(text)
            else:
                data[key] = text
        if "name" in data and "person_type" not in data:
            data["person_type"] = "other"
        if data.get("billing_enabled") and "billing_entity" not in data:
            entity = _only_entity(ctx, data.get("tax_condition"))
            if entity is not None:
                data["billing_entity"] = entity
        try:
            cleaned = _validate(data, unique=unique, blank=ctx.get("_blank"))
        except ValidationError as exc:
            reported = {key for key, _m in problems}
            problems.extend(p for p in _messages_by_field(exc) if p[0] not in reported)
            cleaned = None
        if problems:
            err = RowError(problems)
            err.missing = missing
            raise err
        return cleaned

    def write(self, *, ctx: dict, imp: DataImport, actor, batch: list[tuple[int, dict]]) -> int:
        """Write a batch of cleaned rows through the bulk path (COPY on PostgreSQL): ids
        taken from the sequence up front (`allocate_ids`, safe while staff add clients),
        each client with its "imported" history row."""
        from ispgest.clients import bulkload
        from ispgest.core import bulk

        if "_client_columns" not in ctx:
            ctx["_client_columns"] = bulk.columns(Client, with_id=True)
            ctx["_client_defaults"] = bulk.column_defaults(Client)
            ctx["_event_columns"] = bulk.columns(ClientEvent, with_id=False)
            ctx["_event_defaults"] = bulk.column_defaults(ClientEvent)
            ctx["_search"] = bulkload.SearchFields()
        client_cols, event_cols = ctx["_client_columns"], ctx["_event_columns"]
        ids = bulk.allocate_ids(Client, len(batch))
        ctx.setdefault("_written_ids", []).extend(ids)
        now = bulk.db_timestamp(timezone.now())
        actor_id = actor.pk if getattr(actor, "pk", None) else None
        changes = json.dumps(
            {"Importación": ["", f"#{imp.pk} {imp.original_name}"]}, ensure_ascii=False
        )
        clients, events = [], []
        for client_id, (row_number, cleaned) in zip(ids, batch, strict=True):
            row = dict(ctx["_client_defaults"])
            for name, value in cleaned.items():
                field = Client._meta.get_field(name)
                if field.is_relation:
                    value = value.pk if value is not None else None
                row[field.column] = value
            row.update(id=client_id, created_at=now, updated_at=now)
            bulkload.with_search_fields(row, ctx["_search"])
            clients.append(tuple(row[c] for c in client_cols))
            event = dict(ctx["_event_defaults"])
            event.update(
                client_id=client_id,
                created_at=now,
                actor_id=actor_id,
                kind=EventKind.AUTO.value,
                action="client.imported",
                summary=f"Cliente importado: {imp} fila {row_number}",
                changes=changes,
                object_type="clients.dataimport",
                object_id=str(imp.pk),
            )
            events.append(tuple(event[c] for c in event_cols))
        bulk.write_rows(Client, client_cols, clients)
        bulk.write_rows(ClientEvent, event_cols, events)
        return len(clients)


FIELD_BY_KEY = {f.key: f for f in CLIENT_IMPORT_FIELDS}


def _only_entity(ctx: dict, condition):
    """An export has no billing-entity column: a client with billing on gets the one active
    billing entity of its tax condition's kind (legal or fantasía), when there is only one."""
    entities = list(ctx["billing_entity"].by_name.values())
    if condition is not None:
        entities = [e for e in entities if e.kind == condition.kind]
    return entities[0] if len(entities) == 1 else None


def _person_type(text: str) -> str:
    low = normalise_header(text)
    if low in {"natural", "personafisica", "fisica", "personanatural", "individual"}:
        return "natural"
    if low in {"legal", "personajuridica", "juridica", "empresa", "company"}:
        return "legal"
    if low in {"other", "otro"}:
        return "other"
    return text


def _validate(data: dict, *, unique: bool = True, blank: Client | None = None) -> dict:
    """validate_client_data for a new client; `blank` is a new Client() to reuse (the
    function copies the client it is given and never changes it)."""
    from ispgest.clients.validation import validate_client_data

    return validate_client_data(blank or Client(), data, unique=unique)


#: The spec of each kind of import other than clients, registered by the app that owns the
#: kind in its AppConfig.ready() (contracts registers ContractSpec).
_SPECS: dict[str, type] = {}


def register_spec(kind: str, spec: type) -> None:
    _SPECS[kind] = spec


def spec_for(kind: str):
    if kind == DataImport.Kind.CLIENTS:
        return ClientSpec()
    if kind not in _SPECS:
        raise LookupError(f"No import spec is registered for {kind!r}.")
    return _SPECS[kind]()


# --- Reading the stored file --------------------------------------------------------------


def _open(imp: DataImport):
    return imp.file.open("rb")


def _info(imp: DataImport) -> tabular.TableInfo:
    return tabular.TableInfo(imp.file_format, imp.encoding, imp.delimiter)


def _data_rows(imp: DataImport, fh) -> Iterator[tuple[int, list[str]]]:
    """(row number as the spreadsheet shows it, cells) of every non-blank row after the
    header; stops with an error past ISPGEST_IMPORT_MAX_ROWS."""
    limit = settings.ISPGEST_IMPORT_MAX_ROWS
    seen_header = False
    count = 0
    for number, cells in enumerate(tabular.iter_rows(fh, _info(imp)), start=1):
        if not any(cells):
            continue
        if not seen_header:
            seen_header = True
            continue
        count += 1
        if count > limit:
            raise DomainError(
                f"El archivo tiene más de {limit:,} filas; divídalo en varios.".replace(",", "."),
                field="file",
            )
        yield number, cells


def _row_values(cells: list[str], mapping: dict[str, str]) -> dict[str, str]:
    out = {}
    for index, key in mapping.items():
        i = int(index)
        out[key] = cells[i] if i < len(cells) else ""
    return out


# --- 1. Upload and mapping ----------------------------------------------------------------


def import_upload(*, actor, uploaded, kind: str = DataImport.Kind.CLIENTS) -> DataImport:
    """Store an uploaded CSV/XLSX and read its header; the columns are matched by name."""
    if uploaded is None:
        raise DomainError("Seleccione un archivo CSV o XLSX.", field="file")
    if kind not in DataImport.Kind.values:
        raise DomainError("Tipo de importación: elija clientes o contratos.", field="kind")
    limit = settings.ISPGEST_IMPORT_MAX_BYTES
    size = getattr(uploaded, "size", None)
    if size is not None and size > limit:
        raise too_big(limit)
    if not size:
        raise DomainError("El archivo está vacío.", field="file")
    uploaded.seek(0)
    info = tabular.inspect(uploaded)
    spec = spec_for(kind)
    headers: list[str] = []
    for cells in tabular.iter_rows(uploaded, info):
        if any(cells):
            headers = cells
            break
    while headers and not headers[-1]:
        headers.pop()
    if not headers:
        raise DomainError("El archivo no tiene una fila de encabezados.", field="file")
    mapping = match_headers(headers, spec.fields)
    name = safe_original_name(getattr(uploaded, "name", ""), "importacion")
    uploaded.seek(0)
    with transaction.atomic():
        imp = DataImport(
            kind=kind,
            original_name=name,
            file_format=info.format,
            encoding=info.encoding,
            delimiter=info.delimiter,
            headers=headers,
            mapping=mapping,
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        imp.file.save(f"import.{info.format}", File(uploaded, name=name), save=False)
        imp.save()
        audit(actor=actor, action="import.uploaded", obj=imp, summary=f"{imp} subida")
    return imp


def import_set_mapping(*, actor, imp: DataImport, mapping: dict[str, str]) -> DataImport:
    """Set which field each column fills ("" = ignored). Clears a previous dry run."""
    spec = spec_for(imp.kind)
    keys = {f.key: f for f in spec.fields}
    clean: dict[str, str] = {}
    used: dict[str, str] = {}
    errors: dict[str, list[str]] = {}
    for index, key in mapping.items():
        if not key:
            continue
        try:
            column = imp.headers[int(index)]
        except (ValueError, IndexError):
            errors.setdefault("mapping", []).append(f"Columna desconocida: {index}.")
            continue
        if key not in keys:
            errors.setdefault(f"col_{index}", []).append(
                f"{column}: «{key}» no es un campo que se pueda importar."
            )
            continue
        if key in used:
            errors.setdefault(f"col_{index}", []).append(
                f"{column}: el campo «{keys[key].label}» ya lo llena la columna «{used[key]}»."
            )
            continue
        used[key] = column
        clean[str(int(index))] = key
    if errors:
        raise ValidationError(errors)
    _require_editable(imp)
    imp.mapping = clean
    imp.status = DataImport.Status.UPLOADED
    imp.errors, imp.missing = [], {}
    imp.valid_count = imp.error_count = 0
    imp.save(update_fields=["mapping", "status", "errors", "missing", "valid_count", "error_count"])
    return imp


def _require_editable(imp: DataImport) -> None:
    editable = (DataImport.Status.UPLOADED, DataImport.Status.CHECKED, DataImport.Status.FAILED)
    if imp.status not in editable:
        raise DomainError(
            f"La importación está «{imp.get_status_display()}» y ya no se puede cambiar.",
            code="state",
        )


def effective_mapping(imp: DataImport) -> dict[str, str]:
    spec = spec_for(imp.kind)
    ignored = {f.key for f in spec.fields if f.ignore}
    return {i: k for i, k in imp.mapping.items() if k not in ignored}


# --- 2. The dry run -----------------------------------------------------------------------


@dataclass
class CheckResult:
    rows: int
    valid: int
    invalid_rows: set[int]
    errors: list[list]
    missing: dict[str, list[str]]


def _column_name(imp: DataImport, mapping: dict[str, str], key: str, spec) -> str:
    for index, mapped in mapping.items():
        if mapped == key:
            return imp.headers[int(index)]
    for f in spec.fields:
        if f.key == key:
            return f.label
    return "—"


def _duplicates(imp: DataImport, spec, mapping: dict[str, str]) -> dict[int, list]:
    """{row: [(key, message)]} for values of a unique column repeated in the file (every
    row that shares the value is flagged)."""
    columns = {int(i): k for i, k in mapping.items() if k in spec.unique_keys}
    if not columns:
        return {}
    seen: dict[tuple[str, str], list[int]] = {}
    with _open(imp) as fh:
        for number, cells in _data_rows(imp, fh):
            for index, key in columns.items():
                value = cells[index].strip().lower() if index < len(cells) else ""
                if value:
                    seen.setdefault((key, value), []).append(number)
    out: dict[int, list] = {}
    for (key, value), rows in seen.items():
        if len(rows) < 2:
            continue
        label = next(f.label for f in spec.fields if f.key == key)
        for row in rows:
            others = ", ".join(str(r) for r in rows if r != row)
            out.setdefault(row, []).append(
                (key, f"{label}: «{value}» se repite en el archivo (filas {others}).")
            )
    return out


def _check_chunk(spec, ctx: dict, rows: list[dict[str, str]]) -> list[tuple]:
    """(cleaned or None, problems, missing) per row: the spec's set-based check of a chunk
    when it has one, else its row check one row at a time."""
    if hasattr(spec, "check_chunk"):
        return spec.check_chunk(ctx, rows)
    out = []
    for values in rows:
        try:
            out.append((spec.check(ctx, values), [], []))
        except RowError as exc:
            out.append((None, exc.problems, getattr(exc, "missing", [])))
    return out


def _walk(
    imp: DataImport,
    *,
    on_valid: Callable[[int, dict], None] | None = None,
    progress: Callable[[int], None] | None = None,
) -> CheckResult:
    spec = spec_for(imp.kind)
    mapping = effective_mapping(imp)
    if not mapping:
        raise DomainError("Asigne al menos una columna a un campo.", field="mapping")
    ctx = spec.prepare()
    dups = _duplicates(imp, spec, mapping)
    result = CheckResult(0, 0, set(), [], {})
    missing: dict[str, set[str]] = {}
    chunk: list[tuple[int, dict[str, str]]] = []

    def settle() -> None:
        for (number, _values), (cleaned, found, lacking) in zip(
            chunk, _check_chunk(spec, ctx, [v for _n, v in chunk]), strict=True
        ):
            result.rows += 1
            problems = [*dups.get(number, ()), *found]
            for key, name in lacking:
                missing.setdefault(key, set()).add(name)
            if problems:
                result.invalid_rows.add(number)
                for key, message in problems:
                    if len(result.errors) < DataImport.ERRORS_KEPT:
                        column = _column_name(imp, mapping, key, spec)
                        result.errors.append([number, column, message])
            else:
                result.valid += 1
                if on_valid is not None:
                    on_valid(number, cleaned)
        chunk.clear()
        if progress is not None and result.rows % BATCH == 0:
            progress(result.rows)

    with _open(imp) as fh:
        for number, cells in _data_rows(imp, fh):
            chunk.append((number, _row_values(cells, mapping)))
            if len(chunk) >= BATCH:
                settle()
        if chunk:
            settle()
    result.missing = {k: sorted(v, key=str.lower) for k, v in missing.items()}
    return result


def import_check(*, actor, imp: DataImport, progress=None) -> DataImport:
    """The dry run: validate every row, write nothing but the result on the import."""
    result = _walk(imp, progress=progress)
    imp.row_count = result.rows
    imp.valid_count = result.valid
    imp.error_count = len(result.invalid_rows)
    imp.errors = result.errors
    imp.missing = result.missing
    imp.status = DataImport.Status.CHECKED
    imp.checked_at = timezone.now()
    imp.save()
    return imp


def import_create_missing(*, actor, imp: DataImport) -> list[str]:
    """Create the missing catalog values the dry run listed (of the catalogs that take just
    a name: zones, cities, regions, sellers, collectors). Returns what was created."""
    from ispgest.catalog.services import catalog_row_create

    spec = spec_for(imp.kind)
    fields = {f.key: f for f in spec.fields}
    created = []
    with transaction.atomic():
        for key, names in (imp.missing or {}).items():
            field = fields.get(key)
            if field is None or not field.creatable:
                continue
            model = apps.get_model(field.catalog)
            for name in names:
                if CatalogIndex(field.catalog).get(name) is not None:
                    continue
                catalog_row_create(actor=actor, model=model, data={"name": name[:120]})
                created.append(f"{field.label}: {name}")
        if created:
            audit(
                actor=actor,
                action="import.catalogs_created",
                obj=imp,
                summary=f"Valores de catálogo creados para {imp}: " + ", ".join(created)[:3000],
            )
    return created


def missing_not_creatable(imp: DataImport) -> dict[str, list[str]]:
    spec = spec_for(imp.kind)
    fields = {f.key: f for f in spec.fields}
    return {
        fields[k].label: v
        for k, v in (imp.missing or {}).items()
        if k in fields and not fields[k].creatable
    }


# --- 3. The import ------------------------------------------------------------------------


class ImportRefused(DomainError):
    pass


def import_start_check(*, actor, imp: DataImport):
    from ispgest.clients.tasks import start_import_job

    _require_editable(imp)
    if not effective_mapping(imp):
        raise DomainError("Asigne al menos una columna a un campo.", field="mapping")
    imp.status = DataImport.Status.CHECKING
    imp.save(update_fields=["status"])
    return start_import_job(actor=actor, imp=imp, step="check")


def import_start_run(*, actor, imp: DataImport, mode: str):
    """Queue the import; the mode is the user's explicit choice."""
    from ispgest.clients.tasks import start_import_job

    if mode not in DataImport.Mode.values:
        raise DomainError(
            "Modo: elija «todo o nada» o «solo las filas válidas».", field="mode", code="required"
        )
    if imp.status != DataImport.Status.CHECKED:
        raise DomainError("Compruebe el archivo (simulación) antes de importar.", code="state")
    if mode == DataImport.Mode.ALL and imp.error_count:
        raise DomainError(
            f"Hay {imp.error_count} filas con errores: corríjalas en el archivo o elija "
            "importar solo las filas válidas.",
            field="mode",
        )
    if imp.valid_count == 0:
        raise DomainError("No hay ninguna fila válida que importar.", field="mode")
    imp.mode = mode
    imp.status = DataImport.Status.IMPORTING
    imp.save(update_fields=["mode", "status"])
    return start_import_job(actor=actor, imp=imp, step="run")


def import_run(*, actor, imp: DataImport, progress=None) -> DataImport:
    """Validate every row again and write the valid ones in one transaction (all of them or
    none in "all" mode)."""
    from ispgest.clients.bulkload import BulkLoad

    spec = spec_for(imp.kind)
    ctx = spec.prepare()
    written = 0
    batch: list[tuple[int, dict]] = []

    def flush():
        nonlocal written, batch
        if batch:
            written += spec.write(ctx=ctx, imp=imp, actor=actor, batch=batch)
            batch = []

    def on_valid(number: int, cleaned: dict) -> None:
        batch.append((number, cleaned))
        if len(batch) >= BATCH:
            flush()

    bulk = imp.kind == DataImport.Kind.CLIENTS
    with transaction.atomic():
        loader = BulkLoad(imp.valid_count if bulk else 0)
        with loader:
            result = _walk(imp, on_valid=on_valid, progress=progress)
            if result.invalid_rows and imp.mode == DataImport.Mode.ALL:
                raise ImportRefused(
                    f"No se importó nada: {len(result.invalid_rows)} filas tienen errores "
                    "(los datos cambiaron desde la simulación)."
                )
            flush()
        if bulk:
            signals.clients_imported.send(
                sender=Client, client_ids=ctx.get("_written_ids", []), actor=actor, data_import=imp
            )
        locked = DataImport.objects.select_for_update().get(pk=imp.pk)
        locked.status = DataImport.Status.DONE
        locked.imported_count = written
        locked.row_count = result.rows
        locked.valid_count = result.valid
        locked.error_count = len(result.invalid_rows)
        locked.errors = result.errors
        locked.imported_at = timezone.now()
        locked.save()
        audit(
            actor=actor,
            action="import.done",
            obj=locked,
            summary=f"{locked}: {written} {spec.noun} importados",
            changes={"Modo": ["", locked.get_mode_display()]},
        )
    return locked


def import_fail(imp_id: int, message: str, *, step: str) -> None:
    """Mark a failed dry run (back to the mapping step) or import (nothing was written)."""
    status = DataImport.Status.UPLOADED if step == "check" else DataImport.Status.FAILED
    DataImport.objects.filter(pk=imp_id).update(status=status, errors=[[0, "—", message[:2000]]])


# --- 4. Undo ------------------------------------------------------------------------------


def imported_client_ids(imp: DataImport):
    return ClientEvent.objects.filter(
        action="client.imported", object_type="clients.dataimport", object_id=str(imp.pk)
    ).values_list("client_id", flat=True)


def touched_client_ids(imp: DataImport) -> list[int]:
    """Imported clients with any history after the import (an edit, a contract...)."""
    ids = imported_client_ids(imp)
    return list(
        ClientEvent.objects.filter(client_id__in=ids)
        .exclude(action="client.imported")
        .values_list("client_id", flat=True)
        .distinct()[:20]
    )


@transaction.atomic
def import_undo(*, actor, imp: DataImport) -> int:
    """Deactivate the clients of an import (never delete them) while none was touched."""
    locked = DataImport.objects.select_for_update().get(pk=imp.pk)
    if locked.kind != DataImport.Kind.CLIENTS or locked.status != DataImport.Status.DONE:
        raise DomainError("Solo se puede deshacer una importación de clientes terminada.")
    # The clients are named by a subquery, never a list of parameters: an import holds up
    # to ISPGEST_IMPORT_MAX_ROWS clients, past what SQLite binds in one statement.
    imported = Client.objects.filter(pk__in=imported_client_ids(locked))
    list(imported.select_for_update().values_list("pk", flat=True))
    touched = touched_client_ids(locked)
    if touched:
        raise DomainError(
            "No se puede deshacer: hay clientes importados que ya tienen cambios "
            f"(por ejemplo los números {', '.join(str(t) for t in touched[:5])}).",
            code="touched",
        )
    now = timezone.now()
    active = imported.filter(status=Client.Status.ACTIVE)
    ids = list(active.order_by("pk").values_list("pk", flat=True))
    active.update(status=Client.Status.INACTIVE, deactivated_at=now, updated_at=now)
    summary = f"Cliente desactivado: se deshizo la {locked}"
    ClientEvent.objects.bulk_create(
        [
            ClientEvent(
                client_id=cid,
                actor=actor if getattr(actor, "pk", None) else None,
                kind=EventKind.AUTO,
                action="client.import_undone",
                summary=summary,
                changes={"Estado": ["Activo", "Inactivo"]},
                object_type="clients.dataimport",
                object_id=str(locked.pk),
            )
            for cid in ids
        ],
        batch_size=BATCH,
    )
    signals.clients_import_undone.send(
        sender=Client, client_ids=ids, actor=actor, data_import=locked
    )
    locked.status = DataImport.Status.UNDONE
    locked.undone_at = now
    locked.save(update_fields=["status", "undone_at", "updated_at"])
    audit(
        actor=actor,
        action="import.undone",
        obj=locked,
        summary=f"{locked} deshecha: {len(ids)} clientes desactivados",
    )
    return len(ids)

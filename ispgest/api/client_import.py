"""Importar clientes/contratos on the clients router: upload a file, set the column map, run
the dry run and the import as jobs (poll GET /clients/imports/{id}), undo. The steps and
their rules are clients/importing.py's."""

from __future__ import annotations

from datetime import datetime

from django.shortcuts import get_object_or_404
from ninja import Field, File, Form, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from ispgest.api.base import require_perms
from ispgest.api.clients import router
from ispgest.clients import importing
from ispgest.clients.models import DataImport

PERMS = ("clients.view_client", "clients.import_client")
ERRORS_SHOWN = 200


class ImportRowError(Schema):
    row: int = Field(description="Fila del archivo (la de encabezados es la 1)")
    column: str
    message: str


class ImportOut(Schema):
    id: int
    kind: str = Field(description="clients | contracts")
    status: str = Field(
        description="uploaded | checking | checked | importing | done | failed | undone"
    )
    mode: str = Field(description="all | valid ('' hasta elegirlo)")
    original_name: str
    file_format: str
    encoding: str
    delimiter: str
    headers: list[str]
    mapping: dict[str, str] = Field(description="{índice de columna: campo}")
    fields: list[str] = Field(description="Campos que se pueden asignar a una columna")
    row_count: int
    valid_count: int
    error_count: int
    imported_count: int
    errors: list[ImportRowError] = Field(description=f"Los primeros {ERRORS_SHOWN} errores")
    missing: dict[str, list[str]] = Field(description="Valores de catálogo que no existen")
    created_at: datetime


class ImportMappingIn(Schema):
    mapping: dict[str, str] = Field(description="{índice de columna: campo ('' = no importar)}")


class ImportRunIn(Schema):
    mode: str = Field(description="all (todo o nada) | valid (solo las filas válidas)")


def _out(imp: DataImport) -> dict:
    spec = importing.spec_for(imp.kind)
    return {
        "id": imp.pk,
        "kind": imp.kind,
        "status": imp.status,
        "mode": imp.mode,
        "original_name": imp.original_name,
        "file_format": imp.file_format,
        "encoding": imp.encoding,
        "delimiter": imp.delimiter,
        "headers": imp.headers,
        "mapping": imp.mapping,
        "fields": [f.key for f in spec.fields if not f.ignore],
        "row_count": imp.row_count,
        "valid_count": imp.valid_count,
        "error_count": imp.error_count,
        "imported_count": imp.imported_count,
        "errors": [
            {"row": r, "column": c, "message": m} for r, c, m in (imp.errors or [])[:ERRORS_SHOWN]
        ],
        "missing": imp.missing or {},
        "created_at": imp.created_at,
    }


def _get(request, import_id: int) -> DataImport:
    require_perms(request, *PERMS)
    imp = get_object_or_404(DataImport, pk=import_id)
    if imp.kind == DataImport.Kind.CONTRACTS:
        require_perms(request, "contracts.add_contract")
    return imp


class ImportRow(Schema):
    id: int
    kind: str
    status: str
    original_name: str
    imported_count: int
    created_at: datetime


@router.get("/imports", response=list[ImportRow], url_name="client_imports")
@paginate
def import_list(request):
    """The imports, newest first."""
    require_perms(request, *PERMS)
    return DataImport.objects.order_by("-created_at", "-id")


@router.post("/imports", response={201: ImportOut}, url_name="client_import_upload")
def import_upload(
    request,
    file: File[UploadedFile],
    kind: Form[str] = "clients",
):
    """Upload a CSV or XLSX (kind: clients | contracts); its columns are matched by name."""
    require_perms(request, *PERMS)
    if kind == DataImport.Kind.CONTRACTS:
        require_perms(request, "contracts.add_contract")
    imp = importing.import_upload(actor=request.user, uploaded=file, kind=kind)
    return Status(201, _out(imp))


@router.get("/imports/{int:import_id}", response=ImportOut, url_name="client_import")
def import_detail(request, import_id: int):
    """An import: its columns, map, dry-run result and state."""
    return _out(_get(request, import_id))


@router.put("/imports/{int:import_id}/mapping", response=ImportOut, url_name="client_import_map")
def import_mapping(request, import_id: int, payload: ImportMappingIn):
    """Set which field each column fills."""
    imp = importing.import_set_mapping(
        actor=request.user, imp=_get(request, import_id), mapping=payload.mapping
    )
    return _out(imp)


@router.post(
    "/imports/{int:import_id}/check", response={202: ImportOut}, url_name="client_import_check"
)
def import_check(request, import_id: int):
    """Queue the dry run (every row validated, nothing written)."""
    imp = _get(request, import_id)
    importing.import_start_check(actor=request.user, imp=imp)
    imp.refresh_from_db()
    return Status(202, _out(imp))


@router.post(
    "/imports/{int:import_id}/create-missing",
    response=ImportOut,
    url_name="client_import_create_missing",
)
def import_create_missing(request, import_id: int):
    """Create the missing catalog values of the dry run (zones, cities, regions, sellers,
    collectors); check again afterwards."""
    imp = _get(request, import_id)
    importing.import_create_missing(actor=request.user, imp=imp)
    return _out(imp)


@router.post(
    "/imports/{int:import_id}/run", response={202: ImportOut}, url_name="client_import_run"
)
def import_run(request, import_id: int, payload: ImportRunIn):
    """Queue the import in the chosen mode (all or nothing, or only the valid rows)."""
    imp = _get(request, import_id)
    importing.import_start_run(actor=request.user, imp=imp, mode=payload.mode)
    imp.refresh_from_db()
    return Status(202, _out(imp))


@router.post("/imports/{int:import_id}/undo", response=ImportOut, url_name="client_import_undo")
def import_undo(request, import_id: int):
    """Deactivate the clients of the import while none was touched since."""
    imp = _get(request, import_id)
    importing.import_undo(actor=request.user, imp=imp)
    imp.refresh_from_db()
    return _out(imp)

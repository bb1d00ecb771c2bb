"""Client list endpoints on the clients router: search with cursor pages, mass update and
export as jobs to poll. The filters are the list page's (clients/search.py ClientFilterForm),
validated by the same form, so a malformed value gets the same Spanish message (422).
Amounts and debt follow core.visibility: without `clients.view_money` the money filters are
ignored and the rows' `unpaid_count`/`unpaid_total` are null.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from django.urls import reverse
from ninja import Field, Query, Schema, Status
from ninja import Query as QueryParam

from ispgest.api.base import require_perms
from ispgest.api.clients import router
from ispgest.clients.search import ClientFilterForm, search_clients
from ispgest.clients.tasks import start_export, start_mass_update
from ispgest.core.models import Job
from ispgest.core.visibility import can_view_money


class ClientFilters(Schema):
    """Every filter of the client list (all optional; values as in the page's URL)."""

    q: str | None = Field(
        None, description="Búsqueda rápida: nombre, e-mail, documento, teléfono..."
    )
    status: str | None = Field(None, description="active (por defecto) | inactive | all")
    id: str | None = None
    custom_id: str | None = None
    collector: str | None = Field(None, description="Recaudador (id)")
    seller: str | None = Field(None, description="Vendedor (id)")
    neighbourhood: str | None = Field(None, description="Barrio (id)")
    zone: str | None = Field(None, description="Zona del cliente (id)")
    city: str | None = Field(None, description="Ciudad (id)")
    region: str | None = Field(None, description="Provincia/Estado/Región (id)")
    person_type: str | None = Field(None, description="other | natural | legal")
    created_from: str | None = Field(None, description="AAAA-MM-DD")
    created_to: str | None = Field(None, description="AAAA-MM-DD")
    contract_zone: str | None = Field(None, description="Zona/cobertura de un contrato (id)")
    plan: str | None = Field(None, description="Plan de un contrato (id)")
    router: str | None = Field(None, description="Router/servidor de un contrato (id)")
    contract_status: str | None = None
    billing_entity: str | None = Field(None, description="Razón social (id)")
    payment_method: str | None = Field(None, description="Forma de pago (id)")
    billing_enabled: str | None = Field(None, description="yes | no")
    tax_condition: str | None = Field(None, description="Condición de IVA (id)")
    unpaid: bool | None = Field(
        None,
        description="Solo clientes con facturas impagas (se ignora sin el permiso "
        "clients.view_money)",
    )
    unpaid_above: str | None = Field(
        None, description="Balance impago mayor que (se ignora sin el permiso clients.view_money)"
    )
    gateway: str | None = Field(None, description="Pasarela de pago (id)")
    sort: str | None = Field(None, description="name | -name | id | -id | created | -created")

    def as_form_data(self) -> dict:
        data = {k: v for k, v in self.dict().items() if v not in (None, "")}
        if data.get("unpaid") is False:
            data.pop("unpaid")
        elif data.get("unpaid"):
            data["unpaid"] = "on"
        return data


class ClientRow(Schema):
    id: int
    custom_id: str | None
    name: str
    status: str
    email: str | None
    document_number: str
    tax_id: str
    phone: str
    mobile: str
    zone: str | None
    seller: str | None
    collector: str | None
    unpaid_count: int | None = Field(
        description="Facturas impagas; null sin el permiso clients.view_money"
    )
    unpaid_total: Decimal | None = Field(
        description="Importe impago; null sin el permiso clients.view_money"
    )
    created_at: datetime


class ClientPage(Schema):
    """The shared page shape (api/pagination.py) plus the capped count of the search."""

    items: list[ClientRow]
    count: int = Field(description="Coincidencias, hasta 1000 (count_capped: hay más)")
    next_cursor: str | None = Field(
        description="Pásela como `cursor` para la página siguiente; null en la última"
    )
    count_capped: bool
    approximate: bool
    prev_cursor: str | None = Field(
        description="Pásela como `before` para la página anterior; null en la primera"
    )


class MassUpdateIn(Schema):
    filters: ClientFilters = Field(default_factory=ClientFilters)
    ids: list[int] | None = Field(None, description="Solo estos clientes (de los filtrados)")
    changes: dict[str, int | str | bool | None] = Field(
        description="Campo -> valor (ids para catálogos): seller, collector, zone, "
        "neighbourhood, billing_cycle, billing_entity, tax_condition, invoice_type, "
        "payment_method, status, send_*_emails"
    )
    extra: dict[str, str] = Field(default_factory=dict, description="Campos extra: {id: valor}")


class ExportIn(Schema):
    filters: ClientFilters = Field(default_factory=ClientFilters)
    ids: list[int] | None = None
    format: str = Field(
        "csv",
        description="csv (the separator of the ISP's locale) | csv_semicolon | csv_comma | xlsx",
    )


class JobOut(Schema):
    id: int
    kind: str
    status: str
    done: int
    total: int
    message: str
    error: str
    result: dict
    download_url: str | None = None


class MassUpdateOut(Schema):
    selected: int
    changed: int
    job: JobOut | None = None


def _job_out(request, job: Job) -> dict:
    url = None
    if job.kind == "clients.export" and job.status == Job.Status.DONE:
        url = request.build_absolute_uri(reverse("api:client_job_download", args=[job.pk]))
    return {
        "id": job.pk,
        "kind": job.kind,
        "status": job.status,
        "done": job.done,
        "total": job.total,
        "message": job.message,
        "error": job.error,
        "result": job.result,
        "download_url": url,
    }


def _form_data(filters: ClientFilters, user) -> dict:
    form = ClientFilterForm(filters.as_form_data(), user=user)
    if not form.is_valid():
        raise ValidationError(form.errors.as_data())
    return form.cleaned_data


@router.get("", response=ClientPage, url_name="client_search")
def client_search(
    request,
    filters: Query[ClientFilters],
    cursor: str = QueryParam(
        "", max_length=1000, description="`next_cursor` de la página anterior"
    ),
    before: str = QueryParam("", max_length=1000, description="`prev_cursor` de la siguiente"),
    after: str = QueryParam("", max_length=1000, description="Antiguo nombre de `cursor`"),
    limit: int = QueryParam(25, ge=1, le=200, description="Filas por página (1 a 200)"),
):
    """Search clients with the list's filters; keyset pages (`cursor`, `before`)."""
    require_perms(request, "clients.view_client")
    data = _form_data(filters, request.user)
    result = search_clients(
        request.user, data, after=cursor or after, before=before, page_size=limit
    )
    show_money = can_view_money(request.user)
    rows = []
    for c in result.rows:
        balance = getattr(c, "balance", None)
        rows.append(
            {
                "id": c.pk,
                "custom_id": c.custom_id,
                "name": c.name,
                "status": c.status,
                "email": c.email,
                "document_number": c.document_number,
                "tax_id": c.tax_id,
                "phone": c.phone,
                "mobile": c.mobile,
                "zone": str(c.zone) if c.zone_id else None,
                "seller": str(c.seller) if c.seller_id else None,
                "collector": str(c.collector) if c.collector_id else None,
                "unpaid_count": (balance.unpaid_count if balance else 0) if show_money else None,
                "unpaid_total": (
                    (balance.unpaid_total if balance else Decimal("0.00")) if show_money else None
                ),
                "created_at": c.created_at,
            }
        )
    return {
        "count": min(result.count, 1000) if result.count >= 0 else 0,
        "count_capped": result.count_capped,
        "approximate": result.approximate,
        "next_cursor": result.next_cursor or None,
        "prev_cursor": result.prev_cursor or None,
        "items": rows,
    }


@router.post(
    "/mass-update", response={200: MassUpdateOut, 202: MassUpdateOut}, url_name="client_mass_update"
)
def client_mass_update(request, payload: MassUpdateIn):
    """Apply the same values to the filtered (or listed) clients, all or nothing. Small sets
    answer 200 with the result; large ones 202 with a job to poll at /clients/jobs/{id}."""
    require_perms(request, "clients.view_client", "clients.mass_update_client")
    outcome = start_mass_update(
        actor=request.user,
        filters=payload.filters.as_form_data(),
        changes=payload.changes,
        extra=payload.extra,
        ids=payload.ids,
    )
    if isinstance(outcome, Job):
        return Status(
            202, {"selected": outcome.total, "changed": 0, "job": _job_out(request, outcome)}
        )
    return Status(200, {"selected": outcome.selected, "changed": outcome.changed, "job": None})


@router.post("/export", response={202: JobOut}, url_name="client_export")
def client_export(request, payload: ExportIn):
    """Queue an export (CSV/XLSX, the seed's 21 columns) e-mailed to the token's user."""
    require_perms(request, "clients.view_client", "clients.export_client")
    job = start_export(
        actor=request.user,
        filters=payload.filters.as_form_data(),
        fmt=payload.format,
        ids=payload.ids,
    )
    return Status(202, _job_out(request, job))


@router.get("/jobs/{int:job_id}", response=JobOut, url_name="client_job")
def client_job(request, job_id: int):
    """Progress and result of an export or mass update started by the same user."""
    require_perms(request, "clients.view_client")
    job = get_object_or_404(Job, pk=job_id, kind__startswith="clients.", created_by=request.user)
    return _job_out(request, job)


@router.get(
    "/jobs/{int:job_id}/download",
    response={200: None},
    url_name="client_job_download",
    openapi_extra={
        "responses": {
            200: {
                "description": "El archivo de la exportación (CSV o XLSX), como adjunto",
                "content": {
                    "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
                },
            }
        }
    },
)
def client_job_download(request, job_id: int):
    """The file of a finished export of the same user (the job's `download_url`)."""
    from django.core.exceptions import PermissionDenied
    from django.http import FileResponse, Http404
    from django.utils import timezone

    require_perms(request, "clients.view_client", "clients.export_client")
    job = get_object_or_404(Job, pk=job_id, kind="clients.export", created_by=request.user)
    if job.status != Job.Status.DONE or not job.result_file:
        raise Http404
    if job.expires_at is None or job.expires_at < timezone.now():
        raise PermissionDenied("El enlace de descarga ha caducado; vuelva a exportar.")
    response = FileResponse(
        job.result_file.open("rb"), as_attachment=True, filename=job.result_name
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response

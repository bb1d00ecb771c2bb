"""Contracts endpoints under /api/v1/contracts/: plans, contracts (status changes as
actions), plan assignments, equipment, renewable packages and their assignments, signed
documents. Every write calls contracts.services (the same rules and history as the
pages); every read goes through the user's visible clients. Prices (plans, plan assignments,
package lines) are null for users without `clients.view_money` (core.visibility).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db.models import Model
from django.shortcuts import get_object_or_404
from ninja import Field, File, Form, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from ispgest.api.base import require_perms
from ispgest.clients.models import Client
from ispgest.clients.scoping import visible_clients
from ispgest.contracts import selectors, services
from ispgest.contracts.models import (
    Contract,
    ContractStatus,
    Equipment,
    EquipmentStatus,
    PackageAssignment,
    Plan,
    RenewablePackage,
    SignedDocument,
)
from ispgest.contracts.permissions import can_transition
from ispgest.core import uploads
from ispgest.core.exceptions import DomainError
from ispgest.core.visibility import money_for

router = Router(tags=["contratos"])

_PRICE = "Precio; null sin el permiso clients.view_money"


def _money(context, value):
    """`value` for a request whose user sees money, None otherwise."""
    request = (context or {}).get("request")
    return money_for(getattr(request, "user", None), value)


def _ref(model: type[Model], pk: int | None, field: str, qs=None):
    """The row `pk` of `model` for a payload field, or a 422 naming that field."""
    if pk is None:
        return None
    row = (qs if qs is not None else model.objects.all()).filter(pk=pk).first()
    if row is None:
        raise DomainError(f"No existe el registro {pk}.", field=field)
    return row


def _visible_client(request, pk: int, field: str = "client") -> Client:
    return _ref(Client, pk, field, visible_clients(request.user))


def _scoped(request, model: type[Model], pk: int):
    qs = model.objects.filter(client__in=visible_clients(request.user).values("pk"))
    return get_object_or_404(qs, pk=pk)


# ---------------------------------------------------------------------------------------------
# plans


class PlanOut(Schema):
    id: int
    name: str
    description: str
    kind: str = Field(description="monthly (mensual recurrente) | one_off (pago único)")
    price: Decimal | None = Field(description=_PRICE)
    currency: str
    tax: int | None = Field(None, alias="tax_id")
    download_kbps: int
    upload_kbps: int
    burst_download_kbps: int | None
    burst_upload_kbps: int | None
    burst_threshold_download_kbps: int | None
    burst_threshold_upload_kbps: int | None
    burst_time_seconds: int | None
    priority: int
    active: bool

    @staticmethod
    def resolve_price(obj, context) -> Decimal | None:
        return _money(context, obj.price)


class PlanIn(Schema):
    name: str
    description: str = ""
    kind: str = Plan.Kind.MONTHLY
    price: Decimal
    currency: str | None = None
    tax: int | None = None
    download_kbps: int = 0
    upload_kbps: int = 0
    burst_download_kbps: int | None = None
    burst_upload_kbps: int | None = None
    burst_threshold_download_kbps: int | None = None
    burst_threshold_upload_kbps: int | None = None
    burst_time_seconds: int | None = None
    priority: int = 8
    active: bool = True


class PlanPatch(Schema):
    name: str | None = None
    description: str | None = None
    kind: str | None = None
    price: Decimal | None = None
    currency: str | None = None
    tax: int | None = None
    download_kbps: int | None = None
    upload_kbps: int | None = None
    burst_download_kbps: int | None = None
    burst_upload_kbps: int | None = None
    burst_threshold_download_kbps: int | None = None
    burst_threshold_upload_kbps: int | None = None
    burst_time_seconds: int | None = None
    priority: int | None = None
    active: bool | None = None


def _plan_data(data: dict) -> dict:
    """JSON nulls: no currency means the default; a null description is empty; a plan
    always has a name."""
    if data.get("currency") is None:
        data.pop("currency", None)
    if "description" in data and data["description"] is None:
        data["description"] = ""
    if "name" in data and data["name"] is None:
        raise DomainError("Nombre: es obligatorio.", field="name")
    return data


@router.get("/plans", response=list[PlanOut], url_name="plan_list")
@paginate
def plan_list(request, active: bool | None = None):
    """Tarifas (filtro `active`)."""
    require_perms(request, "contracts.view_plan")
    qs = Plan.objects.order_by("name", "id")
    return qs if active is None else qs.filter(active=active)


@router.get("/plans/{int:plan_id}", response=PlanOut, url_name="plan_get")
def plan_get(request, plan_id: int):
    require_perms(request, "contracts.view_plan")
    return get_object_or_404(Plan, pk=plan_id)


@router.post("/plans", response={201: PlanOut}, url_name="plan_create")
def plan_create(request, payload: PlanIn):
    require_perms(request, "contracts.add_plan")
    return Status(201, services.plan_create(actor=request.user, data=_plan_data(payload.dict())))


@router.patch("/plans/{int:plan_id}", response=PlanOut, url_name="plan_update")
def plan_update(request, plan_id: int, payload: PlanPatch):
    require_perms(request, "contracts.change_plan")
    plan = get_object_or_404(Plan, pk=plan_id)
    data = _plan_data(payload.dict(exclude_unset=True))
    return services.plan_update(actor=request.user, plan=plan, data=data)


@router.delete("/plans/{int:plan_id}", response=PlanOut, url_name="plan_deactivate")
def plan_deactivate(request, plan_id: int):
    """Da de baja la tarifa (no se borra: los contratos la conservan)."""
    require_perms(request, "contracts.change_plan")
    return services.plan_deactivate(actor=request.user, plan=get_object_or_404(Plan, pk=plan_id))


# ---------------------------------------------------------------------------------------------
# contracts


class ContractOut(Schema):
    id: int
    client: int = Field(alias="client_id")
    status: str = Field(
        description="pending_installation | active | suspended | cancelled "
        "(Pendiente de instalación, Activo, Suspendido, Dado de baja)"
    )
    status_label: str
    address: str
    city: int | None = Field(None, alias="city_id")
    latitude: Decimal | None
    longitude: Decimal | None
    map_url: str
    zone: int | None = Field(None, alias="zone_id")
    router: int | None = Field(None, alias="router_id")
    plan: int = Field(alias="plan_id")
    start_date: date
    end_date: date | None
    payment_method: int | None = Field(None, alias="payment_method_id")
    notes: str

    @staticmethod
    def resolve_status_label(obj) -> str:
        return str(obj.get_status_display())


class ContractIn(Schema):
    client: int
    plan: int
    start_date: date
    price: Decimal | None = Field(None, description="Vacío: el precio de la tarifa.")
    address: str
    city: int | None = None
    latitude: Decimal | None = Field(None, description="Entre -90 y 90.")
    longitude: Decimal | None = Field(None, description="Entre -180 y 180.")
    zone: int | None = None
    router: int | None = None
    payment_method: int | None = None
    notes: str = ""


class ContractPatch(Schema):
    address: str | None = None
    city: int | None = None
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    zone: int | None = None
    router: int | None = None
    payment_method: int | None = None
    notes: str | None = None


class TransitionIn(Schema):
    effective_date: date | None = Field(None, description="Por defecto, hoy.")
    reason: str = ""


@router.get("/", response=list[ContractOut], url_name="contract_list")
@paginate
def contract_list(
    request,
    client: int | None = None,
    status: str = "",
    zone: int | None = None,
    plan: int | None = None,
):
    """Contratos de los clientes visibles (filtros `client`, `status`, `zone`, `plan`)."""
    require_perms(request, "contracts.view_contract")
    qs = selectors.visible_contracts(request.user)
    if client is not None:
        qs = qs.filter(client_id=client)
    if status:
        qs = qs.filter(status=status)
    if zone is not None:
        qs = qs.filter(zone_id=zone)
    if plan is not None:
        qs = qs.filter(plan_id=plan)
    return qs.order_by("id")


@router.get("/{int:contract_id}", response=ContractOut, url_name="contract_get")
def contract_get(request, contract_id: int):
    require_perms(request, "contracts.view_contract")
    return _scoped(request, Contract, contract_id)


def _contract_fields(data: dict) -> dict:
    return {
        k: v
        for k, v in data.items()
        if k in services.CONTRACT_FIELDS and not (k in ("notes", "address") and v is None)
    }


@router.post("/", response={201: ContractOut}, url_name="contract_create")
def contract_create(request, payload: ContractIn):
    """Alta de un contrato («Pendiente de instalación») con su primera tarifa."""
    require_perms(request, "contracts.add_contract")
    data = payload.dict()
    client = _visible_client(request, data["client"])
    plan = _ref(Plan, data["plan"], "plan")
    contract = services.contract_create(
        actor=request.user,
        client=client,
        plan=plan,
        start_date=data["start_date"],
        price=data.get("price"),
        data=_contract_fields(data),
    )
    return Status(201, contract)


@router.patch("/{int:contract_id}", response=ContractOut, url_name="contract_update")
def contract_update(request, contract_id: int, payload: ContractPatch):
    require_perms(request, "contracts.change_contract")
    contract = _scoped(request, Contract, contract_id)
    data = _contract_fields(payload.dict(exclude_unset=True))
    return services.contract_update(actor=request.user, contract=contract, data=data)


def _transition(request, contract_id: int, to_status: str, payload: TransitionIn, expect: str):
    require_perms(request, "contracts.view_contract")
    contract = _scoped(request, Contract, contract_id)
    legal = to_status in contract.allowed_transitions()
    if expect and legal and contract.status != expect:
        # activate = install a pending contract; reactivate = lift a suspension.
        raise DomainError(
            "Use «reactivate» para un contrato suspendido y «activate» para uno pendiente "
            "de instalación.",
            field="status",
        )
    if not can_transition(request.user, contract, to_status):
        raise PermissionDenied
    return services.contract_transition(
        actor=request.user,
        contract=contract,
        to_status=to_status,
        effective_date=payload.effective_date,
        reason=payload.reason,
    )


@router.post("/{int:contract_id}/activate", response=ContractOut, url_name="contract_activate")
def contract_activate(request, contract_id: int, payload: TransitionIn):
    """Pendiente de instalación → Activo (instalado)."""
    return _transition(
        request, contract_id, ContractStatus.ACTIVE, payload, ContractStatus.PENDING_INSTALLATION
    )


@router.post("/{int:contract_id}/suspend", response=ContractOut, url_name="contract_suspend")
def contract_suspend(request, contract_id: int, payload: TransitionIn):
    """Activo → Suspendido."""
    return _transition(request, contract_id, ContractStatus.SUSPENDED, payload, "")


@router.post("/{int:contract_id}/reactivate", response=ContractOut, url_name="contract_reactivate")
def contract_reactivate(request, contract_id: int, payload: TransitionIn):
    """Suspendido → Activo."""
    return _transition(
        request, contract_id, ContractStatus.ACTIVE, payload, ContractStatus.SUSPENDED
    )


@router.post("/{int:contract_id}/cancel", response=ContractOut, url_name="contract_cancel")
def contract_cancel(request, contract_id: int, payload: TransitionIn):
    """Dar de baja (desde pendiente, activo o suspendido). Cierra la tarifa vigente."""
    return _transition(request, contract_id, ContractStatus.CANCELLED, payload, "")


# ---------------------------------------------------------------------------------------------
# plan assignments


class PlanAssignmentOut(Schema):
    id: int
    contract: int = Field(alias="contract_id")
    plan: int = Field(alias="plan_id")
    plan_name: str
    price: Decimal | None = Field(description=_PRICE)
    start_date: date
    end_date: date | None = Field(
        description="Exclusiva: el primer día que ya no cubre. Vacía: vigente."
    )

    @staticmethod
    def resolve_plan_name(obj) -> str:
        return obj.plan.name

    @staticmethod
    def resolve_price(obj, context) -> Decimal | None:
        return _money(context, obj.price)


class PlanAssignmentIn(Schema):
    plan: int
    start_date: date
    price: Decimal | None = Field(None, description="Vacío: el precio de la tarifa.")
    end_date: date | None = Field(
        None, description="Vacía: pasa a ser la tarifa vigente (cierra la anterior)."
    )


@router.get(
    "/{int:contract_id}/plan-assignments",
    response=list[PlanAssignmentOut],
    url_name="plan_assignment_list",
)
def plan_assignment_list(request, contract_id: int, include_ended: bool = True):
    require_perms(request, "contracts.view_planassignment")
    contract = _scoped(request, Contract, contract_id)
    qs = contract.plan_assignments.select_related("plan").order_by("-start_date", "-id")
    return qs if include_ended else qs.filter(end_date__isnull=True)


@router.post(
    "/{int:contract_id}/plan-assignments",
    response={201: PlanAssignmentOut},
    url_name="plan_assignment_create",
)
def plan_assignment_create(request, contract_id: int, payload: PlanAssignmentIn):
    """Asigna una tarifa; sin `end_date` termina la vigente en `start_date`."""
    require_perms(request, "contracts.add_planassignment")
    contract = _scoped(request, Contract, contract_id)
    assignment = services.plan_assign(
        actor=request.user,
        contract=contract,
        plan=_ref(Plan, payload.plan, "plan"),
        start_date=payload.start_date,
        price=payload.price,
        end_date=payload.end_date,
    )
    return Status(201, assignment)


# ---------------------------------------------------------------------------------------------
# equipment


class EquipmentOut(Schema):
    id: int
    client: int = Field(alias="client_id")
    contract: int | None = Field(None, alias="contract_id")
    product: int | None = Field(None, alias="product_id")
    description: str
    serial_number: str
    mac_address: str
    ip_address: str | None
    installed_on: date
    technician: int | None = Field(None, alias="technician_id")
    status: str = Field(description="installed | retired | repair")
    retired_on: date | None
    notes: str


class EquipmentIn(Schema):
    client: int
    contract: int | None = None
    product: int | None = None
    description: str = ""
    serial_number: str = ""
    mac_address: str = Field("", description="Se normaliza a AA:BB:CC:DD:EE:FF.")
    ip_address: str | None = None
    installed_on: date | None = None
    technician: int | None = None
    notes: str = ""


class EquipmentPatch(Schema):
    contract: int | None = None
    product: int | None = None
    description: str | None = None
    serial_number: str | None = None
    mac_address: str | None = None
    ip_address: str | None = None
    installed_on: date | None = None
    technician: int | None = None
    notes: str | None = None


class EquipmentStatusIn(Schema):
    on: date | None = Field(None, description="Por defecto, hoy.")


def _equipment_data(data: dict) -> dict:
    out = {}
    for key, value in data.items():
        if key not in services.EQUIPMENT_FIELDS:
            continue
        if key in ("description", "serial_number", "mac_address", "notes") and value is None:
            value = ""
        if key == "ip_address" and value == "":
            value = None
        out[key] = value
    return out


@router.get("/equipment", response=list[EquipmentOut], url_name="equipment_list")
@paginate
def equipment_list(request, client: int | None = None, status: str = ""):
    require_perms(request, "contracts.view_equipment")
    qs = Equipment.objects.filter(client__in=visible_clients(request.user).values("pk"))
    if client is not None:
        qs = qs.filter(client_id=client)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("id")


@router.post("/equipment", response={201: EquipmentOut}, url_name="equipment_install")
def equipment_install(request, payload: EquipmentIn):
    """Instala un equipo (MAC única entre los equipos en servicio)."""
    require_perms(request, "contracts.add_equipment")
    data = payload.dict()
    client = _visible_client(request, data["client"])
    equipment = services.equipment_install(
        actor=request.user, client=client, data=_equipment_data(data)
    )
    return Status(201, equipment)


@router.patch("/equipment/{int:equipment_id}", response=EquipmentOut, url_name="equipment_update")
def equipment_update(request, equipment_id: int, payload: EquipmentPatch):
    require_perms(request, "contracts.change_equipment")
    equipment = _scoped(request, Equipment, equipment_id)
    data = _equipment_data(payload.dict(exclude_unset=True))
    return services.equipment_update(actor=request.user, equipment=equipment, data=data)


def _equipment_status(request, equipment_id: int, to_status: str, payload: EquipmentStatusIn):
    require_perms(request, "contracts.change_equipment")
    equipment = _scoped(request, Equipment, equipment_id)
    return services.equipment_set_status(
        actor=request.user, equipment=equipment, to_status=to_status, on=payload.on
    )


@router.post(
    "/equipment/{int:equipment_id}/retire", response=EquipmentOut, url_name="equipment_retire"
)
def equipment_retire(request, equipment_id: int, payload: EquipmentStatusIn):
    """Retira el equipo (la fila se conserva)."""
    return _equipment_status(request, equipment_id, EquipmentStatus.RETIRED, payload)


@router.post(
    "/equipment/{int:equipment_id}/repair", response=EquipmentOut, url_name="equipment_repair"
)
def equipment_repair(request, equipment_id: int, payload: EquipmentStatusIn):
    return _equipment_status(request, equipment_id, EquipmentStatus.REPAIR, payload)


@router.post(
    "/equipment/{int:equipment_id}/reinstall",
    response=EquipmentOut,
    url_name="equipment_reinstall",
)
def equipment_reinstall(request, equipment_id: int, payload: EquipmentStatusIn):
    return _equipment_status(request, equipment_id, EquipmentStatus.INSTALLED, payload)


# ---------------------------------------------------------------------------------------------
# renewable packages and their assignments


class PackageLineOut(Schema):
    product: int | None = Field(None, alias="product_id")
    description: str
    quantity: Decimal
    unit_price: Decimal | None = Field(description=_PRICE)
    tax: int | None = Field(None, alias="tax_id")

    @staticmethod
    def resolve_unit_price(obj, context) -> Decimal | None:
        return _money(context, obj.unit_price)


class PackageLineIn(Schema):
    product: int | None = None
    description: str = ""
    quantity: Decimal = Decimal("1")
    unit_price: Decimal
    tax: int | None = None


class PackageOut(Schema):
    id: int
    name: str
    description: str
    renewal_months: int
    active: bool
    lines: list[PackageLineOut]


class PackageAssignmentOut(Schema):
    id: int
    client: int = Field(alias="client_id")
    contract: int | None = Field(None, alias="contract_id")
    package: int = Field(alias="package_id")
    start_date: date
    renewal_months: int
    next_renewal_date: date
    status: str = Field(description="active | removed")
    removed_on: date | None
    notes: str
    lines: list[PackageLineOut]


class PackageAssignmentIn(Schema):
    client: int
    package: int
    start_date: date
    contract: int | None = None
    renewal_months: int | None = Field(None, description="Vacío: el del paquete.")
    lines: list[PackageLineIn] | None = Field(None, description="Vacío: las líneas del paquete.")
    notes: str = ""


class PackageConfigureIn(Schema):
    renewal_months: int
    next_renewal_date: date
    contract: int | None = None
    notes: str = ""


class PackageLinesIn(Schema):
    lines: list[PackageLineIn]


@router.get("/packages", response=list[PackageOut], url_name="package_list")
def package_list(request, active: bool | None = None):
    """Catálogo de paquetes renovables."""
    require_perms(request, "contracts.view_renewablepackage")
    qs = RenewablePackage.objects.prefetch_related("lines").order_by("name", "id")
    return list(qs if active is None else qs.filter(active=active))


@router.get(
    "/package-assignments", response=list[PackageAssignmentOut], url_name="package_assignment_list"
)
@paginate
def package_assignment_list(request, client: int | None = None, status: str = ""):
    require_perms(request, "contracts.view_packageassignment")
    qs = PackageAssignment.objects.filter(
        client__in=visible_clients(request.user).values("pk")
    ).prefetch_related("lines")
    if client is not None:
        qs = qs.filter(client_id=client)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("id")


@router.post(
    "/package-assignments",
    response={201: PackageAssignmentOut},
    url_name="package_assignment_create",
)
def package_assignment_create(request, payload: PackageAssignmentIn):
    """Asigna un paquete renovable al cliente; calcula la próxima renovación."""
    require_perms(request, "contracts.add_packageassignment")
    client = _visible_client(request, payload.client)
    contract = _ref(Contract, payload.contract, "contract", Contract.objects.filter(client=client))
    assignment = services.package_assign(
        actor=request.user,
        client=client,
        package=_ref(RenewablePackage, payload.package, "package"),
        start_date=payload.start_date,
        contract=contract,
        renewal_months=payload.renewal_months,
        lines=[line.dict() for line in payload.lines] if payload.lines is not None else None,
        notes=payload.notes,
    )
    return Status(201, assignment)


@router.put(
    "/package-assignments/{int:assignment_id}",
    response=PackageAssignmentOut,
    url_name="package_assignment_configure",
)
def package_assignment_configure(request, assignment_id: int, payload: PackageConfigureIn):
    """Configura la asignación (periodo, próxima renovación, contrato, observaciones)."""
    require_perms(request, "contracts.change_packageassignment")
    assignment = _scoped(request, PackageAssignment, assignment_id)
    contract = _ref(
        Contract, payload.contract, "contract", Contract.objects.filter(client=assignment.client)
    )
    return services.package_assignment_configure(
        actor=request.user,
        assignment=assignment,
        renewal_months=payload.renewal_months,
        next_renewal_date=payload.next_renewal_date,
        contract=contract,
        notes=payload.notes,
    )


@router.put(
    "/package-assignments/{int:assignment_id}/lines",
    response=PackageAssignmentOut,
    url_name="package_assignment_lines",
)
def package_assignment_lines(request, assignment_id: int, payload: PackageLinesIn):
    """Sustituye las líneas (valores propios del cliente)."""
    require_perms(request, "contracts.change_packageassignment")
    assignment = _scoped(request, PackageAssignment, assignment_id)
    return services.package_assignment_edit_lines(
        actor=request.user, assignment=assignment, lines=[line.dict() for line in payload.lines]
    )


@router.post(
    "/package-assignments/{int:assignment_id}/remove",
    response=PackageAssignmentOut,
    url_name="package_assignment_remove",
)
def package_assignment_remove(request, assignment_id: int):
    """Elimina la asignación (queda con estado «Eliminado» y en el historial)."""
    require_perms(request, "contracts.change_packageassignment")
    assignment = _scoped(request, PackageAssignment, assignment_id)
    return services.package_assignment_remove(actor=request.user, assignment=assignment)


# ---------------------------------------------------------------------------------------------
# signed documents


class SignedDocumentOut(Schema):
    id: int
    client: int = Field(alias="client_id")
    contract: int | None = Field(None, alias="contract_id")
    title: str
    original_name: str
    content_type: str
    size: int
    sha256: str
    created_at: datetime


@router.get("/signed-documents", response=list[SignedDocumentOut], url_name="signed_document_list")
@paginate
def signed_document_list(request, client: int | None = None):
    require_perms(request, "contracts.view_signeddocument")
    qs = SignedDocument.objects.filter(client__in=visible_clients(request.user).values("pk"))
    if client is not None:
        qs = qs.filter(client_id=client)
    return qs.order_by("id")


@router.post(
    "/signed-documents",
    response={201: SignedDocumentOut},
    url_name="signed_document_upload",
)
def signed_document_upload(
    request,
    client: int = Form(...),
    file: UploadedFile = File(...),  # noqa: B008 (django-ninja declares parameters this way)
    title: str = Form(""),
    contract: int | None = Form(None),
):
    """Sube un contrato firmado (multipart): PDF o imagen, comprobado por su contenido."""
    require_perms(request, "contracts.add_signeddocument")
    row = _visible_client(request, client)
    contract_row = _ref(Contract, contract, "contract", Contract.objects.filter(client=row))
    document = services.signed_document_upload(
        actor=request.user, client=row, uploaded_file=file, title=title, contract=contract_row
    )
    return Status(201, document)


@router.get(
    "/signed-documents/{int:document_id}/download",
    url_name="signed_document_download",
    response={200: None},
)
def signed_document_download(request, document_id: int):
    """Descarga el archivo (Content-Disposition: attachment)."""
    require_perms(request, "contracts.view_signeddocument")
    document = _scoped(request, SignedDocument, document_id)
    return uploads.download_response(
        document.file,
        original_name=document.original_name,
        content_type=document.content_type,
        fallback="contrato",
    )

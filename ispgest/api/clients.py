"""Client record endpoints under /api/v1/clients/: create, read, update, deactivate (DELETE),
reactivate, contacts, financial data (payment method, SEPA mandates), gateway accounts,
extra-field values and history (automatic rows read-only; manual entries editable).

Every endpoint checks its permission and reads the client through visible_clients(), and
every write goes through clients/services.py, so the API enforces exactly the rules of the
pages. The list, search and export endpoints are added to this router by client_search.py.
"""

from datetime import date, datetime

from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from ispgest.api.base import require_perms
from ispgest.clients import services
from ispgest.clients.models import Client, ClientEvent, Contact, GatewayAccount
from ispgest.clients.scoping import visible_clients
from ispgest.clients.selectors import RELATED
from ispgest.core.country import format_tax_id
from ispgest.core.visibility import bank_detail_for, iban_for

router = Router(tags=["clientes"])


# --- Schemas ------------------------------------------------------------------------------


class ClientIn(Schema):
    """A client's data. On PATCH only the fields sent change; POST/PUT take the defaults."""

    person_type: str = Field("other", description="other | natural | legal (Tipo de persona)")
    name: str = Field("", description="Nombre (Otro); compuesto para personas físicas/jurídicas")
    first_name: str = Field("", description="Primer nombre")
    middle_name: str = Field("", description="Segundo nombre")
    first_surname: str = Field("", description="Primer apellido")
    second_surname: str = Field("", description="Segundo apellido")
    legal_name: str = Field("", description="Razón social (persona jurídica)")
    trade_name: str = Field("", description="Nombre de fantasía")
    custom_id: str | None = Field(None, description="ID Cliente Personalizable (único)")
    document_number: str = Field("", description="Documento o cédula de identidad")
    email: str | None = Field(
        None, description="E-mail de contacto (único, sin distinguir mayúsculas)"
    )
    notify_emails: str | list[str] = Field("", description="Emails a notificar")
    send_invoice_emails: bool = True
    send_payment_emails: bool = True
    send_reminder_emails: bool = True
    send_manual_emails: bool = True
    phone: str = Field("", description="Teléfono fijo")
    mobile: str = Field("", description="Teléfono celular")
    region: int | None = Field(None, description="Provincia/Estado/Región (id)")
    city: int | None = Field(None, description="Ciudad (id)")
    neighbourhood: int | None = Field(None, description="Barrio (id)")
    address: str = Field("", description="Dirección (figura en las facturas)")
    postal_code: str = ""
    notes: str = Field("", description="Observaciones (máximo 10.000 caracteres)")
    seller: int | None = Field(None, description="Vendedor (id)")
    collector: int | None = Field(None, description="Recaudador (id)")
    zone: int | None = Field(None, description="Zona (id)")
    billing_enabled: bool = Field(False, description="Facturación")
    billing_entity: int | None = Field(None, description="Razón social (id)")
    tax_condition: int | None = Field(None, description="Condición de IVA (id)")
    invoice_type: int | None = Field(None, description="Tipo de factura (id)")
    billing_tax: int | None = Field(None, description="Impuesto (id)")
    billing_cycle: int | None = Field(
        None, description="Ciclo de facturación (id; vacío = por defecto)"
    )
    tax_id_kind: str = Field("", description="CUIT, NIT, CC, CE, RUC, CI, RFC, NIF...")
    tax_id: str = Field("", description="Número tributario, validado por país")
    payment_method: int | None = Field(None, description="Forma de pago (id)")
    operator_external_id: str = ""
    operator_provisioning: str = ""
    operator_network: str = ""
    operator_notes: str = ""


class ClientCreateIn(ClientIn):
    extra_values: dict[str, str] = Field(
        default_factory=dict, description="Campos extra: {id del campo: valor}"
    )


class ClientPatch(Schema):
    """Every field optional: only those sent change."""

    person_type: str | None = None
    name: str | None = None
    first_name: str | None = None
    middle_name: str | None = None
    first_surname: str | None = None
    second_surname: str | None = None
    legal_name: str | None = None
    trade_name: str | None = None
    custom_id: str | None = None
    document_number: str | None = None
    email: str | None = None
    notify_emails: str | list[str] | None = None
    send_invoice_emails: bool | None = None
    send_payment_emails: bool | None = None
    send_reminder_emails: bool | None = None
    send_manual_emails: bool | None = None
    phone: str | None = None
    mobile: str | None = None
    region: int | None = None
    city: int | None = None
    neighbourhood: int | None = None
    address: str | None = None
    postal_code: str | None = None
    notes: str | None = None
    seller: int | None = None
    collector: int | None = None
    zone: int | None = None
    billing_enabled: bool | None = None
    billing_entity: int | None = None
    tax_condition: int | None = None
    invoice_type: int | None = None
    billing_tax: int | None = None
    billing_cycle: int | None = None
    tax_id_kind: str | None = None
    tax_id: str | None = None
    payment_method: int | None = None
    operator_external_id: str | None = None
    operator_provisioning: str | None = None
    operator_network: str | None = None
    operator_notes: str | None = None


class ClientOut(Schema):
    id: int
    status: str
    person_type: str
    name: str
    first_name: str
    middle_name: str
    first_surname: str
    second_surname: str
    legal_name: str
    trade_name: str
    custom_id: str | None
    document_number: str
    email: str | None
    notify_emails: list[str]
    receives_email: bool
    send_invoice_emails: bool
    send_payment_emails: bool
    send_reminder_emails: bool
    send_manual_emails: bool
    phone: str
    mobile: str
    region_id: int | None
    city_id: int | None
    neighbourhood_id: int | None
    address: str
    postal_code: str
    notes: str
    seller_id: int | None
    collector_id: int | None
    zone_id: int | None
    billing_enabled: bool
    billing_entity_id: int | None
    tax_condition_id: int | None
    invoice_type_id: int | None
    billing_tax_id: int | None
    billing_cycle_id: int | None
    tax_id_kind: str
    tax_id: str
    tax_id_formatted: str
    payment_method_id: int | None
    operator_external_id: str
    operator_provisioning: str
    operator_network: str
    operator_notes: str
    created_at: datetime
    updated_at: datetime
    deactivated_at: datetime | None

    @staticmethod
    def resolve_notify_emails(obj: Client) -> list[str]:
        return obj.notify_email_list

    @staticmethod
    def resolve_tax_id_formatted(obj: Client) -> str:
        return format_tax_id(obj.tax_id, obj.tax_id_kind)


class ContactIn(Schema):
    name: str = Field(..., description="Nombre")
    role: str = Field("other", description="commercial | owner | administrator | technical | other")
    phone: str = ""
    email: str = ""
    comment: str = ""


class ContactPatch(Schema):
    name: str | None = None
    role: str | None = None
    phone: str | None = None
    email: str | None = None
    comment: str | None = None


class ContactOut(Schema):
    id: int
    name: str
    role: str
    phone: str
    email: str
    comment: str
    active: bool


class MandateIn(Schema):
    account_holder: str = Field("", description="Titular de la cuenta (por defecto, el cliente)")
    iban: str = Field(..., description="IBAN (se valida el dígito de control)")
    bic: str = Field("", description="BIC")
    bank_name: str = Field("", description="Entidad bancaria (opcional)")
    mandate_reference: str = Field("", description="Referencia SEPA única (vacía: se genera)")
    signed_on: date = Field(..., description="Fecha de firma del mandato")


class MandateOut(Schema):
    id: int
    account_holder: str = Field(
        description="Titular; vacío sin el permiso clients.view_bank_details"
    )
    iban: str = Field(
        description="IBAN completo con el permiso clients.view_bank_details; si no, solo sus "
        "cuatro últimos caracteres («•••• 1332»)"
    )
    bic: str = Field(description="BIC; vacío sin el permiso clients.view_bank_details")
    bank_name: str
    mandate_reference: str
    signed_on: date
    active: bool

    @staticmethod
    def resolve_iban(obj, context) -> str:
        request = (context or {}).get("request")
        return iban_for(getattr(request, "user", None), obj.iban)

    @staticmethod
    def resolve_account_holder(obj, context) -> str:
        request = (context or {}).get("request")
        return bank_detail_for(getattr(request, "user", None), obj.account_holder)

    @staticmethod
    def resolve_bic(obj, context) -> str:
        request = (context or {}).get("request")
        return bank_detail_for(getattr(request, "user", None), obj.bic)


class GatewayAccountOut(Schema):
    id: int
    gateway_id: int
    gateway: str
    reference: str

    @staticmethod
    def resolve_gateway(obj: GatewayAccount) -> str:
        return str(obj.gateway)


class GatewayAccountIn(Schema):
    reference: str = Field(..., description="Código del cliente en la pasarela")


class FinancialIn(Schema):
    payment_method: int | None = Field(None, description="Forma de pago (id)")
    mandate: MandateIn | None = Field(None, description="Nuevo mandato (domiciliación)")


class FinancialOut(Schema):
    payment_method_id: int | None
    mandates: list[MandateOut]
    gateway_accounts: list[GatewayAccountOut]


class ExtraValuesIn(Schema):
    values: dict[str, str] = Field(..., description="{id del campo extra: valor}")


class ExtraValueOut(Schema):
    field_id: int
    field: str
    field_type: str
    value: str


class EventOut(Schema):
    id: int
    created_at: datetime
    actor: str | None
    kind: str
    action: str
    entry_type: str
    occurred_on: date | None
    summary: str
    changes: dict

    @staticmethod
    def resolve_actor(obj: ClientEvent) -> str | None:
        return obj.actor.get_username() if obj.actor_id else None


class ManualEventIn(Schema):
    entry_type: str = Field(..., description="call | visit | demo | email | other")
    occurred_on: date | None = None
    summary: str = Field(..., description="Descripción")


class ManualEventPatch(Schema):
    entry_type: str | None = None
    occurred_on: date | None = None
    summary: str | None = None


# --- Helpers ------------------------------------------------------------------------------


def _client(request, client_id: int) -> Client:
    return get_object_or_404(visible_clients(request.user).select_related(*RELATED), pk=client_id)


def _fresh(client: Client) -> Client:
    return Client.objects.select_related(*RELATED).get(pk=client.pk)


# --- The client ---------------------------------------------------------------------------


@router.post("", response={201: ClientOut}, url_name="client_create")
def create_client(request, payload: ClientCreateIn):
    """Crear un cliente (con sus campos extra)."""
    require_perms(request, "clients.add_client")
    data = payload.dict(exclude={"extra_values"})
    if not request.user.has_perm("clients.view_all_clients") and request.user.seller_id:
        # A seller's new client is its own, or it could not see it afterwards.
        data["seller"] = request.user.seller_id
    client = services.client_create(
        actor=request.user, data=data, extra_values=payload.extra_values
    )
    return Status(201, _fresh(client))


@router.get("/{int:client_id}", response=ClientOut, url_name="client_get")
def get_client(request, client_id: int):
    """Ficha del cliente."""
    require_perms(request, "clients.view_client")
    return _client(request, client_id)


def _update(request, client_id: int, data: dict, confirm_rename: bool):
    require_perms(request, "clients.change_client")
    client = _client(request, client_id)
    updated = services.client_update(
        actor=request.user, client=client, data=data, confirm_rename=confirm_rename
    )
    return _fresh(updated)


@router.put("/{int:client_id}", response=ClientOut, url_name="client_put")
def put_client(request, client_id: int, payload: ClientIn, confirm_rename: bool = False):
    """Reemplazar los datos del cliente (renombrar un cliente con facturas pide
    `confirm_rename=true`)."""
    return _update(request, client_id, payload.dict(), confirm_rename)


@router.patch("/{int:client_id}", response=ClientOut, url_name="client_patch")
def patch_client(request, client_id: int, payload: ClientPatch, confirm_rename: bool = False):
    """Cambiar algunos campos del cliente."""
    return _update(request, client_id, payload.dict(exclude_unset=True), confirm_rename)


@router.delete("/{int:client_id}", response=ClientOut, url_name="client_deactivate")
def deactivate_client(request, client_id: int):
    """Borrar = desactivar: los clientes nunca se eliminan."""
    require_perms(request, "clients.change_client")
    return _fresh(
        services.client_deactivate(actor=request.user, client=_client(request, client_id))
    )


@router.post("/{int:client_id}/reactivate", response=ClientOut, url_name="client_reactivate")
def reactivate_client(request, client_id: int):
    """Reactivar un cliente desactivado (administradores)."""
    require_perms(request, "clients.reactivate_client")
    return _fresh(
        services.client_reactivate(actor=request.user, client=_client(request, client_id))
    )


# --- Contacts -----------------------------------------------------------------------------


@router.get("/{int:client_id}/contacts", response=list[ContactOut], url_name="contact_list")
def list_contacts(request, client_id: int):
    require_perms(request, "clients.view_contact")
    return list(_client(request, client_id).contacts.filter(active=True).order_by("name", "id"))


@router.post("/{int:client_id}/contacts", response={201: ContactOut}, url_name="contact_create")
def create_contact(request, client_id: int, payload: ContactIn):
    require_perms(request, "clients.add_contact")
    client = _client(request, client_id)
    return Status(
        201, services.contact_create(actor=request.user, client=client, data=payload.dict())
    )


def _contact(request, client_id: int, contact_id: int) -> Contact:
    client = _client(request, client_id)
    return get_object_or_404(Contact, pk=contact_id, client=client, active=True)


@router.get(
    "/{int:client_id}/contacts/{int:contact_id}", response=ContactOut, url_name="contact_get"
)
def get_contact(request, client_id: int, contact_id: int):
    require_perms(request, "clients.view_contact")
    return _contact(request, client_id, contact_id)


@router.patch(
    "/{int:client_id}/contacts/{int:contact_id}", response=ContactOut, url_name="contact_patch"
)
def patch_contact(request, client_id: int, contact_id: int, payload: ContactPatch):
    require_perms(request, "clients.change_contact")
    contact = _contact(request, client_id, contact_id)
    return services.contact_update(
        actor=request.user, contact=contact, data=payload.dict(exclude_unset=True)
    )


@router.delete(
    "/{int:client_id}/contacts/{int:contact_id}", response={204: None}, url_name="contact_remove"
)
def remove_contact(request, client_id: int, contact_id: int):
    """Quitar la persona de contacto (queda en el historial)."""
    require_perms(request, "clients.change_contact")
    services.contact_remove(actor=request.user, contact=_contact(request, client_id, contact_id))
    return Status(204, None)


# --- Financial data -----------------------------------------------------------------------


def _financial(client: Client) -> dict:
    return {
        "payment_method_id": client.payment_method_id,
        "mandates": list(client.mandates.order_by("-active", "-signed_on", "-id")),
        "gateway_accounts": list(client.gateway_accounts.select_related("gateway")),
    }


@router.get("/{int:client_id}/financial", response=FinancialOut, url_name="financial_get")
def get_financial(request, client_id: int):
    """Datos financieros: forma de pago, mandatos SEPA y cuentas en pasarelas."""
    require_perms(request, "clients.view_bankmandate", "clients.view_gatewayaccount")
    return _financial(_client(request, client_id))


@router.put("/{int:client_id}/financial", response=FinancialOut, url_name="financial_put")
def put_financial(request, client_id: int, payload: FinancialIn):
    """Forma de pago por defecto y, para domiciliación, el mandato."""
    require_perms(request, "clients.change_client", "clients.add_bankmandate")
    client = services.client_financial_data_set(
        actor=request.user,
        client=_client(request, client_id),
        payment_method=payload.payment_method,
        mandate=payload.mandate.dict() if payload.mandate else None,
    )
    return _financial(client)


@router.post("/{int:client_id}/mandates", response={201: MandateOut}, url_name="mandate_create")
def create_mandate(request, client_id: int, payload: MandateIn):
    """Registrar un mandato SEPA (cierra el mandato activo anterior)."""
    require_perms(request, "clients.add_bankmandate")
    client = _client(request, client_id)
    return Status(
        201, services.mandate_create(actor=request.user, client=client, data=payload.dict())
    )


@router.get("/{int:client_id}/mandates", response=list[MandateOut], url_name="mandate_list")
def list_mandates(request, client_id: int):
    require_perms(request, "clients.view_bankmandate")
    return list(_client(request, client_id).mandates.order_by("-active", "-signed_on", "-id"))


@router.get(
    "/{int:client_id}/gateway-accounts",
    response=list[GatewayAccountOut],
    url_name="gateway_account_list",
)
def list_gateway_accounts(request, client_id: int):
    require_perms(request, "clients.view_gatewayaccount")
    return list(_client(request, client_id).gateway_accounts.select_related("gateway"))


@router.put(
    "/{int:client_id}/gateway-accounts/{int:gateway_id}",
    response=GatewayAccountOut,
    url_name="gateway_account_set",
)
def set_gateway_account(request, client_id: int, gateway_id: int, payload: GatewayAccountIn):
    """El código del cliente en una pasarela de pago."""
    require_perms(request, "clients.add_gatewayaccount", "clients.change_gatewayaccount")
    return services.gateway_account_set(
        actor=request.user,
        client=_client(request, client_id),
        gateway=gateway_id,
        reference=payload.reference,
    )


@router.delete(
    "/{int:client_id}/gateway-accounts/{int:gateway_id}",
    response={204: None},
    url_name="gateway_account_remove",
)
def remove_gateway_account(request, client_id: int, gateway_id: int):
    require_perms(request, "clients.change_gatewayaccount")
    client = _client(request, client_id)
    account = get_object_or_404(GatewayAccount, client=client, gateway_id=gateway_id)
    services.gateway_account_remove(actor=request.user, account=account)
    return Status(204, None)


# --- Extra fields -------------------------------------------------------------------------


def _extra_values(client: Client) -> list[dict]:
    return [
        {
            "field_id": v.field_id,
            "field": v.field.name,
            "field_type": v.field.field_type,
            "value": v.value,
        }
        for v in client.extra_values.select_related("field").order_by("field__position")
    ]


@router.get(
    "/{int:client_id}/extra-values", response=list[ExtraValueOut], url_name="extra_values_get"
)
def get_extra_values(request, client_id: int):
    require_perms(request, "clients.view_extrafieldvalue")
    return _extra_values(_client(request, client_id))


@router.put(
    "/{int:client_id}/extra-values", response=list[ExtraValueOut], url_name="extra_values_put"
)
def put_extra_values(request, client_id: int, payload: ExtraValuesIn):
    """Valores de campos extra ("Otros"), validados por el tipo de cada campo."""
    require_perms(request, "clients.add_extrafieldvalue", "clients.change_extrafieldvalue")
    client = _client(request, client_id)
    services.client_extra_values_set(actor=request.user, client=client, values=payload.values)
    return _extra_values(client)


# --- History ------------------------------------------------------------------------------


@router.get("/{int:client_id}/history", response=list[EventOut], url_name="history_list")
@paginate
def list_history(request, client_id: int):
    """Historial del cliente, del más reciente al más antiguo."""
    require_perms(request, "clients.view_clientevent")
    client = _client(request, client_id)
    return ClientEvent.objects.filter(client=client).select_related("actor")


@router.post("/{int:client_id}/history", response={201: EventOut}, url_name="history_create")
def create_manual_event(request, client_id: int, payload: ManualEventIn):
    """Movimiento manual (llamada, visita, demostración, e-mail, otro)."""
    require_perms(request, "clients.add_clientevent")
    client = _client(request, client_id)
    event = services.client_event_create(
        actor=request.user, client=client, data=payload.dict(exclude_unset=True)
    )
    return Status(201, event)


def _event(request, client_id: int, event_id: int) -> ClientEvent:
    client = _client(request, client_id)
    return get_object_or_404(
        ClientEvent.objects.select_related("actor"), pk=event_id, client=client
    )


@router.patch(
    "/{int:client_id}/history/{int:event_id}", response=EventOut, url_name="history_patch"
)
def patch_manual_event(request, client_id: int, event_id: int, payload: ManualEventPatch):
    """Solo los movimientos manuales se pueden modificar."""
    require_perms(request, "clients.change_clientevent")
    event = _event(request, client_id, event_id)
    return services.client_event_update(
        actor=request.user, event=event, data=payload.dict(exclude_unset=True)
    )


@router.delete(
    "/{int:client_id}/history/{int:event_id}", response={204: None}, url_name="history_delete"
)
def delete_manual_event(request, client_id: int, event_id: int):
    """Solo los movimientos manuales se pueden borrar."""
    require_perms(request, "clients.delete_clientevent")
    services.client_event_delete(actor=request.user, event=_event(request, client_id, event_id))
    return Status(204, None)

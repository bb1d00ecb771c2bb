"""CRM endpoints under /api/v1/crm/: companies and their sections (apoderados, socios,
retenciones, facturación anual, cuentas bancarias), prospects (and their conversion into a
client), the stage catalog, opportunities (stage moves as an action, the contract of a won
one), activities and the pipeline summary.

Same services, rules and visibility as the pages: a Vendedor without
`crm.view_all_pipeline` gets 404 for another seller's opportunity, prospect or activity.
"""

from datetime import date, datetime
from decimal import Decimal

from django.shortcuts import get_object_or_404
from ninja import Field, ModelSchema, Router, Schema, Status
from ninja.pagination import paginate

from ispgest.api.base import require_perms
from ispgest.clients.scoping import visible_clients
from ispgest.crm import selectors, services
from ispgest.crm.models import (
    Activity,
    AnnualTurnover,
    Attorney,
    Company,
    CompanyBankAccount,
    Opportunity,
    OpportunityStage,
    Prospect,
    Shareholder,
    Withholding,
)

router = Router(tags=["crm"])


def _company(request, pk: int) -> Company:
    return get_object_or_404(selectors.visible_companies(request.user), pk=pk)


def _child(request, model, pk: int):
    companies = selectors.visible_companies(request.user).values("pk")
    return get_object_or_404(model.objects.filter(company__in=companies), pk=pk)


# =============================================================================================
# Companies


class CompanyOut(ModelSchema):
    client: int = Field(alias="client_id")

    class Meta:
        model = Company
        fields = ["id", "active", *services.COMPANY_FIELDS]


class CompanyIn(ModelSchema):
    class Meta:
        model = Company
        fields = list(services.COMPANY_FIELDS)
        fields_optional = "__all__"


class CompanyCreateIn(CompanyIn):
    client: int
    name: str


@router.get("/companies", response=list[CompanyOut], url_name="company_list")
@paginate
def company_list(request, client: int | None = None, active: bool | None = True):
    """Sociedades de los clientes visibles (filtros `client`, `active`)."""
    require_perms(request, "crm.view_company")
    qs = selectors.visible_companies(request.user)
    if client is not None:
        qs = qs.filter(client_id=client)
    if active is not None:
        qs = qs.filter(active=active)
    return qs.order_by("id")


@router.post("/companies", response={201: CompanyOut}, url_name="company_create")
def company_create(request, payload: CompanyCreateIn):
    """Alta de una sociedad de un cliente (cualquier campo de las cuatro secciones)."""
    require_perms(request, "crm.add_company")
    data = payload.dict(exclude_unset=True)
    client = get_object_or_404(visible_clients(request.user), pk=data.pop("client"))
    return Status(201, services.company_create(actor=request.user, client=client, data=data))


@router.get("/companies/{int:company_id}", response=CompanyOut, url_name="company_get")
def company_get(request, company_id: int):
    require_perms(request, "crm.view_company")
    return _company(request, company_id)


@router.patch("/companies/{int:company_id}", response=CompanyOut, url_name="company_update")
def company_update(request, company_id: int, payload: CompanyIn, section: str = ""):
    """Modifica campos de una sociedad. `section` (general, mercantil, fiscal, financiera)
    limita el cambio a los campos de esa sección, como el «Guardar» de cada una."""
    require_perms(request, "crm.change_company")
    company = _company(request, company_id)
    data = payload.dict(exclude_unset=True)
    return services.company_update(actor=request.user, company=company, data=data, section=section)


@router.delete("/companies/{int:company_id}", response=CompanyOut, url_name="company_deactivate")
def company_deactivate(request, company_id: int):
    """Da de baja la sociedad (no se borra)."""
    require_perms(request, "crm.change_company")
    return services.company_deactivate(actor=request.user, company=_company(request, company_id))


class AttorneyOut(ModelSchema):
    is_expired: bool

    class Meta:
        model = Attorney
        fields = ["id", "active", *services.ATTORNEY_FIELDS]


class AttorneyIn(ModelSchema):
    class Meta:
        model = Attorney
        fields = list(services.ATTORNEY_FIELDS)
        fields_optional = "__all__"


@router.get(
    "/companies/{int:company_id}/attorneys", response=list[AttorneyOut], url_name="attorney_list"
)
def attorney_list(request, company_id: int):
    """Apoderados vigentes (`is_expired`: vencido)."""
    require_perms(request, "crm.view_company")
    return list(_company(request, company_id).attorneys.filter(active=True))


@router.post(
    "/companies/{int:company_id}/attorneys",
    response={201: AttorneyOut},
    url_name="attorney_create",
)
def attorney_create(request, company_id: int, payload: AttorneyIn):
    require_perms(request, "crm.change_company")
    company = _company(request, company_id)
    return Status(
        201,
        services.attorney_add(
            actor=request.user, company=company, data=payload.dict(exclude_unset=True)
        ),
    )


@router.patch("/attorneys/{int:attorney_id}", response=AttorneyOut, url_name="attorney_update")
def attorney_update(request, attorney_id: int, payload: AttorneyIn):
    require_perms(request, "crm.change_company")
    row = _child(request, Attorney, attorney_id)
    return services.attorney_update(
        actor=request.user, attorney=row, data=payload.dict(exclude_unset=True)
    )


@router.delete("/attorneys/{int:attorney_id}", response=AttorneyOut, url_name="attorney_remove")
def attorney_remove(request, attorney_id: int):
    """Revoca el apoderado (queda en el historial)."""
    require_perms(request, "crm.change_company")
    return services.attorney_remove(
        actor=request.user, attorney=_child(request, Attorney, attorney_id)
    )


class ShareholderOut(ModelSchema):
    linked_client: int | None = Field(None, alias="linked_client_id")

    class Meta:
        model = Shareholder
        fields = ["id", "name", "tax_id", "percentage", "shares", "active"]


class ShareholderIn(Schema):
    linked_client: int | None = None
    name: str | None = None
    tax_id: str | None = None
    percentage: Decimal | None = Field(None, description="0-100; la suma de socios ≤ 100 %.")
    shares: int | None = None


@router.get(
    "/companies/{int:company_id}/shareholders",
    response=list[ShareholderOut],
    url_name="shareholder_list",
)
def shareholder_list(request, company_id: int):
    require_perms(request, "crm.view_company")
    return list(_company(request, company_id).shareholders.filter(active=True))


@router.post(
    "/companies/{int:company_id}/shareholders",
    response={201: ShareholderOut},
    url_name="shareholder_create",
)
def shareholder_create(request, company_id: int, payload: ShareholderIn):
    """Añade un socio; la suma de porcentajes de los socios no puede pasar de 100 %."""
    require_perms(request, "crm.change_company")
    company = _company(request, company_id)
    data = payload.dict(exclude_unset=True)
    return Status(201, services.shareholder_add(actor=request.user, company=company, data=data))


@router.patch(
    "/shareholders/{int:shareholder_id}", response=ShareholderOut, url_name="shareholder_update"
)
def shareholder_update(request, shareholder_id: int, payload: ShareholderIn):
    require_perms(request, "crm.change_company")
    row = _child(request, Shareholder, shareholder_id)
    return services.shareholder_update(
        actor=request.user, shareholder=row, data=payload.dict(exclude_unset=True)
    )


@router.delete(
    "/shareholders/{int:shareholder_id}", response=ShareholderOut, url_name="shareholder_remove"
)
def shareholder_remove(request, shareholder_id: int):
    require_perms(request, "crm.change_company")
    return services.shareholder_remove(
        actor=request.user, shareholder=_child(request, Shareholder, shareholder_id)
    )


class WithholdingOut(ModelSchema):
    class Meta:
        model = Withholding
        fields = ["id", "kind", "rate", "active"]


class WithholdingIn(Schema):
    kind: str
    rate: Decimal


@router.get(
    "/companies/{int:company_id}/withholdings",
    response=list[WithholdingOut],
    url_name="withholding_list",
)
def withholding_list(request, company_id: int):
    require_perms(request, "crm.view_company")
    return list(_company(request, company_id).withholdings.filter(active=True))


@router.post(
    "/companies/{int:company_id}/withholdings",
    response={201: WithholdingOut},
    url_name="withholding_create",
)
def withholding_create(request, company_id: int, payload: WithholdingIn):
    require_perms(request, "crm.change_company")
    company = _company(request, company_id)
    return Status(
        201, services.withholding_add(actor=request.user, company=company, data=payload.dict())
    )


@router.delete(
    "/withholdings/{int:withholding_id}", response=WithholdingOut, url_name="withholding_remove"
)
def withholding_remove(request, withholding_id: int):
    require_perms(request, "crm.change_company")
    return services.withholding_remove(
        actor=request.user, withholding=_child(request, Withholding, withholding_id)
    )


class TurnoverOut(ModelSchema):
    class Meta:
        model = AnnualTurnover
        fields = ["year", "amount"]


class TurnoverIn(Schema):
    amount: Decimal


@router.get(
    "/companies/{int:company_id}/turnovers", response=list[TurnoverOut], url_name="turnover_list"
)
def turnover_list(request, company_id: int):
    """Facturación anual, del año más reciente al más antiguo."""
    require_perms(request, "crm.view_company")
    return list(_company(request, company_id).turnovers.order_by("-year"))


@router.put(
    "/companies/{int:company_id}/turnovers/{int:year}",
    response=TurnoverOut,
    url_name="turnover_set",
)
def turnover_set(request, company_id: int, year: int, payload: TurnoverIn):
    require_perms(request, "crm.change_company")
    company = _company(request, company_id)
    return services.turnover_set(
        actor=request.user, company=company, year=year, amount=payload.amount
    )


@router.delete(
    "/companies/{int:company_id}/turnovers/{int:year}",
    response={204: None},
    url_name="turnover_remove",
)
def turnover_remove(request, company_id: int, year: int):
    require_perms(request, "crm.change_company")
    company = _company(request, company_id)
    row = get_object_or_404(AnnualTurnover, company=company, year=year)
    services.turnover_remove(actor=request.user, turnover=row)
    return Status(204, None)


class BankAccountOut(ModelSchema):
    class Meta:
        model = CompanyBankAccount
        fields = ["id", "holder", "iban", "bic", "bank_name", "is_primary", "active"]


class BankAccountIn(Schema):
    iban: str = Field(..., description="IBAN (se valida el dígito de control)")
    bic: str = ""
    holder: str = ""
    bank_name: str = ""
    is_primary: bool = False


@router.get(
    "/companies/{int:company_id}/bank-accounts",
    response=list[BankAccountOut],
    url_name="bank_account_list",
)
def bank_account_list(request, company_id: int):
    require_perms(request, "crm.view_company")
    return list(_company(request, company_id).bank_accounts.filter(active=True))


@router.post(
    "/companies/{int:company_id}/bank-accounts",
    response={201: BankAccountOut},
    url_name="bank_account_create",
)
def bank_account_create(request, company_id: int, payload: BankAccountIn):
    require_perms(request, "crm.change_company")
    company = _company(request, company_id)
    return Status(
        201, services.bank_account_add(actor=request.user, company=company, data=payload.dict())
    )


@router.delete(
    "/bank-accounts/{int:account_id}", response=BankAccountOut, url_name="bank_account_remove"
)
def bank_account_remove(request, account_id: int):
    require_perms(request, "crm.change_company")
    return services.bank_account_remove(
        actor=request.user, account=_child(request, CompanyBankAccount, account_id)
    )


# =============================================================================================
# Prospects


class ProspectOut(ModelSchema):
    seller: int | None = Field(None, alias="seller_id")
    converted_client: int | None = Field(None, alias="converted_client_id")

    class Meta:
        model = Prospect
        fields = [
            "id",
            "name",
            "company_name",
            "phone",
            "email",
            "address",
            "notes",
            "source",
            "status",
            "discard_reason",
            "converted_at",
            "created_at",
        ]


class ProspectIn(Schema):
    name: str | None = None
    company_name: str | None = None
    phone: str | None = None
    email: str | None = None
    address: str | None = None
    notes: str | None = None
    source: str | None = None
    seller: int | None = Field(
        None, description="Solo jefes de ventas; un Vendedor queda siempre como vendedor."
    )


class DiscardIn(Schema):
    reason: str


class ConvertIn(Schema):
    client: dict = Field(
        default_factory=dict,
        description="Campos del cliente como en POST /clients/ (vacíos: los del prospecto).",
    )
    extra_values: dict[str, str] = Field(default_factory=dict)


def _prospect_data(payload: Schema) -> dict:
    return {k: v for k, v in payload.dict(exclude_unset=True).items() if v is not None}


@router.get("/prospects", response=list[ProspectOut], url_name="prospect_list")
@paginate
def prospect_list(request, status: str = "open", q: str = "", seller: int | None = None):
    """Prospectos visibles (`status`: open, converted, discarded o all)."""
    require_perms(request, "crm.view_prospect")
    return selectors.prospect_list(request.user, status=status, q=q[:100], seller=str(seller or ""))


@router.post("/prospects", response={201: ProspectOut}, url_name="prospect_create")
def prospect_create(request, payload: ProspectIn):
    """Alta con datos mínimos: nombre y teléfono o e-mail."""
    require_perms(request, "crm.add_prospect")
    return Status(201, services.prospect_create(actor=request.user, data=_prospect_data(payload)))


@router.get("/prospects/{int:prospect_id}", response=ProspectOut, url_name="prospect_get")
def prospect_get(request, prospect_id: int):
    require_perms(request, "crm.view_prospect")
    return selectors.prospect_for_user(request.user, prospect_id)


@router.patch("/prospects/{int:prospect_id}", response=ProspectOut, url_name="prospect_update")
def prospect_update(request, prospect_id: int, payload: ProspectIn):
    require_perms(request, "crm.change_prospect")
    prospect = selectors.prospect_for_user(request.user, prospect_id)
    return services.prospect_update(
        actor=request.user, prospect=prospect, data=_prospect_data(payload)
    )


@router.post(
    "/prospects/{int:prospect_id}/discard", response=ProspectOut, url_name="prospect_discard"
)
def prospect_discard(request, prospect_id: int, payload: DiscardIn):
    require_perms(request, "crm.change_prospect")
    prospect = selectors.prospect_for_user(request.user, prospect_id)
    return services.prospect_discard(actor=request.user, prospect=prospect, reason=payload.reason)


@router.post(
    "/prospects/{int:prospect_id}/reopen", response=ProspectOut, url_name="prospect_reopen"
)
def prospect_reopen(request, prospect_id: int):
    require_perms(request, "crm.change_prospect")
    prospect = selectors.prospect_for_user(request.user, prospect_id)
    return services.prospect_reopen(actor=request.user, prospect=prospect)


class ConvertedOut(Schema):
    prospect: int
    client: int


@router.post(
    "/prospects/{int:prospect_id}/convert",
    response={201: ConvertedOut},
    url_name="prospect_convert",
)
def prospect_convert(request, prospect_id: int, payload: ConvertIn):
    """Convierte el prospecto en cliente (mismas reglas que POST /clients/) y le pasa sus
    oportunidades, actuaciones e historial, todo o nada."""
    require_perms(request, "crm.change_prospect", "clients.add_client")
    prospect = selectors.prospect_for_user(request.user, prospect_id)
    data = {**services.prospect_client_initial(prospect), **payload.client}
    client = services.prospect_convert(
        actor=request.user, prospect=prospect, data=data, extra_values=payload.extra_values
    )
    return Status(201, {"prospect": prospect.pk, "client": client.pk})


# =============================================================================================
# Stages, opportunities, pipeline


class StageOut(ModelSchema):
    allowed_next: list[str]

    class Meta:
        model = OpportunityStage
        fields = ["id", "code", "name", "order", "kind", "default_probability", "active"]

    @staticmethod
    def resolve_allowed_next(obj) -> list[str]:
        return [s.code for s in obj.allowed_next.all()]


@router.get("/stages", response=list[StageOut], url_name="stage_list")
def stage_list(request):
    """El catálogo de etapas en orden, con su mapa de transiciones (`allowed_next`)."""
    require_perms(request, "crm.view_opportunitystage")
    return selectors.stages(active_only=False)


class OpportunityOut(ModelSchema):
    client: int | None = Field(None, alias="client_id")
    prospect: int | None = Field(None, alias="prospect_id")
    seller: int | None = Field(None, alias="seller_id")
    contract: int | None = Field(None, alias="contract_id")
    stage: str
    plans: list[int]

    class Meta:
        model = Opportunity
        fields = [
            "id",
            "title",
            "description",
            "amount",
            "probability",
            "expected_close_date",
            "source",
            "lost_reason",
            "closed_at",
            "created_at",
        ]

    @staticmethod
    def resolve_stage(obj) -> str:
        return obj.stage.code

    @staticmethod
    def resolve_plans(obj) -> list[int]:
        return [p.pk for p in obj.plans.all()]


class OpportunityIn(Schema):
    client: int | None = None
    prospect: int | None = None
    title: str
    description: str = ""
    stage: str | None = Field(None, description="Código o id de una etapa abierta.")
    amount: Decimal | None = None
    probability: int | None = Field(None, description="Vacío: la de la etapa.")
    expected_close_date: date | None = None
    seller: int | None = None
    source: str | None = None
    plans: list[int] = Field(default_factory=list)


class OpportunityPatch(Schema):
    title: str | None = None
    description: str | None = None
    amount: Decimal | None = None
    probability: int | None = None
    expected_close_date: date | None = None
    seller: int | None = None
    source: str | None = None
    plans: list[int] | None = None


class MoveIn(Schema):
    stage: str = Field(..., description="Código o id de la etapa destino.")
    reason: str = Field("", description="Obligatorio para pasar a una etapa perdida.")


class ContractFromOpportunityIn(Schema):
    plan: int | None = Field(None, description="Vacío: la primera tarifa de interés.")
    start_date: date | None = Field(None, description="Vacío: hoy.")
    price: Decimal | None = None
    address: str | None = Field(None, description="Vacío: la dirección del cliente.")
    zone: int | None = None
    payment_method: int | None = None
    notes: str = ""


class ContractRef(Schema):
    id: int
    client: int = Field(alias="client_id")
    plan: int = Field(alias="plan_id")
    status: str


def _opportunities(request):
    return (
        selectors.visible_opportunities(request.user)
        .select_related("stage")
        .prefetch_related("plans")
    )


@router.get("/opportunities", response=list[OpportunityOut], url_name="opportunity_list")
@paginate
def opportunity_list(
    request,
    stage: str = "",
    seller: int | None = None,
    client: int | None = None,
    prospect: int | None = None,
    close_from: date | None = None,
    close_to: date | None = None,
):
    """Oportunidades visibles (filtros por etapa, vendedor, cliente, prospecto y fecha
    prevista de cierre)."""
    require_perms(request, "crm.view_opportunity")
    qs = _opportunities(request)
    if stage:
        qs = qs.filter(stage__code=stage)
    if seller is not None:
        qs = qs.filter(seller_id=seller)
    if client is not None:
        qs = qs.filter(client_id=client)
    if prospect is not None:
        qs = qs.filter(prospect_id=prospect)
    if close_from:
        qs = qs.filter(expected_close_date__gte=close_from)
    if close_to:
        qs = qs.filter(expected_close_date__lte=close_to)
    return qs.order_by("id")


@router.post("/opportunities", response={201: OpportunityOut}, url_name="opportunity_create")
def opportunity_create(request, payload: OpportunityIn):
    """Alta de una oportunidad de un cliente o de un prospecto (uno de los dos)."""
    require_perms(request, "crm.add_opportunity")
    data = payload.dict()
    client_id, prospect_id = data.pop("client"), data.pop("prospect")
    client = get_object_or_404(visible_clients(request.user), pk=client_id) if client_id else None
    prospect = selectors.prospect_for_user(request.user, prospect_id) if prospect_id else None
    data = {k: v for k, v in data.items() if v is not None}
    opp = services.opportunity_create(
        actor=request.user, client=client, prospect=prospect, data=data
    )
    return Status(201, opp)


@router.get(
    "/opportunities/{int:opportunity_id}", response=OpportunityOut, url_name="opportunity_get"
)
def opportunity_get(request, opportunity_id: int):
    require_perms(request, "crm.view_opportunity")
    return get_object_or_404(_opportunities(request), pk=opportunity_id)


@router.patch(
    "/opportunities/{int:opportunity_id}", response=OpportunityOut, url_name="opportunity_update"
)
def opportunity_update(request, opportunity_id: int, payload: OpportunityPatch):
    require_perms(request, "crm.change_opportunity")
    opp = selectors.opportunity_for_user(request.user, opportunity_id)
    data = payload.dict(exclude_unset=True)
    return services.opportunity_update(actor=request.user, opportunity=opp, data=data)


@router.post(
    "/opportunities/{int:opportunity_id}/move",
    response=OpportunityOut,
    url_name="opportunity_move",
)
def opportunity_move(request, opportunity_id: int, payload: MoveIn):
    """Mueve la oportunidad a otra etapa según el mapa de transiciones (422 si no se puede)."""
    require_perms(request, "crm.change_opportunity")
    opp = selectors.opportunity_for_user(request.user, opportunity_id)
    services.opportunity_move(
        actor=request.user, opportunity=opp, stage=payload.stage, reason=payload.reason
    )
    return get_object_or_404(_opportunities(request), pk=opp.pk)


@router.post(
    "/opportunities/{int:opportunity_id}/contract",
    response={201: ContractRef},
    url_name="opportunity_contract",
)
def opportunity_contract(request, opportunity_id: int, payload: ContractFromOpportunityIn):
    """Crea el contrato de una oportunidad ganada; lo que falte se toma de la oportunidad
    (tarifa de interés) y del cliente (dirección, zona, forma de pago)."""
    from ispgest.catalog.models import PaymentMethod, Zone
    from ispgest.contracts.models import Plan

    require_perms(request, "crm.change_opportunity", "contracts.add_contract")
    opp = selectors.opportunity_for_user(request.user, opportunity_id)
    initial = services.contract_initial(opp)
    given = {k: v for k, v in payload.dict().items() if v not in (None, "")}
    values = {**initial, **given}
    plan = Plan.objects.filter(pk=values.get("plan")).first() if values.get("plan") else None
    if plan is None:
        from ispgest.core.exceptions import DomainError

        raise DomainError("Tarifa: indique la tarifa del contrato.", field="plan")
    data = {"address": values.get("address", ""), "notes": values.get("notes", "")}
    if values.get("zone"):
        data["zone"] = get_object_or_404(Zone, pk=values["zone"])
    if values.get("payment_method"):
        data["payment_method"] = get_object_or_404(PaymentMethod, pk=values["payment_method"])
    if values.get("city"):
        from ispgest.catalog.models import City

        data["city"] = get_object_or_404(City, pk=values["city"])
    contract = services.opportunity_contract_create(
        actor=request.user,
        opportunity=opp,
        plan=plan,
        start_date=values["start_date"],
        data=data,
        price=values.get("price"),
    )
    return Status(201, contract)


class ColumnOut(Schema):
    stage: str
    name: str
    count: int
    total: Decimal
    weighted: Decimal


class SellerForecastOut(Schema):
    seller: int | None
    seller_name: str
    open_count: int
    open_total: Decimal
    weighted: Decimal
    won_total: Decimal


class PipelineOut(Schema):
    columns: list[ColumnOut]
    sellers: list[SellerForecastOut]


@router.get("/pipeline", response=PipelineOut, url_name="pipeline")
def pipeline(
    request, seller: str = "", close_from: date | None = None, close_to: date | None = None
):
    """Totales y previsión ponderada por etapa y por vendedor (`seller`: id o `none`)."""
    require_perms(request, "crm.view_opportunity")
    columns, forecast = selectors.pipeline_board(
        request.user, seller=seller, date_from=close_from, date_to=close_to, per_stage=0
    )
    return {
        "columns": [
            {
                "stage": c.stage.code,
                "name": c.stage.name,
                "count": c.count,
                "total": c.total,
                "weighted": c.weighted,
            }
            for c in columns
        ],
        "sellers": [
            {
                "seller": f.seller_id,
                "seller_name": f.seller_name,
                "open_count": f.open_count,
                "open_total": f.open_total,
                "weighted": f.weighted,
                "won_total": f.won_total,
            }
            for f in forecast
        ],
    }


# =============================================================================================
# Activities


class ActivityOut(ModelSchema):
    opportunity: int | None = Field(None, alias="opportunity_id")
    client: int | None = Field(None, alias="client_id")
    prospect: int | None = Field(None, alias="prospect_id")
    user: int = Field(alias="user_id")

    class Meta:
        model = Activity
        fields = ["id", *services.ACTIVITY_FIELDS, "next_action_done_at"]


class ActivityIn(Schema):
    opportunity: int | None = None
    client: int | None = None
    prospect: int | None = None
    kind: str = Field(..., description="call, visit, demo, email, meeting, other")
    occurred_at: datetime | None = Field(None, description="Vacío: ahora.")
    user: int | None = Field(None, description="Vacío: el usuario del token.")
    notes: str = ""
    result: str = ""
    next_action: str = ""
    next_action_on: date | None = None


class ActivityPatch(Schema):
    kind: str | None = None
    occurred_at: datetime | None = None
    user: int | None = None
    notes: str | None = None
    result: str | None = None
    next_action: str | None = None
    next_action_on: date | None = None


@router.get("/activities", response=list[ActivityOut], url_name="activity_list")
@paginate
def activity_list(
    request,
    opportunity: int | None = None,
    client: int | None = None,
    prospect: int | None = None,
):
    """Actuaciones visibles, de la más reciente a la más antigua."""
    require_perms(request, "crm.view_activity")
    qs = selectors.visible_activities(request.user)
    if opportunity is not None:
        qs = qs.filter(opportunity_id=opportunity)
    if client is not None:
        qs = qs.filter(client_id=client)
    if prospect is not None:
        qs = qs.filter(prospect_id=prospect)
    return qs.order_by("-occurred_at", "-id")


@router.get("/activities/mine", response=list[ActivityOut], url_name="activity_mine")
@paginate
def activity_mine(request, days: int = 14):
    """«Mis próximas actuaciones»: vencidas y de hoy primero, hasta `days` días vista."""
    require_perms(request, "crm.view_activity")
    return selectors.due_activities(request.user, horizon_days=max(0, min(days, 365)))


@router.post("/activities", response={201: ActivityOut}, url_name="activity_create")
def activity_create(request, payload: ActivityIn):
    """Nueva actuación de una oportunidad, un cliente o un prospecto."""
    require_perms(request, "crm.add_activity")
    data = payload.dict()
    opp_id, client_id, prospect_id = (
        data.pop("opportunity"),
        data.pop("client"),
        data.pop("prospect"),
    )
    target: dict = {}
    if opp_id:
        target["opportunity"] = selectors.opportunity_for_user(request.user, opp_id)
    elif client_id:
        target["client"] = get_object_or_404(visible_clients(request.user), pk=client_id)
    elif prospect_id:
        target["prospect"] = selectors.prospect_for_user(request.user, prospect_id)
    data = {k: v for k, v in data.items() if v is not None}
    return Status(201, services.activity_create(actor=request.user, data=data, **target))


@router.get("/activities/{int:activity_id}", response=ActivityOut, url_name="activity_get")
def activity_get(request, activity_id: int):
    require_perms(request, "crm.view_activity")
    return selectors.activity_for_user(request.user, activity_id)


@router.patch("/activities/{int:activity_id}", response=ActivityOut, url_name="activity_update")
def activity_update(request, activity_id: int, payload: ActivityPatch):
    require_perms(request, "crm.change_activity")
    activity = selectors.activity_for_user(request.user, activity_id)
    return services.activity_update(
        actor=request.user, activity=activity, data=payload.dict(exclude_unset=True)
    )


@router.post("/activities/{int:activity_id}/done", response=ActivityOut, url_name="activity_done")
def activity_done(request, activity_id: int):
    """Marca como hecha la próxima acción de la actuación."""
    require_perms(request, "crm.change_activity")
    activity = selectors.activity_for_user(request.user, activity_id)
    return services.activity_complete(actor=request.user, activity=activity)

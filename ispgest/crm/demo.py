"""Demo data of the CRM: prospects with opportunities and activities, opportunities of ~3 %
of the clients spread over the stages (the lost ones with a reason), next actions due for the
sellers' users, and companies (with registry data, apoderados, socios adding up to 100 %,
withholdings, turnover and a bank account) for some clients that are legal persons.

Rows are bulk-inserted; sizes grow with the number of clients and are capped so a 1M-client
load stays quick. A second run finds opportunities already there and creates nothing.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from ispgest.accounts.models import User
from ispgest.catalog.models import Seller
from ispgest.clients.models import Client, PersonType
from ispgest.core.country import get_profile
from ispgest.crm.models import (
    Activity,
    ActivityKind,
    AnnualTurnover,
    Attorney,
    Company,
    CompanyBankAccount,
    Opportunity,
    OpportunityStage,
    OpportunityStageChange,
    PowerKind,
    Prospect,
    Shareholder,
    Source,
    StageKind,
)

FIRST = ["Lucía", "Martín", "Sofía", "Mateo", "Valentina", "Joaquín", "Camila", "Tomás", "Inés"]
LAST = ["García", "Fernández", "López", "Martínez", "Gómez", "Díaz", "Peña", "Núñez", "Ibáñez"]
TITLES = [
    "Fibra para el hogar",
    "Enlace dedicado para la oficina",
    "Ampliación a 300 Mbps",
    "Internet para el local comercial",
    "Red WiFi para el edificio",
    "IP fija y VPN entre sedes",
]
LOST_REASONS = ["Precio", "Sin cobertura en su zona", "Se quedó con la competencia", "No contesta"]
NOTES = [
    "Pide precio y plazos de instalación.",
    "Visitamos el domicilio: hay línea de vista con el nodo.",
    "Demostración de velocidad en la oficina.",
    "Envía la documentación por e-mail.",
    "Quiere comparar con su proveedor actual.",
]
NEXT = ["Llamar para cerrar", "Enviar propuesta", "Agendar instalación", "Volver a visitar"]


def generate(ctx) -> None:
    if Opportunity.objects.exists():
        ctx.log("  crm: ya hay oportunidades, no se generan más")
        return
    with transaction.atomic():
        _generate(ctx)


def _generate(ctx) -> None:
    rng = ctx.rng
    stages = {s.code: s for s in OpportunityStage.objects.filter(active=True)}
    if not stages:
        return
    sellers = list(Seller.objects.filter(active=True).order_by("pk"))
    users = _seller_users(sellers)
    plans = list(ctx.data.get("plan_ids", []))
    client_ids = list(ctx.data.get("client_ids", range(0)))
    now = timezone.now()
    today = timezone.localdate()
    n_prospects = max(10, min(len(client_ids) // 20, 5_000)) if client_ids or sellers else 0
    n_opps = min(len(client_ids) * 3 // 100, 30_000)

    prospects = []
    for i in range(n_prospects):
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        prospects.append(
            Prospect(
                name=name,
                phone=f"{rng.randint(300, 399)} {rng.randint(100, 999)}-{rng.randint(1000, 9999)}",
                email=f"prospecto{i}@correo.example" if rng.random() < 0.6 else "",
                company_name=f"{rng.choice(LAST)} Servicios" if rng.random() < 0.2 else "",
                source=rng.choice(Source.values),
                seller=rng.choice(sellers) if sellers else None,
            )
        )
    Prospect.objects.bulk_create(prospects, batch_size=2_000)

    weights = [
        ("nueva", 30),
        ("calificada", 20),
        ("propuesta", 15),
        ("negociacion", 10),
        ("ganada", 15),
        ("perdida", 10),
    ]
    codes = [c for c, w in weights for _ in range(w) if c in stages]
    by_client = {
        c.pk: c.seller_id
        for c in Client.objects.filter(
            pk__in=rng.sample(client_ids, min(n_opps, len(client_ids)))
        ).only("pk", "seller_id")
    }
    opps = []
    for party in [("client", pk) for pk in by_client] + [("prospect", p) for p in prospects]:
        stage = stages[rng.choice(codes)]
        kind, ref = party
        seller_id = by_client[ref] if kind == "client" else getattr(ref.seller, "pk", None)
        close = today + timedelta(days=rng.randint(-60, 90))
        opps.append(
            Opportunity(
                client_id=ref if kind == "client" else None,
                prospect=ref if kind == "prospect" else None,
                title=rng.choice(TITLES),
                stage=stage,
                amount=Decimal(rng.randrange(15, 400) * 100),
                probability=stage.default_probability,
                expected_close_date=close,
                seller_id=seller_id,
                source=rng.choice(Source.values),
                lost_reason=rng.choice(LOST_REASONS) if stage.kind == StageKind.LOST else "",
                closed_at=now - timedelta(days=rng.randint(1, 60)) if stage.is_closed else None,
            )
        )
    Opportunity.objects.bulk_create(opps, batch_size=2_000)
    if plans:
        through = Opportunity.plans.through
        through.objects.bulk_create(
            [through(opportunity_id=o.pk, plan_id=rng.choice(plans)) for o in opps],
            batch_size=5_000,
        )
    OpportunityStageChange.objects.bulk_create(
        [OpportunityStageChange(opportunity=o, to_stage=o.stage) for o in opps], batch_size=5_000
    )

    activities = []
    if users:
        user_of = {u.seller_id: u for u in users}
        for o in opps:
            user = user_of.get(o.seller_id) or users[0]
            for j in range(rng.randint(1, 3)):
                pending = j == 0 and o.stage.kind == StageKind.OPEN and rng.random() < 0.5
                activities.append(
                    Activity(
                        opportunity=o,
                        client_id=o.client_id,
                        prospect=o.prospect,
                        kind=rng.choice(ActivityKind.values),
                        occurred_at=now
                        - timedelta(days=rng.randint(0, 40), hours=rng.randint(0, 9)),
                        user=user,
                        notes=rng.choice(NOTES),
                        result=rng.choice(["Interesado", "Pide tiempo", "Sin respuesta", ""]),
                        next_action=rng.choice(NEXT) if pending else "",
                        next_action_on=today + timedelta(days=rng.randint(-3, 10))
                        if pending
                        else None,
                    )
                )
        Activity.objects.bulk_create(activities, batch_size=5_000)

    companies = _companies(ctx, rng, today)
    ctx.log(
        f"  crm: {len(prospects)} prospectos, {len(opps)} oportunidades, "
        f"{len(activities)} actuaciones, {companies} sociedades"
    )


def _seller_users(sellers) -> list[User]:
    """One Vendedor user per demo seller, so next actions have someone to remind."""
    from django.contrib.auth.models import Group

    from ispgest.accounts.roles import SELLER

    group = Group.objects.filter(name=SELLER).first()
    users = []
    for seller in sellers:
        user = User.objects.filter(seller=seller).first()
        if user is None:
            base = seller.name.split()[0].lower()
            username = f"{base}{seller.pk}"
            user = User.objects.create_user(
                username=username,
                email=seller.email or f"{username}@isp.example",
                first_name=seller.name.split()[0],
                seller=seller,
            )
            user.set_unusable_password()
            user.save(update_fields=["password"])
            if group is not None:
                user.groups.add(group)
        users.append(user)
    return users


def _companies(ctx, rng, today) -> int:
    from ispgest.clients.demo import _spanish_iban, _tax_id

    profile = get_profile(ctx.country)
    legal = list(
        Client.objects.filter(person_type=PersonType.LEGAL)
        .order_by("pk")
        .values("pk", "name")[:200]
    )
    rows = []
    for c in legal:
        kind, tax_id, _doc = _tax_id(profile.code, rng, True)
        rows.append(
            Company(
                client_id=c["pk"],
                name=c["name"][:255],
                tax_id_kind=kind,
                tax_id=tax_id,
                legal_form=rng.choice(profile.legal_forms) if profile.legal_forms else "",
                incorporation_date=today - timedelta(days=rng.randint(400, 9000)),
                registry_office="Registro Público de Comercio",
                registry_volume=str(rng.randint(1, 90)),
                registry_folio=str(rng.randint(1, 400)),
                registry_sheet=str(rng.randint(1000, 99999)),
                registry_entry=str(rng.randint(1, 9)),
                vat_regime=profile.vat_regimes[0] if profile.vat_regimes else "",
                filing_period=rng.choice(["monthly", "quarterly"]),
                corporate_tax_regime=(
                    profile.corporate_tax_regimes[0] if profile.corporate_tax_regimes else ""
                ),
                e_invoicing_required=True,
                share_capital=Decimal(rng.randrange(3, 300) * 1000),
                employees=rng.randint(1, 120),
                credit_limit=Decimal(rng.randrange(1, 50) * 1000),
                payment_terms_days=rng.choice([0, 15, 30, 60]),
            )
        )
    Company.objects.bulk_create(rows, batch_size=1_000)
    attorneys, holders, turnovers, accounts = [], [], [], []
    for company in rows:
        granted = today - timedelta(days=rng.randint(30, 2000))
        for _ in range(rng.randint(1, 2)):
            attorneys.append(
                Attorney(
                    company=company,
                    name=f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                    document_number=str(rng.randint(10_000_000, 45_000_000)),
                    power_kind=rng.choice(PowerKind.values),
                    notary=f"Esc. {rng.choice(LAST)}",
                    protocol_number=str(rng.randint(100, 9999)),
                    granted_on=granted,
                    expires_on=granted + timedelta(days=rng.choice([365, 1825, 3650])),
                )
            )
        first = Decimal(rng.choice([50, 60, 70, 100]))
        holders.append(
            Shareholder(
                company=company, name=f"{rng.choice(FIRST)} {rng.choice(LAST)}", percentage=first
            )
        )
        if first < 100:
            holders.append(
                Shareholder(
                    company=company,
                    name=f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                    percentage=Decimal(100) - first,
                )
            )
        for year in (today.year - 2, today.year - 1):
            turnovers.append(
                AnnualTurnover(
                    company=company, year=year, amount=Decimal(rng.randrange(50, 5000) * 1000)
                )
            )
        if profile.code == "ES":
            iban, bic = _spanish_iban(rng)
            accounts.append(
                CompanyBankAccount(
                    company=company, iban=iban, bic=bic, holder=company.name[:140], is_primary=True
                )
            )
    Attorney.objects.bulk_create(attorneys, batch_size=2_000)
    Shareholder.objects.bulk_create(holders, batch_size=2_000)
    AnnualTurnover.objects.bulk_create(turnovers, batch_size=2_000)
    CompanyBankAccount.objects.bulk_create(accounts, batch_size=2_000)
    return len(rows)

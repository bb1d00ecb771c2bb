"""The CRM's rules, each through its service on a real database: companies and their
sections, shareholders up to 100 %, apoderados, prospects and their conversion, the stage
transition map, activities and the morning digest."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from ispgest.catalog.models import Seller
from ispgest.clients.models import Client, ClientEvent
from ispgest.contracts.models import Contract, Plan
from ispgest.core.models import AuditEntry
from ispgest.crm import services
from ispgest.crm.models import (
    Activity,
    ActivityDigest,
    Opportunity,
    OpportunityStage,
    Prospect,
    ProspectStatus,
    Shareholder,
)

pytestmark = pytest.mark.django_db


def _client(name="Fibra Sur S.L.", **extra) -> Client:
    client = Client(name=name, **extra)
    client.refresh_search_fields()
    client.save()
    return client


def _stage(code: str) -> OpportunityStage:
    return OpportunityStage.objects.get(code=code)


def _errors(exc) -> dict:
    return {k: " ".join(m for e in v for m in e.messages) for k, v in exc.value.error_dict.items()}


@pytest.fixture
def es(settings):
    settings.ISPGEST_COUNTRY = "ES"


@pytest.fixture
def seller_user(make_user):
    seller = Seller.objects.create(name="Marta Vendedora")
    return make_user("Vendedor", seller=seller)


# --- Sociedades ----------------------------------------------------------------------------


def test_it_creates_a_company_with_a_valid_cif_and_records_history_and_audit(es, admin_user):
    client = _client()
    company = services.company_create(
        actor=admin_user,
        client=client,
        data={"name": "Fibra Sur S.L.", "tax_id": "B-58818501", "legal_form": "S.L."},
    )
    assert company.tax_id == "B58818501" and company.tax_id_kind == "NIF"
    event = ClientEvent.objects.get(client=client, action="company.created")
    assert event.changes["Razón social"] == ["", "Fibra Sur S.L."]
    assert AuditEntry.objects.filter(action="company.created", client_id=client.pk).exists()


def test_it_refuses_a_company_tax_id_with_a_wrong_check_digit(es, admin_user):
    client = _client()
    with pytest.raises(ValidationError) as exc:
        services.company_create(
            actor=admin_user, client=client, data={"name": "X", "tax_id": "B58818502"}
        )
    assert "dígito verificador" in _errors(exc)["tax_id"]
    assert not client.companies.exists()


def test_it_refuses_a_legal_form_and_activity_code_foreign_to_the_country(es, admin_user):
    with pytest.raises(ValidationError) as exc:
        services.company_create(
            actor=admin_user,
            client=_client(),
            data={"name": "X", "legal_form": "S.A. de C.V.", "activity_code": "61"},
        )
    errors = _errors(exc)
    assert "S.A. de C.V." in errors["legal_form"] and "España" in errors["legal_form"]
    assert "CNAE" in errors["activity_code"]


def test_a_section_save_changes_only_that_section_and_records_old_and_new(es, admin_user):
    company = services.company_create(actor=admin_user, client=_client(), data={"name": "A"})
    services.company_update(
        actor=admin_user,
        company=company,
        section="mercantil",
        data={"registry_office": "Madrid", "registry_volume": "1234", "registry_sheet": "M-1"},
    )
    event = ClientEvent.objects.filter(action="company.updated").latest("id")
    assert "Mercantil" in event.summary
    assert event.changes["Tomo"] == ["", "1234"]
    with pytest.raises(ValidationError):
        services.company_update(
            actor=admin_user, company=company, section="mercantil", data={"name": "B"}
        )


def test_shareholders_never_add_up_to_more_than_100_percent(es, admin_user):
    company = services.company_create(actor=admin_user, client=_client(), data={"name": "A"})
    services.shareholder_add(
        actor=admin_user, company=company, data={"name": "Ana", "percentage": "60"}
    )
    with pytest.raises(ValidationError) as exc:
        services.shareholder_add(
            actor=admin_user, company=company, data={"name": "Luis", "percentage": "40,01"}
        )
    assert "100 %" in _errors(exc)["percentage"] and "40" in _errors(exc)["percentage"]
    services.shareholder_add(
        actor=admin_user, company=company, data={"name": "Luis", "percentage": "40"}
    )
    assert sum(s.percentage for s in Shareholder.objects.filter(company=company)) == 100


def test_a_linked_client_fills_the_shareholders_name(es, admin_user):
    partner = _client("Inversiones Norte S.A.")
    company = services.company_create(actor=admin_user, client=_client(), data={"name": "A"})
    holder = services.shareholder_add(
        actor=admin_user,
        company=company,
        data={"linked_client": partner.pk, "percentage": Decimal("25")},
    )
    assert holder.name == "Inversiones Norte S.A."


def test_it_refuses_an_attorney_whose_expiry_is_before_its_grant(admin_user):
    company = services.company_create(actor=admin_user, client=_client(), data={"name": "A"})
    with pytest.raises(ValidationError) as exc:
        services.attorney_add(
            actor=admin_user,
            company=company,
            data={"name": "Pedro", "granted_on": "2024-05-10", "expires_on": "2024-05-01"},
        )
    assert "anterior a la fecha de otorgamiento" in _errors(exc)["expires_on"]
    expired = services.attorney_add(
        actor=admin_user,
        company=company,
        data={"name": "Pedro", "granted_on": "2020-01-10", "expires_on": "2021-01-01"},
    )
    assert expired.is_expired


def test_it_refuses_a_company_iban_with_a_wrong_check_digit(admin_user):
    company = services.company_create(actor=admin_user, client=_client(), data={"name": "A"})
    with pytest.raises(ValidationError) as exc:
        services.bank_account_add(
            actor=admin_user, company=company, data={"iban": "ES9121000418450200051333"}
        )
    assert "IBAN" in _errors(exc)["iban"]
    account = services.bank_account_add(
        actor=admin_user, company=company, data={"iban": "ES91 2100 0418 4502 0005 1332"}
    )
    assert account.iban == "ES9121000418450200051332" and account.is_primary


def test_it_refuses_control_characters_in_text_fields(admin_user):
    with pytest.raises(ValidationError) as exc:
        services.company_create(actor=admin_user, client=_client(), data={"name": "A\x00B"})
    assert "caracteres nulos o de control" in _errors(exc)["name"]


# --- Prospects and conversion -------------------------------------------------------------


def test_a_prospect_needs_a_phone_or_an_email(seller_user):
    with pytest.raises(ValidationError) as exc:
        services.prospect_create(actor=seller_user, data={"name": "Carla"})
    assert "teléfono o un e-mail" in _errors(exc)["phone"]
    prospect = services.prospect_create(
        actor=seller_user, data={"name": "Carla", "phone": "600 111 222"}
    )
    assert prospect.seller_id == seller_user.seller_id


def test_a_seller_cannot_give_its_prospect_to_another_seller(seller_user):
    other = Seller.objects.create(name="Otro")
    prospect = services.prospect_create(
        actor=seller_user, data={"name": "Carla", "email": "c@x.test", "seller": other.pk}
    )
    assert prospect.seller_id == seller_user.seller_id


def test_converting_a_prospect_moves_opportunities_activities_and_history(seller_user):
    prospect = services.prospect_create(
        actor=seller_user, data={"name": "Carla Ruiz", "email": "carla@x.test"}
    )
    opp = services.opportunity_create(
        actor=seller_user, prospect=prospect, data={"title": "Fibra 300", "amount": "30"}
    )
    services.activity_create(
        actor=seller_user, opportunity=opp, data={"kind": "call", "notes": "Interesada"}
    )
    client = services.prospect_convert(
        actor=seller_user,
        prospect=prospect,
        data={**services.prospect_client_initial(prospect)},
    )
    opp.refresh_from_db()
    prospect.refresh_from_db()
    assert opp.client_id == client.pk and opp.prospect_id is None
    assert Activity.objects.get().client_id == client.pk
    assert prospect.status == ProspectStatus.CONVERTED and prospect.converted_client == client
    assert client.seller_id == seller_user.seller_id and client.email == "carla@x.test"
    actions = list(ClientEvent.objects.filter(client=client).values_list("action", flat=True))
    for action in ("prospect.created", "opportunity.created", "crm.activity_created"):
        assert action in actions
    assert "prospect.converted" in actions
    with pytest.raises(ValidationError):
        services.prospect_update(actor=seller_user, prospect=prospect, data={"name": "X"})


def test_a_conversion_that_fails_on_the_client_rules_moves_nothing(seller_user):
    _client("Otro", email="carla@x.test")
    prospect = services.prospect_create(
        actor=seller_user, data={"name": "Carla", "email": "carla@x.test"}
    )
    services.opportunity_create(actor=seller_user, prospect=prospect, data={"title": "T"})
    with pytest.raises(ValidationError) as exc:
        services.prospect_convert(
            actor=seller_user, prospect=prospect, data=services.prospect_client_initial(prospect)
        )
    assert "email" in exc.value.error_dict
    prospect.refresh_from_db()
    assert prospect.status == ProspectStatus.OPEN
    assert Opportunity.objects.get().prospect_id == prospect.pk
    assert Client.objects.count() == 1


# --- Opportunities and the transition map -------------------------------------------------


def test_an_opportunity_starts_in_the_initial_stage_with_its_probability(seller_user):
    opp = services.opportunity_create(actor=seller_user, client=_client(), data={"title": "T"})
    assert opp.stage.code == "nueva" and opp.probability == 10
    assert opp.seller_id == seller_user.seller_id


def test_it_refuses_a_stage_move_the_transition_map_forbids(seller_user):
    opp = services.opportunity_create(actor=seller_user, client=_client(), data={"title": "T"})
    with pytest.raises(ValidationError) as exc:
        services.opportunity_move(actor=seller_user, opportunity=opp, stage="ganada")
    assert "no se puede pasar de «Nueva» a «Ganada»" in _errors(exc)["stage"]
    opp.refresh_from_db()
    assert opp.stage.code == "nueva"


def test_lost_needs_a_reason(seller_user):
    opp = services.opportunity_create(actor=seller_user, client=_client(), data={"title": "T"})
    with pytest.raises(ValidationError) as exc:
        services.opportunity_move(actor=seller_user, opportunity=opp, stage="perdida")
    assert "Motivo de pérdida" in _errors(exc)["lost_reason"]
    moved = services.opportunity_move(
        actor=seller_user, opportunity=opp, stage="perdida", reason="Precio"
    )
    assert moved.lost_reason == "Precio" and moved.closed_at and moved.probability == 0
    reopened = services.opportunity_move(actor=seller_user, opportunity=opp, stage="nueva")
    assert reopened.closed_at is None and reopened.lost_reason == ""


def test_a_won_opportunity_creates_its_contract_through_the_contract_service(seller_user):
    plan = Plan.objects.create(name="Fibra 300", price=Decimal("30"), download_kbps=300_000)
    client = _client(address="Calle Mayor 1")
    opp = services.opportunity_create(
        actor=seller_user, client=client, data={"title": "T", "plans": [plan.pk]}
    )
    with pytest.raises(ValidationError):
        services.opportunity_contract_create(
            actor=seller_user, opportunity=opp, plan=plan, start_date=date.today(), data={}
        )
    for code in ("calificada", "propuesta", "ganada"):
        services.opportunity_move(actor=seller_user, opportunity=opp, stage=code)
    initial = services.contract_initial(opp)
    assert initial["plan"] == plan.pk and initial["address"] == "Calle Mayor 1"
    contract = services.opportunity_contract_create(
        actor=seller_user,
        opportunity=opp,
        plan=plan,
        start_date=timezone.localdate(),
        data={"address": "Calle Mayor 1"},
    )
    opp.refresh_from_db()
    assert opp.contract == contract and Contract.objects.count() == 1
    with pytest.raises(ValidationError):
        services.opportunity_contract_create(
            actor=seller_user,
            opportunity=opp,
            plan=plan,
            start_date=timezone.localdate(),
            data={"address": "Otra"},
        )


# --- Activities and the digest ------------------------------------------------------------


def test_an_activity_with_a_next_date_needs_the_next_action(seller_user):
    with pytest.raises(ValidationError) as exc:
        services.activity_create(
            actor=seller_user,
            client=_client(),
            data={"kind": "visit", "next_action_on": date.today().isoformat()},
        )
    assert "next_action" in exc.value.error_dict


def test_the_digest_goes_once_per_user_and_day(
    seller_user, smtp_server, django_capture_on_commit_callbacks
):
    client = _client()
    today = timezone.localdate()
    services.activity_create(
        actor=seller_user,
        client=client,
        data={
            "kind": "call",
            "occurred_at": timezone.now() - timedelta(days=3),
            "next_action": "Llamar de nuevo",
            "next_action_on": today - timedelta(days=1),
        },
    )
    services.activity_create(
        actor=seller_user,
        client=client,
        data={"kind": "visit", "next_action": "Enviar propuesta", "next_action_on": today},
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert services.activity_digest_send(day=today) == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert services.activity_digest_send(day=today) == 0
    assert ActivityDigest.objects.count() == 1
    assert len(smtp_server.received) == 1
    mail = smtp_server.received[0]
    assert mail.rcpt_tos == [seller_user.email]
    assert "Llamar de nuevo" in mail.text() and "Enviar propuesta" in mail.text()
    assert "1 vencida" in mail.subject


def test_prospect_records_stay_out_of_the_client_table(seller_user):
    services.prospect_create(actor=seller_user, data={"name": "P", "phone": "1"})
    assert Client.objects.count() == 0 and Prospect.objects.count() == 1


def test_an_emptied_stage_catalog_gets_its_defaults_back(seller_user):
    OpportunityStage.allowed_next.through.objects.all().delete()
    OpportunityStage.objects.all().delete()
    opp = services.opportunity_create(actor=seller_user, client=_client(), data={"title": "T"})
    assert opp.stage.code == "nueva"
    assert [s.code for s in _stage("propuesta").allowed_next.order_by("order")] == [
        "calificada",
        "negociacion",
        "ganada",
        "perdida",
    ]

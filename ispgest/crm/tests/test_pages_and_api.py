"""CRM pages and API: who sees what (a Vendedor only its own, 404 otherwise; a sales
manager and the Administrador everything), the board's htmx move, escaping, fixed query
counts of the board and the client tabs, and the API's refusals."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from ispgest.accounts.models import ApiToken
from ispgest.catalog.models import Seller
from ispgest.clients.models import Client, ClientEvent
from ispgest.crm import services
from ispgest.crm.models import Opportunity

pytestmark = pytest.mark.django_db


def _client(name="Cliente Uno", seller=None) -> Client:
    client = Client(name=name, seller=seller)
    client.refresh_search_fields()
    client.save()
    return client


@pytest.fixture
def sellers(make_user):
    a, b = Seller.objects.create(name="Ana"), Seller.objects.create(name="Bruno")
    return make_user("Vendedor", seller=a), make_user("Vendedor", seller=b)


def _api(client, user):
    _token, raw = ApiToken.issue(user=user, name="t")
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def test_a_seller_gets_404_for_another_sellers_opportunity_in_pages_and_api(client, sellers):
    ana, bruno = sellers
    opp = services.opportunity_create(
        actor=bruno, client=_client(seller=bruno.seller), data={"title": "De Bruno"}
    )
    prospect = services.prospect_create(actor=bruno, data={"name": "P", "phone": "1"})
    client.force_login(ana)
    assert client.get(reverse("crm:opportunity_detail", args=[opp.pk])).status_code == 404
    assert client.get(reverse("crm:prospect_detail", args=[prospect.pk])).status_code == 404
    moved = client.post(reverse("crm:opportunity_move", args=[opp.pk]), {"stage": "calificada"})
    assert moved.status_code == 404
    headers = _api(client, ana)
    assert client.get(f"/api/v1/crm/opportunities/{opp.pk}", **headers).status_code == 404
    assert client.get(f"/api/v1/crm/prospects/{prospect.pk}", **headers).status_code == 404
    listed = client.get("/api/v1/crm/opportunities", **headers).json()
    assert listed["count"] == 0
    client.force_login(bruno)
    assert client.get(reverse("crm:opportunity_detail", args=[opp.pk])).status_code == 200


def test_a_sales_manager_and_the_administrator_see_every_seller(client, sellers, admin_user):
    ana, bruno = sellers
    opp = services.opportunity_create(actor=bruno, client=_client(), data={"title": "De Bruno"})
    services.pipeline_manager_set(actor=admin_user, user=ana, enabled=True)
    ana = type(ana).objects.get(pk=ana.pk)
    client.force_login(ana)
    assert client.get(reverse("crm:opportunity_detail", args=[opp.pk])).status_code == 200
    client.force_login(admin_user)
    page = client.get(reverse("crm:pipeline"))
    assert "De Bruno" in page.content.decode()
    managers = client.get(reverse("crm:managers")).content.decode()
    assert ana.username in managers


def test_a_seller_cannot_name_sales_managers(client, sellers):
    client.force_login(sellers[0])
    assert client.get(reverse("crm:managers")).status_code == 403


def test_the_board_moves_a_card_with_htmx_through_the_transition_map(client, sellers):
    ana, _ = sellers
    opp = services.opportunity_create(actor=ana, client=_client(), data={"title": "Fibra"})
    client.force_login(ana)
    url = reverse("crm:opportunity_move", args=[opp.pk])
    refused = client.post(url, {"stage": "ganada"}, HTTP_HX_REQUEST="true")
    assert refused.status_code == 200
    assert 'id="board-error"' in refused.content.decode()
    assert "no se puede pasar" in refused.content.decode()
    opp.refresh_from_db()
    assert opp.stage.code == "nueva"
    calificada = services.OpportunityStage.objects.get(code="calificada")
    moved = client.post(url, {"stage": calificada.pk}, HTTP_HX_REQUEST="true")
    html = moved.content.decode()
    assert "<html" not in html and 'id="board"' in html
    column = html[html.index('id="column-calificada"') :]
    assert f'id="card-{opp.pk}"' in column[: column.index("</section>")]
    opp.refresh_from_db()
    assert opp.stage.code == "calificada"


def test_a_card_offers_only_the_moves_its_stage_allows(client, sellers):
    """A Nueva card lists Calificada and Perdida (and asks a reason); a Ganada card, whose
    stage leads nowhere, has no move control and cannot be dragged."""
    ana, _ = sellers
    new = services.opportunity_create(actor=ana, client=_client(), data={"title": "Nueva"})
    won = services.opportunity_create(actor=ana, client=_client("Dos"), data={"title": "Gana"})
    for code in ("calificada", "propuesta", "ganada"):
        stage = services.OpportunityStage.objects.get(code=code)
        services.opportunity_move(actor=ana, opportunity=won, stage=stage)
    client.force_login(ana)
    html = client.get(reverse("crm:pipeline")).content.decode()

    def card(opp):
        start = html.rindex("<article", 0, html.index(f'id="card-{opp.pk}"'))
        return html[start : html.index("</article>", start)]

    options = re.findall(r"<option [^>]*>([^<]+)</option>", card(new))
    assert options == ["Calificada", "Perdida"]
    assert 'name="lost_reason"' in card(new) and 'draggable="true"' in card(new)
    assert "<select" not in card(won) and 'name="lost_reason"' not in card(won)
    assert 'draggable="false"' in card(won)


def test_script_in_text_fields_is_escaped(client, sellers):
    ana, _ = sellers
    prospect = services.prospect_create(
        actor=ana, data={"name": "<script>alert(1)</script>", "phone": "1"}
    )
    opp = services.opportunity_create(
        actor=ana, prospect=prospect, data={"title": "<script>x()</script>"}
    )
    client.force_login(ana)
    for url in (
        reverse("crm:prospect_detail", args=[prospect.pk]),
        reverse("crm:opportunity_detail", args=[opp.pk]),
        reverse("crm:pipeline"),
        reverse("crm:prospect_list"),
    ):
        html = client.get(url).content.decode()
        assert "<script>alert(1)</script>" not in html and "<script>x()</script>" not in html
        assert "&lt;script&gt;" in html


def _overview_queries(client, pk) -> int:
    total = 0
    for section in ("sociedades", "oportunidades"):
        with CaptureQueriesContext(connection) as ctx:
            page = client.get(reverse("clients:section", args=[pk, section]))
        assert page.status_code == 200
        assert ("S0" if section == "sociedades" else "O0") in page.content.decode()
        total += len(ctx.captured_queries)
    return total


def test_the_client_tabs_and_the_board_run_a_fixed_number_of_queries(client, admin_user):
    one, many = _client("Uno"), _client("Muchos")
    for target, n in ((one, 1), (many, 12)):
        for i in range(n):
            opp = services.opportunity_create(
                actor=admin_user, client=target, data={"title": f"O{i}"}
            )
            services.activity_create(actor=admin_user, opportunity=opp, data={"kind": "call"})
            company = services.company_create(
                actor=admin_user, client=target, data={"name": f"S{i}"}
            )
            services.attorney_add(actor=admin_user, company=company, data={"name": "A"})
    client.force_login(admin_user)
    assert _overview_queries(client, one.pk) == _overview_queries(client, many.pk)
    with CaptureQueriesContext(connection) as small:
        client.get(reverse("crm:pipeline") + "?vendedor=none&hasta=2000-01-01")
    with CaptureQueriesContext(connection) as big:
        client.get(reverse("crm:pipeline"))
    assert len(small.captured_queries) == len(big.captured_queries)


def test_the_api_refuses_a_forbidden_move_and_shareholders_over_100(client, admin_user):
    headers = _api(client, admin_user)
    c = _client()
    created = client.post(
        "/api/v1/crm/opportunities",
        {"client": c.pk, "title": "API", "amount": "100"},
        content_type="application/json",
        **headers,
    )
    assert created.status_code == 201, created.content
    opp_id = created.json()["id"]
    refused = client.post(
        f"/api/v1/crm/opportunities/{opp_id}/move",
        {"stage": "ganada"},
        content_type="application/json",
        **headers,
    )
    assert refused.status_code == 422 and "stage" in refused.json()["errors"]
    lost = client.post(
        f"/api/v1/crm/opportunities/{opp_id}/move",
        {"stage": "perdida"},
        content_type="application/json",
        **headers,
    )
    assert lost.status_code == 422 and "lost_reason" in lost.json()["errors"]
    company = client.post(
        "/api/v1/crm/companies",
        {"client": c.pk, "name": "API S.L."},
        content_type="application/json",
        **headers,
    ).json()
    url = f"/api/v1/crm/companies/{company['id']}/shareholders"
    ok = client.post(
        url, {"name": "A", "percentage": "70"}, content_type="application/json", **headers
    )
    assert ok.status_code == 201
    over = client.post(
        url, {"name": "B", "percentage": "31"}, content_type="application/json", **headers
    )
    assert over.status_code == 422 and "percentage" in over.json()["errors"]
    assert Opportunity.objects.get(pk=opp_id).stage.code == "nueva"
    assert ClientEvent.objects.filter(client=c, action="company.shareholder_added").count() == 1


def test_the_api_converts_a_prospect(client, sellers):
    ana, _ = sellers
    headers = _api(client, ana)
    prospect = client.post(
        "/api/v1/crm/prospects",
        {"name": "Luz Gómez", "email": "luz@x.test"},
        content_type="application/json",
        **headers,
    ).json()
    converted = client.post(
        f"/api/v1/crm/prospects/{prospect['id']}/convert",
        {"client": {"phone": "4520-1111"}},
        content_type="application/json",
        **headers,
    )
    assert converted.status_code == 201, converted.content
    new = Client.objects.get(pk=converted.json()["client"])
    assert new.name == "Luz Gómez" and new.seller_id == ana.seller_id and new.phone == "4520-1111"


def test_the_new_client_form_opens_prefilled_from_a_prospect(client, sellers):
    ana, bruno = sellers
    prospect = services.prospect_create(
        actor=ana, data={"name": "Rosa Díaz", "email": "rosa@x.test", "phone": "611"}
    )
    client.force_login(ana)
    page = client.get(reverse("clients:create") + f"?prospecto={prospect.pk}").content.decode()
    assert 'value="rosa@x.test"' in page and 'id="client-source"' in page
    client.force_login(bruno)
    other = client.get(reverse("clients:create") + f"?prospecto={prospect.pk}")
    assert other.status_code == 404


def test_script_in_company_activity_and_history_texts_is_escaped(client, admin_user):
    """Companies, their apoderados and socios, an activity's notes and the client's
    Historial that repeats them: every text shows as text."""
    bad = "<script>alert('x')</script>"
    owner = _client("Dueño")
    company = services.company_create(
        actor=admin_user,
        client=owner,
        data={"name": bad, "trade_name": bad, "activity_description": bad, "address": bad},
    )
    services.company_update(
        actor=admin_user, company=company, section="mercantil", data={"registry_office": bad}
    )
    services.attorney_add(
        actor=admin_user, company=company, data={"name": bad, "document_number": bad, "notary": bad}
    )
    services.shareholder_add(
        actor=admin_user, company=company, data={"name": bad, "percentage": "10"}
    )
    opp = services.opportunity_create(
        actor=admin_user, client=owner, data={"title": bad, "description": bad}
    )
    services.activity_create(
        actor=admin_user,
        opportunity=opp,
        data={
            "kind": "call",
            "notes": bad,
            "result": bad,
            "next_action": bad,
            "next_action_on": timezone.localdate(),
        },
    )
    client.force_login(admin_user)
    for url in (
        reverse("crm:company_detail", args=[company.pk]),
        reverse("crm:company_detail", args=[company.pk]) + "?seccion=mercantil",
        reverse("crm:opportunity_detail", args=[opp.pk]),
        reverse("clients:section", args=[owner.pk, "sociedades"]),
        reverse("clients:section", args=[owner.pk, "oportunidades"]),
        reverse("clients:section", args=[owner.pk, "historial"]),
        reverse("crm:my_activities"),
        reverse("crm:pipeline"),
    ):
        response = client.get(url)
        html = response.content.decode()
        assert response.status_code == 200, url
        assert "<script>alert" not in html, url
        assert "&lt;script&gt;alert(" in html, url


def test_mis_proximas_actuaciones_lists_at_most_a_page_per_group_and_counts_the_rest(
    client, admin_user, settings
):
    from datetime import timedelta

    from ispgest.crm import selectors
    from ispgest.crm.models import Activity

    owner = _client("Cliente con atrasos")
    today = timezone.localdate()
    Activity.objects.bulk_create(
        Activity(
            client=owner,
            user=admin_user,
            kind="call",
            occurred_at=timezone.now(),
            next_action=f"Llamar {i}",
            next_action_on=today - timedelta(days=1 + i % 20),
        )
        for i in range(selectors.DUE_LIMIT + 7)
    )
    groups = selectors.due_activity_groups(admin_user, day=today)
    assert len(groups["overdue"].items) == selectors.DUE_LIMIT
    assert groups["overdue"].count == selectors.DUE_LIMIT + 7 and groups["overdue"].more == 7
    assert groups["today"].count == 0
    client.force_login(admin_user)
    html = client.get(reverse("crm:my_activities")).content.decode()
    assert html.count('class="due-row"') == selectors.DUE_LIMIT
    assert "y 7 más" in html


def test_the_api_lists_my_next_actions_a_page_at_a_time(client, admin_user):
    from datetime import timedelta

    from ispgest.crm.models import Activity

    owner = _client("Cliente con pendientes")
    today = timezone.localdate()
    Activity.objects.bulk_create(
        Activity(
            client=owner,
            user=admin_user,
            kind="call",
            occurred_at=timezone.now(),
            next_action=f"Llamar {i}",
            next_action_on=today - timedelta(days=i % 5),
        )
        for i in range(7)
    )
    headers = _api(client, admin_user)
    first = client.get("/api/v1/crm/activities/mine", {"limit": 3}, **headers).json()
    assert first["count"] == 7 and len(first["items"]) == 3 and first["next_cursor"]
    seen = [item["id"] for item in first["items"]]
    cursor = first["next_cursor"]
    while cursor:
        page = client.get(
            "/api/v1/crm/activities/mine", {"limit": 3, "cursor": cursor}, **headers
        ).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
    assert sorted(seen) == sorted(Activity.objects.values_list("id", flat=True))
    dates = [Activity.objects.get(pk=pk).next_action_on for pk in seen]
    assert dates == sorted(dates)
    too_many = client.get("/api/v1/crm/activities/mine", {"limit": 100_000}, **headers)
    assert too_many.status_code == 422

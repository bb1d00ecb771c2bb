"""The client's workspace: a header that stays, one URL per section, actions inside it."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from lxml import html as lxml_html

from ispgest.accounts.roles import BILLING, SELLER, TECHNICIAN
from ispgest.catalog.models import Seller

pytestmark = pytest.mark.django_db


def _page(response):
    assert response.status_code == 200, response.status_code
    return lxml_html.fromstring(response.content.decode())


def _nav(page) -> dict[str, str]:
    links = page.xpath("//nav[@aria-label='Secciones del cliente']//a")
    return {a.text_content().strip(): a.get("href") for a in links}


def test_every_section_in_the_navigation_opens_with_the_client_header(admin_client, make_client):
    client = make_client(name="Rosa Quiroga", email="rosa@example.com", mobile="351 555-0101")
    page = _page(admin_client.get(reverse("clients:detail", args=[client.pk])))
    nav = _nav(page)
    assert {"Vista general", "Historial", "Contratos (0)", "Documentos"} <= set(nav)
    for title, url in nav.items():
        section = _page(admin_client.get(url))
        assert section.xpath("string(//h1[@id='client-name'])") == "Rosa Quiroga", title
        assert "rosa@example.com" in section.xpath("string(//*[@id='client-facts'])"), title
        active = section.xpath("//nav[@aria-label='Secciones del cliente']//a[@aria-current]")
        assert [a.text_content().strip() for a in active] == [title]


def test_an_unknown_or_forbidden_section_is_a_404(client, make_user, make_client):
    c = make_client()
    client.force_login(make_user(TECHNICIAN))
    assert client.get(reverse("clients:section", args=[c.pk, "no-existe"])).status_code == 404
    # A Técnico cannot see money: no billing sections and no balance in the header.
    assert client.get(reverse("clients:section", args=[c.pk, "monedero"])).status_code == 404
    page = _page(client.get(reverse("clients:detail", args=[c.pk])))
    assert "Saldo" not in page.xpath("string(//*[@id='client-facts'])")
    assert "Monedero" not in " ".join(_nav(page))


def test_the_header_shows_the_balance_to_roles_that_handle_money(client, make_user, make_client):
    c = make_client()
    client.force_login(make_user(BILLING))
    facts = _page(client.get(reverse("clients:detail", args=[c.pk]))).xpath(
        "string(//*[@id='client-facts'])"
    )
    assert "Saldo" in facts and "Facturas impagas" in facts


def test_an_action_opens_inside_the_workspace_and_links_back_to_its_section(
    admin_client, make_client
):
    c = make_client(name="Rosa Quiroga")
    page = _page(admin_client.get(reverse("contracts:create", args=[c.pk])))
    assert page.xpath("string(//h1[@id='client-name'])") == "Rosa Quiroga"
    back = reverse("clients:section", args=[c.pk, "contratos"])
    assert page.xpath(f"//a[@href='{back}' and normalize-space()='Cancelar']")
    active = page.xpath("//nav[@aria-label='Secciones del cliente']//a[@aria-current]")
    assert [a.text_content().strip() for a in active] == ["Contratos (0)"]


def test_a_section_runs_the_same_queries_whatever_the_history_size(
    admin_client, admin_user, make_client
):
    from ispgest.clients.services import client_event_create

    def count(c) -> int:
        url = reverse("clients:section", args=[c.pk, "historial"])
        admin_client.get(url)
        with CaptureQueriesContext(connection) as ctx:
            assert admin_client.get(url).status_code == 200
        return len(ctx.captured_queries)

    small, large = make_client(), make_client()
    for i in range(30):
        client_event_create(
            actor=admin_user, client=large, data={"entry_type": "call", "summary": f"L{i}"}
        )
    assert count(small) == count(large)


def test_the_header_search_jumps_to_clients_the_user_may_see(client, make_user, make_client, cat):
    mine = make_client(name="Pedro Ibáñez", seller=cat.seller.pk)
    make_client(name="Pedro Otro", seller=cat.other_seller.pk)
    seller_user = make_user(SELLER)
    seller_user.seller = Seller.objects.get(pk=cat.seller.pk)
    seller_user.save()
    client.force_login(seller_user)
    html = client.get(reverse("clients:jump"), {"q": "pedro"}).content.decode()
    assert "Pedro Ibáñez" in html and "Pedro Otro" not in html
    assert reverse("clients:detail", args=[mine.pk]) in html

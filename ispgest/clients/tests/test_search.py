"""Client list search: quick search, Spanish order, filters, keyset pages, capped counts."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from ispgest.accounts.roles import SELLER
from ispgest.billing.models import ClientBalance
from ispgest.catalog.models import Seller, Tax, Zone
from ispgest.clients import search
from ispgest.clients.models import Client
from ispgest.clients.search import ClientFilterForm, search_clients
from ispgest.contracts.models import Contract, Plan


def make(name, **extra) -> Client:
    client = Client(name=name, **extra)
    client.refresh_search_fields()
    client.save()
    return client


def names(result):
    return [c.name for c in result.rows]


def run(user, **params):
    form = ClientFilterForm(params)
    assert form.is_valid(), form.errors
    return search_clients(user, form.cleaned_data)


@pytest.mark.django_db
def test_it_sorts_names_in_spanish_order_case_and_accent_insensitively(admin_user):
    for name in [
        "ocampo Luis",
        "Nuño Ana",
        "Benítez Eva",
        "núñez Juan",
        "Álvarez Rosa",
        "Nunez Leo",
    ]:
        make(name)
    result = run(admin_user)
    # ICU es (and real Spanish) order: n < ñ, and "Núñez" < "Nuño" because e < o after "nuñ".
    assert names(result) == [
        "Álvarez Rosa",
        "Benítez Eva",
        "Nunez Leo",
        "núñez Juan",
        "Nuño Ana",
        "ocampo Luis",
    ]


@pytest.mark.django_db
def test_quick_search_is_accent_and_case_insensitive_and_partial(admin_user):
    target = make("Rocío Núñez", phone="011 2045-6789", email="rocio@correo.test")
    make("Ana Nunez", phone="011 555-0000")
    assert names(run(admin_user, q="nuñez")) == ["Rocío Núñez"]
    assert names(run(admin_user, q="NÚÑEZ roc")) == ["Rocío Núñez"]
    assert names(run(admin_user, q="2045")) == ["Rocío Núñez"]
    assert names(run(admin_user, q="rocio@")) == [target.name]
    assert run(admin_user, q="zzz").rows == []


@pytest.mark.django_db
def test_the_status_switch_shows_active_or_inactive_clients(admin_user):
    make("Activa Uno")
    make("Baja Dos", status=Client.Status.INACTIVE)
    assert names(run(admin_user)) == ["Activa Uno"]
    assert names(run(admin_user, status="inactive")) == ["Baja Dos"]
    assert len(run(admin_user, status="all").rows) == 2


@pytest.mark.django_db
def test_keyset_pages_cover_every_client_once(admin_user):
    for i in range(60):
        make(f"Cliente {i:03d}")
    form = ClientFilterForm({"q": "cliente"})
    assert form.is_valid()
    seen, after = [], ""
    while True:
        page = search_clients(admin_user, form.cleaned_data, after=after)
        seen.extend(c.pk for c in page.rows)
        if not page.next_cursor:
            break
        after = page.next_cursor
    assert len(seen) == 60 == len(set(seen))
    # Backwards from the last page gives the previous one.
    data = ClientFilterForm({}).is_valid() and {}
    first = search_clients(admin_user, data or {"status": "active"})
    second = search_clients(admin_user, {"status": "active"}, after=first.next_cursor)
    back = search_clients(admin_user, {"status": "active"}, before=second.prev_cursor)
    assert [c.pk for c in back.rows] == [c.pk for c in first.rows]


@pytest.mark.django_db
def test_the_count_is_capped(admin_user, monkeypatch):
    monkeypatch.setattr(search, "COUNT_CAP", 5)
    for i in range(8):
        make(f"Cliente {i}")
    result = run(admin_user)
    assert result.count_capped and result.count_label == "más de 5"
    assert run(admin_user, q="cliente 3").count_label == "1"


@pytest.mark.django_db
def test_a_seller_sees_only_its_own_clients(make_user):
    mine = Seller.objects.create(name="Vera")
    other = Seller.objects.create(name="Otro")
    make("Propio", seller=mine)
    make("Ajeno", seller=other)
    user = make_user(SELLER, seller=mine)
    assert names(run(user)) == ["Propio"]
    assert names(run(user, q="ajeno")) == []


@pytest.mark.django_db
def test_advanced_filters_combine_zone_plan_and_unpaid_invoices(admin_user):
    tax = Tax.objects.create(name="IVA", rate=Decimal("21"))
    zone = Zone.objects.create(name="Norte")
    plan = Plan.objects.create(
        name="Fibra 100", price=Decimal("100"), download_kbps=100, upload_kbps=10, tax=tax
    )
    other_plan = Plan.objects.create(
        name="Fibra 30", price=Decimal("50"), download_kbps=30, upload_kbps=3, tax=tax
    )
    hit = make("Debe Todo")
    no_debt = make("Al Día")
    wrong_plan = make("Otro Plan")
    for client, p in [(hit, plan), (no_debt, plan), (wrong_plan, other_plan)]:
        Contract.objects.create(
            client=client, zone=zone, plan=p, address="Calle 1", start_date=date(2026, 1, 1)
        )
    ClientBalance.objects.create(client=hit, unpaid_count=2, unpaid_total=Decimal("300.00"))
    ClientBalance.objects.create(client=wrong_plan, unpaid_count=1, unpaid_total=Decimal("9"))
    result = run(admin_user, contract_zone=zone.pk, plan=plan.pk, unpaid="on")
    assert names(result) == ["Debe Todo"]
    assert result.count == 1
    assert names(run(admin_user, unpaid_above="100")) == ["Debe Todo"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"id": "12a"}, "id", "número entero"),
        ({"created_from": "2025-02-30"}, "created_from", "fecha"),
        ({"unpaid_above": "mucho"}, "unpaid_above", "número"),
        ({"zone": "999999"}, "zone", "opción"),
        ({"created_from": "2025-03-01", "created_to": "2025-01-01"}, "created_to", "anterior"),
    ],
)
def test_malformed_filters_get_a_spanish_message_not_a_500(admin_client, params, field, message):
    response = admin_client.get(reverse("clients:list"), params)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors
    assert message in " ".join(errors[field]).lower()
    assert "Revise los filtros" in response.content.decode()


@pytest.mark.django_db
def test_a_malformed_cursor_falls_back_to_the_first_page_with_a_message(admin_client):
    make("Uno")
    response = admin_client.get(reverse("clients:list"), {"after": "no-es-un-cursor"})
    assert response.status_code == 200
    assert "cursor de paginación no es válido" in response.content.decode()
    assert "Uno" in response.content.decode()


@pytest.mark.django_db
def test_quick_search_finds_a_phone_typed_without_separators(admin_user):
    target = make("Elena Paz", mobile="+54 9 11 4520-4561")
    make("Otro Cliente", mobile="+54 9 11 4520-9999")
    assert names(run(admin_user, q="45204561")) == [target.name]
    assert names(run(admin_user, q="4520-4561")) == [target.name]
    assert names(run(admin_user, q="5491145204561")) == [target.name]


@pytest.mark.django_db
def test_quick_search_finds_n_tilde_names_typed_with_n_and_narrows_when_typed_with_n_tilde(
    admin_user,
):
    nunez = make("Juan Núñez", email="jn@correo.test")
    make("Ana Nunez")
    assert sorted(names(run(admin_user, q="nunez"))) == ["Ana Nunez", nunez.name]
    assert names(run(admin_user, q="NUNEZ juan")) == [nunez.name]
    assert names(run(admin_user, q="núñez")) == [nunez.name]  # typing ñ narrows to ñ


@pytest.mark.django_db
def test_quick_search_finds_ids_typed_with_the_documents_punctuation(admin_user):
    target = make(
        "Marta Gil",
        tax_id="20123456786",
        tax_id_kind="CUIT",
        document_number="12.345.678",
        custom_id="CL-0042",
    )
    make("Otro Cliente", tax_id="20999999990", document_number="99.999.999")
    for typed in ["20-12345678-6", "20123456786", "12.345.678", "12345678", "CL-0042", "cl0042"]:
        assert names(run(admin_user, q=typed)) == [target.name], typed


@pytest.mark.django_db
def test_the_list_offers_page_sizes_a_status_column_and_row_actions(admin_client):
    from lxml import html as lxml_html

    Client.objects.bulk_create(
        [Client(name=f"Cliente {i:03d}", sort_name=f"cliente {i:03d}") for i in range(60)]
    )
    inactive = make("Zulema Baja", status=Client.Status.INACTIVE)
    page = lxml_html.fromstring(
        admin_client.get(reverse("clients:list"), {"per_page": "50"}).content.decode()
    )
    rows = page.xpath("//table[@id='clients-table']/tbody/tr")
    assert len(rows) == 50
    headers = [th.text_content().strip() for th in page.xpath("//table[@id='clients-table']//th")]
    assert "Estado" in headers and "Acciones" in headers
    first = rows[0]
    assert first.xpath("string(td[position()=4])").strip() == "Activo"
    client_id = first.get("id").removeprefix("client-")
    links = first.xpath(".//td[contains(@class, 'row-actions')]//a/@href")
    assert reverse("clients:detail", args=[client_id]) in links
    assert reverse("clients:edit", args=[client_id]) in links
    next_href = page.xpath("string(//a[@id='next-page']/@href)")
    assert "per_page=50" in next_href
    second = lxml_html.fromstring(admin_client.get(reverse("clients:list") + next_href).content)
    assert len(second.xpath("//table[@id='clients-table']/tbody/tr")) == 10
    everyone = lxml_html.fromstring(
        admin_client.get(reverse("clients:list"), {"status": "all", "q": "zulema"}).content
    )
    cell = everyone.xpath(f"string(//tr[@id='client-{inactive.pk}']/td[4])")
    assert cell.strip() == "Inactivo"

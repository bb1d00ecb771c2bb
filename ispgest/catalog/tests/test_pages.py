import pytest
from django.urls import reverse

from ispgest.accounts.roles import BILLING, SELLER
from ispgest.catalog.defaults import install_country_defaults
from ispgest.catalog.models import (
    AllowedInvoiceType,
    BillingEntity,
    InvoiceType,
    PointOfSale,
    TaxCondition,
    Zone,
)
from ispgest.catalog.registry import CATALOGS

pytestmark = pytest.mark.django_db


def _table(response) -> str:
    return response.content.decode().split('id="catalog-rows"', 1)[1]


def test_the_index_lists_every_catalog(admin_client):
    body = admin_client.get(reverse("catalog:index")).content.decode()
    for config in CATALOGS:
        assert reverse(f"catalog:{config.key}_list") in body
    assert reverse("catalog:user_list") in body


@pytest.mark.parametrize("config", CATALOGS, ids=lambda c: c.key)
def test_every_catalog_has_a_list_and_a_labelled_form(admin_client, config):
    install_country_defaults("AR")
    assert admin_client.get(reverse(f"catalog:{config.key}_list")).status_code == 200
    body = admin_client.get(reverse(f"catalog:{config.key}_create")).content.decode()
    for name in config.fields:
        assert f'for="id_{name}"' in body, name
        assert f'id="id_{name}"' in body, name


def test_an_admin_creates_edits_deactivates_and_reactivates_a_zone(admin_client):
    resp = admin_client.post(
        reverse("catalog:zone_create"), {"name": "Centro", "description": "Casco urbano"}
    )
    assert resp.status_code == 302
    zone = Zone.objects.get(name="Centro")
    resp = admin_client.post(
        reverse("catalog:zone_update", args=[zone.pk]), {"name": "Centro Norte"}
    )
    assert resp.status_code == 302
    zone.refresh_from_db()
    assert zone.name == "Centro Norte" and zone.description == ""
    admin_client.post(reverse("catalog:zone_deactivate", args=[zone.pk]))
    zone.refresh_from_db()
    assert zone.active is False
    assert "Centro Norte" not in _table(admin_client.get(reverse("catalog:zone_list")))
    inactive = admin_client.get(reverse("catalog:zone_list") + "?estado=inactivos")
    assert "Centro Norte" in _table(inactive)
    admin_client.post(reverse("catalog:zone_reactivate", args=[zone.pk]))
    zone.refresh_from_db()
    assert zone.active is True


def test_a_duplicate_name_is_refused_in_spanish_and_nothing_changes(admin_client):
    Zone.objects.create(name="Centro")
    resp = admin_client.post(reverse("catalog:zone_create"), {"name": "Centro"})
    assert resp.status_code == 200
    assert "Ya existe" in resp.content.decode()
    assert Zone.objects.count() == 1


def test_deactivate_needs_a_post(admin_client):
    zone = Zone.objects.create(name="Centro")
    assert admin_client.get(reverse("catalog:zone_deactivate", args=[zone.pk])).status_code == 405
    zone.refresh_from_db()
    assert zone.active


def test_a_billing_entity_with_a_wrong_cuit_is_refused(admin_client):
    install_country_defaults("AR")
    resp = admin_client.post(
        reverse("catalog:billingentity_create"),
        {"name": "Red Sur SRL", "kind": "legal", "country": "AR", "tax_id": "30-50001091-3"},
    )
    assert resp.status_code == 200
    assert "dígito verificador" in resp.content.decode()
    assert not BillingEntity.objects.exists()


def test_a_new_billing_entity_gets_default_invoice_types_and_points_of_sale(admin_client):
    install_country_defaults("AR")
    resp = admin_client.post(
        reverse("catalog:billingentity_create"),
        {"name": "Red Sur SRL", "kind": "legal", "country": "AR", "tax_id": "30-50001091-2"},
    )
    entity = BillingEntity.objects.get()
    assert resp.url == reverse("catalog:billingentity_detail", args=[entity.pk])
    assert entity.tax_id == "30500010912"
    ri = TaxCondition.objects.get(name="Responsable Inscripto")
    assert AllowedInvoiceType.objects.filter(
        billing_entity=entity, tax_condition=ri, invoice_type__code="A"
    ).exists()
    resp = admin_client.post(
        reverse("catalog:pointofsale_create", args=[entity.pk]),
        {"pos-number": "3", "pos-name": "Sucursal Centro"},
    )
    assert resp.status_code == 302
    resp = admin_client.post(
        reverse("catalog:pointofsale_create", args=[entity.pk]),
        {"pos-number": "3", "pos-name": "Otra"},
    )
    assert resp.status_code == 422
    assert "ya tiene el punto de venta 00003" in resp.content.decode()
    assert PointOfSale.objects.filter(billing_entity=entity).count() == 1
    page = admin_client.get(reverse("catalog:billingentity_detail", args=[entity.pk]))
    assert "Sucursal Centro" in page.content.decode()
    # Allow only B for Consumidor Final; everything else goes.
    cf = TaxCondition.objects.get(name="Consumidor Final")
    b = InvoiceType.objects.get(code="B")
    admin_client.post(
        reverse("catalog:allowed_invoice_types", args=[entity.pk]), {"allowed": [f"{cf.pk}:{b.pk}"]}
    )
    assert list(
        AllowedInvoiceType.objects.filter(billing_entity=entity).values_list(
            "tax_condition_id", "invoice_type_id"
        )
    ) == [(cf.pk, b.pk)]


def test_the_allowed_matrix_refuses_a_fantasy_condition_for_a_legal_entity(admin_client):
    install_country_defaults("AR")
    entity = BillingEntity.objects.create(name="Legal", kind="legal", tax_id="30500010912")
    fantasy = TaxCondition.objects.get(kind="fantasy", country="AR")
    x = InvoiceType.objects.get(code="X")
    resp = admin_client.post(
        reverse("catalog:allowed_invoice_types", args=[entity.pk]),
        {"allowed": [f"{fantasy.pk}:{x.pk}"]},
        follow=True,
    )
    assert "no es del mismo tipo" in resp.content.decode()
    assert not AllowedInvoiceType.objects.filter(billing_entity=entity).exists()


@pytest.mark.parametrize("role", [SELLER, BILLING])
def test_other_roles_get_403_on_catalog_pages(client, make_user, role):
    client.force_login(make_user(role))
    assert client.get(reverse("catalog:index")).status_code == 403
    assert client.get(reverse("catalog:zone_list")).status_code == 403
    assert client.post(reverse("catalog:zone_create"), {"name": "X"}).status_code == 403
    assert not Zone.objects.exists()


def test_anonymous_users_are_sent_to_login(client):
    resp = client.get(reverse("catalog:zone_list"))
    assert resp.status_code == 302 and reverse("accounts:login") in resp.url


def test_list_pages_run_a_fixed_number_of_queries(admin_client, django_assert_max_num_queries):
    from ispgest.catalog.models import City, Neighbourhood, Region

    region = Region.objects.create(name="Córdoba")
    for i in range(3):
        Neighbourhood.objects.create(
            name=f"Barrio {i}", city=City.objects.create(name=f"Ciudad {i}", region=region)
        )
    url = reverse("catalog:neighbourhood_list")
    admin_client.get(url)  # warm the session and permission caches
    with django_assert_max_num_queries(12) as few:
        admin_client.get(url)
    for i in range(3, 40):
        Neighbourhood.objects.create(
            name=f"Barrio {i}", city=City.objects.create(name=f"Ciudad {i}", region=region)
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        admin_client.get(url)

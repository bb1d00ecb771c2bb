from datetime import date
from decimal import Decimal

import pytest

from ispgest.catalog.models import Product, Tax, Zone
from ispgest.clients.models import Client
from ispgest.contracts import services
from ispgest.contracts.models import Plan, RenewablePackage


@pytest.fixture
def make_client(db):
    counter = {"n": 0}

    def _make(**extra) -> Client:
        counter["n"] += 1
        client = Client(name=extra.pop("name", f"Cliente {counter['n']}"), **extra)
        client.refresh_search_fields()
        client.save()
        return client

    return _make


@pytest.fixture
def subscriber(make_client):
    return make_client(name="Ana Pérez")


@pytest.fixture
def tax(db):
    return Tax.objects.create(name="IVA 21%", rate=Decimal("21"))


@pytest.fixture
def zone(db):
    return Zone.objects.create(name="Centro")


@pytest.fixture
def plans(db, tax):
    def plan(name, price, down):
        return Plan.objects.create(
            name=name, price=Decimal(price), download_kbps=down, upload_kbps=down // 10, tax=tax
        )

    return {
        "30": plan("Fibra 30 Mbps", "9500.00", 30_000),
        "100": plan("Fibra 100 Mbps", "15900.00", 100_000),
        "300": plan("Fibra 300 Mbps", "24900.00", 300_000),
    }


@pytest.fixture
def make_contract(plans, admin_user):
    def _make(client, *, plan=None, start=date(2020, 1, 1), **data) -> object:
        data.setdefault("address", "Av. Siempreviva 742")
        return services.contract_create(
            actor=admin_user,
            client=client,
            plan=plan or plans["30"],
            start_date=start,
            data=data,
        )

    return _make


@pytest.fixture
def router_product(db, tax):
    return Product.objects.create(name="Router WiFi", price=Decimal("45000"), tax=tax)


@pytest.fixture
def package(db, admin_user, tax, router_product):
    return services.package_create(
        actor=admin_user,
        data={"name": "Mantenimiento anual", "renewal_months": 12},
        lines=[
            {
                "description": "Mantenimiento preventivo",
                "quantity": Decimal("1"),
                "unit_price": Decimal("12000.00"),
                "tax": tax,
            },
            {"product": router_product, "quantity": Decimal("2"), "unit_price": Decimal("1500.50")},
        ],
    )


@pytest.fixture
def unused_package(package):
    return RenewablePackage.objects.get(pk=package.pk)

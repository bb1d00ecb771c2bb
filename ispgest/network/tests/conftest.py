from datetime import date
from decimal import Decimal

import pytest

from ispgest.clients.models import Client
from ispgest.contracts import services as contract_services
from ispgest.contracts.models import Plan
from ispgest.network import services
from ispgest.network.testing.peer import RouterOSPeer


@pytest.fixture
def peer():
    p = RouterOSPeer(username="api", password="clave-api-1").start()
    yield p
    p.stop()


@pytest.fixture
def router(peer, admin_user):
    return services.router_create(
        actor=admin_user,
        data={
            "name": "Nodo Centro",
            "host": "127.0.0.1",
            "api_port": peer.port,
            "username": "api",
            "timeout_seconds": 3,
        },
        password="clave-api-1",
    )


@pytest.fixture
def pools(router, plan, admin_user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        svc = services.pool_create(
            actor=admin_user,
            router=router,
            data={
                "name": "clientes",
                "network": "100.64.0.0/22",
                "ranges": "100.64.1.0-100.64.3.250",
            },
        )
        ns = services.pool_create(
            actor=admin_user,
            router=router,
            data={
                "name": "sin-conexion",
                "network": "10.99.0.0/24",
                "ranges": "10.99.0.2-10.99.0.250",
                "no_service": True,
                "address_list": "morosos",
            },
        )
    return svc, ns


@pytest.fixture
def plan(db):
    return Plan.objects.create(
        name="Fibra 100", price=Decimal("20.00"), download_kbps=100_000, upload_kbps=10_000
    )


@pytest.fixture
def contract(plan, admin_user):
    client = Client(name="Ana Pérez")
    client.refresh_search_fields()
    client.save()
    c = contract_services.contract_create(
        actor=admin_user,
        client=client,
        plan=plan,
        start_date=date(2024, 1, 1),
        data={"address": "Calle Mayor 1"},
    )
    return contract_services.contract_activate(actor=admin_user, contract=c)

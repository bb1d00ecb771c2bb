"""Portal test data: two billed clients with invoices, payments, wallet and contracts."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.hashers import make_password

from ispgest.billing.services import LineInput, document_create, payment_register, wallet_deposit
from ispgest.billing.tests.factories import make_client, make_contract, make_plan, method
from ispgest.clients.models import Client
from ispgest.portal.models import PortalAccount

PASSWORD = "Clave-del-portal-2026"


def portal_account(client: Client, password: str = PASSWORD) -> PortalAccount:
    account, _ = PortalAccount.objects.get_or_create(client=client)
    account.password = make_password(password, hasher="argon2")
    account.save()
    return account


@dataclass
class Subscriber:
    client: Client
    account: PortalAccount
    invoice: object
    payment: object
    contract: object


def subscriber(entity, email: str, *, admin) -> Subscriber:
    client = make_client(entity, email=email)
    contract = make_contract(client, make_plan("1500.00"))
    invoice = document_create(
        actor=admin,
        client=client,
        lines=[LineInput(description="Abono", quantity=1, unit_price=Decimal("1000.00"))],
        notify=False,
    )
    document_create(
        actor=admin,
        client=client,
        lines=[LineInput(description="Instalación", quantity=1, unit_price=Decimal("500.00"))],
        notify=False,
    )
    payment = payment_register(
        actor=admin,
        client=client,
        method=method("cash"),
        amount=Decimal("1000.00"),
        invoices=[invoice],
        notify=False,
    )
    wallet_deposit(actor=admin, client=client, amount=Decimal("250.00"), concept="Anticipo")
    return Subscriber(client, portal_account(client), invoice, payment, contract)

"""Importar contratos: client by reference, plan by name, address, start date; the dry run
runs each row through contract_create and rolls it back."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase

from ispgest.clients import importing
from ispgest.contracts.models import Contract


def test_it_checks_then_imports_contracts_with_their_history(subscriber, plans, admin_user):
    subscriber.custom_id = "A-1"
    subscriber.save(update_fields=["custom_id"])
    content = (
        "Cliente;Tarifa;Dirección;Fecha de alta\n"
        "A-1;Fibra 30 Mbps;Calle 1;2026-01-15\n"
        "NADIE;Fibra 30 Mbps;Calle 2;2026-01-15\n"
        "A-1;Plan Inexistente;Calle 3;15/01/2026\n"
        "A-1;Fibra 100 Mbps;;31/02/2026\n"
    ).encode()
    imp = importing.import_upload(
        actor=admin_user, uploaded=SimpleUploadedFile("c.csv", content), kind="contracts"
    )
    assert imp.mapping == {"0": "client", "1": "plan", "2": "address", "3": "start_date"}
    with TestCase.captureOnCommitCallbacks(execute=True):
        importing.import_start_check(actor=admin_user, imp=imp)
    imp.refresh_from_db()
    assert not Contract.objects.exists()  # the dry run rolled its rows back
    errors = {(r, c) for r, c, _m in imp.errors}
    assert errors == {(3, "Cliente"), (4, "Tarifa"), (5, "Fecha de alta")}
    assert imp.missing == {"plan": ["Plan Inexistente"]}
    with TestCase.captureOnCommitCallbacks(execute=True):
        importing.import_start_run(actor=admin_user, imp=imp, mode="valid")
    imp.refresh_from_db()
    contract = Contract.objects.get()
    assert (contract.client, contract.address, str(contract.start_date)) == (
        subscriber,
        "Calle 1",
        "2026-01-15",
    )
    assert subscriber.events.filter(action="contract.imported").count() == 1


def test_the_router_column_names_a_router_and_an_unknown_one_is_flagged(
    subscriber, plans, admin_user
):
    from ispgest.network.models import Router

    router = Router.objects.create(name="Nodo Centro", host="192.0.2.10")
    content = (
        "Cliente;Tarifa;Fecha de alta;Router;Dirección\n"
        f"{subscriber.pk};Fibra 30 Mbps;2026-01-15;nodo centro;Calle 1\n"
        f"{subscriber.pk};Fibra 30 Mbps;2026-01-15;Nodo Norte;Calle 2\n"
    ).encode()
    imp = importing.import_upload(
        actor=admin_user, uploaded=SimpleUploadedFile("c.csv", content), kind="contracts"
    )
    assert imp.mapping["3"] == "router"
    with TestCase.captureOnCommitCallbacks(execute=True):
        importing.import_start_check(actor=admin_user, imp=imp)
    imp.refresh_from_db()
    assert imp.errors == [[3, "Router", "Router: «Nodo Norte» no existe."]]
    with TestCase.captureOnCommitCallbacks(execute=True):
        importing.import_start_run(actor=admin_user, imp=imp, mode="valid")
    assert Contract.objects.get().router == router


def test_a_row_without_an_address_is_told_which_field_it_lacks(subscriber, plans, admin_user):
    content = f"Cliente;Tarifa;Fecha de alta\n{subscriber.pk};Fibra 30 Mbps;2026-01-15\n"
    imp = importing.import_upload(
        actor=admin_user, uploaded=SimpleUploadedFile("c.csv", content.encode()), kind="contracts"
    )
    with TestCase.captureOnCommitCallbacks(execute=True):
        importing.import_start_check(actor=admin_user, imp=imp)
    imp.refresh_from_db()
    assert imp.errors == [
        [2, "Dirección del servicio", "Dirección del servicio: Este campo no puede estar vacío."]
    ]


def test_the_contract_kind_is_registered_by_contracts_and_an_unknown_kind_is_an_error():
    from ispgest.contracts.importing import ContractSpec

    assert isinstance(importing.spec_for("contracts"), ContractSpec)
    assert isinstance(importing.spec_for("clients"), importing.ClientSpec)
    with pytest.raises(LookupError):
        importing.spec_for("facturas")

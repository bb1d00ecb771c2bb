"""Importar contratos with their PPPoE secret: the columns «Usuario PPPoe del cliente»,
«Contraseña de acceso» and «IP Estática» beside «Router»; the dry run checks each secret by
the rules of `pppoe_save` (and flags a user repeated in the file), the import writes it and
the router gets it by the usual sync, against the RouterOS API peer."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase

from ispgest.clients import importing
from ispgest.clients.models import Client
from ispgest.contracts.models import Contract
from ispgest.core import secrets
from ispgest.network.models import PPPoEAccount


def _client(name: str, custom_id: str) -> Client:
    client = Client(name=name, custom_id=custom_id)
    client.refresh_search_fields()
    client.save()
    return client


def _check(admin_user, content: str):
    imp = importing.import_upload(
        actor=admin_user,
        uploaded=SimpleUploadedFile("contratos.csv", content.encode()),
        kind="contracts",
    )
    with TestCase.captureOnCommitCallbacks(execute=True):
        importing.import_start_check(actor=admin_user, imp=imp)
    imp.refresh_from_db()
    return imp


def test_it_checks_and_imports_contracts_with_their_pppoe_secret(
    peer, router, pools, plan, admin_user
):
    _client("Ana Pérez", "A-1")
    _client("Bruno Díaz", "B-2")
    _client("Carla Gómez", "C-3")
    content = (
        "Cliente;Tarifa;Fecha de alta;Dirección;Router;Usuario PPPoE;Contraseña PPPoE;IP fija\n"
        "A-1;Fibra 100;2026-01-15;Calle 1;Nodo Centro;ana.perez;clave-ana-1;100.64.0.20\n"
        "B-2;Fibra 100;2026-01-15;Calle 2;Nodo Centro;repetido;;\n"
        "C-3;Fibra 100;2026-01-15;Calle 3;Nodo Centro;REPETIDO;;\n"
        "C-3;Fibra 100;2026-01-15;Calle 4;Nodo Centro;carla;;192.0.2.7\n"
        "C-3;Fibra 100;2026-01-15;Calle 5;;sin.router;;\n"
        "B-2;Fibra 100;2026-01-15;Calle 6;Nodo Centro;;clave-sola;\n"
        "B-2;Fibra 100;2026-01-15;Calle 7;Nodo Centro;mal usuario;;\n"
    )
    imp = _check(admin_user, content)
    assert [imp.headers[int(i)] for i, k in imp.mapping.items() if k.startswith("pppoe")] == [
        "Usuario PPPoE",
        "Contraseña PPPoE",
    ]
    assert imp.mapping["7"] == "static_ip"
    errors = {(row, column) for row, column, _m in imp.errors}
    assert errors == {
        (3, "Usuario PPPoE"),
        (4, "Usuario PPPoE"),
        (5, "IP fija"),
        (6, "Router"),
        (7, "Usuario PPPoE"),
        (8, "Usuario PPPoE"),
    }, imp.errors
    messages = {row: message for row, _c, message in imp.errors}
    assert "se repite en el archivo" in messages[3] and "filas 4" in messages[3]
    assert "IP" in messages[5]
    assert messages[6] == "Router: indique el router del usuario PPPoe."
    assert messages[7].startswith("Usuario PPPoe del cliente: es obligatorio")
    assert not Contract.objects.exists() and not PPPoEAccount.objects.exists()

    with TestCase.captureOnCommitCallbacks(execute=True):
        importing.import_start_run(actor=admin_user, imp=imp, mode="valid")
    imp.refresh_from_db()
    assert imp.imported_count == 1
    account = PPPoEAccount.objects.get()
    assert (account.username, account.static_ip, account.router) == (
        "ana.perez",
        "100.64.0.20",
        router,
    )
    assert secrets.decrypt(account.password_encrypted) == "clave-ana-1"
    assert account.contract.client.custom_id == "A-1"
    on_router = peer.find("/ppp/secret", name="ana.perez")
    assert on_router is not None and on_router["remote-address"] == "100.64.0.20"
    actions = set(account.client.events.values_list("action", flat=True))
    assert {"contract.imported", "pppoe.created"} <= actions


def test_a_user_already_on_the_router_is_flagged_by_the_dry_run(
    peer, router, pools, plan, admin_user, contract
):
    from ispgest.network import services

    with TestCase.captureOnCommitCallbacks(execute=True):
        services.pppoe_save(
            actor=admin_user, contract=contract, data={"router": router, "username": "ocupado"}
        )
    _client("Diego Ruiz", "D-4")
    imp = _check(
        admin_user,
        "Cliente;Tarifa;Fecha de alta;Dirección;Router;Usuario PPPoe del cliente\n"
        "D-4;Fibra 100;2026-01-15;Calle 9;Nodo Centro;Ocupado\n",
    )
    assert imp.errors == [
        [2, "Usuario PPPoe del cliente", "Ese usuario PPPoe ya existe en este equipo."]
    ]
    assert PPPoEAccount.objects.count() == 1

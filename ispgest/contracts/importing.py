"""Importar contratos: the contract kind of a DataImport (the steps are in
clients/importing.py). Each row names its client (by custom id, number, e-mail or tax id),
the plan by name, the service address and the start date, and optionally its PPPoE secret
(router, user, password, static IP); the dry run runs the row through `contract_create`
(and `pppoe_save` when it has a PPPoE user) inside a savepoint that is rolled back, so it is
checked by exactly the rules of a contract and a secret created by hand, and nothing stays
written."""

from __future__ import annotations

from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import transaction

from ispgest.clients.importing import (
    CatalogIndex,
    ImportField,
    RowError,
    _messages_by_field,
)
from ispgest.clients.models import Client, DataImport

CONTRACT_IMPORT_FIELDS: tuple[ImportField, ...] = (
    ImportField(
        "client",
        "Cliente",
        ("ID cliente", "Cliente ID", "Código cliente", "Customer", "Customer ID", "Client ID"),
    ),
    ImportField("plan", "Tarifa", ("Plan", "Servicio", "Tariff", "Service plan"), "contracts.Plan"),
    ImportField(
        "address", "Dirección del servicio", ("Dirección", "Domicilio", "Address", "Street")
    ),
    ImportField("start_date", "Fecha de alta", ("Inicio", "Fecha de inicio", "Start date", "Alta")),
    ImportField("city", "Ciudad", ("City", "Localidad"), "catalog.City"),
    ImportField("zone", "Zona", ("Zone", "Nodo", "Sector"), "catalog.Zone"),
    ImportField("router", "Router", ("Equipo", "NAS", "Mikrotik"), "network.Router"),
    ImportField("notes", "Observaciones", ("Notas", "Notes", "Comentarios")),
    ImportField(
        "pppoe_user",
        "Usuario PPPoe del cliente",
        ("Usuario PPPoE", "PPPoE", "Usuario PPP", "PPPoE user", "PPP user", "Secret"),
    ),
    ImportField(
        "pppoe_password",
        "Contraseña de acceso",
        ("Contraseña PPPoE", "Clave PPPoE", "PPPoE password", "PPP password"),
    ),
    ImportField("static_ip", "IP Estática", ("IP fija", "IP", "Static IP", "Dirección IP")),
)
#: The PPPoE columns and the `pppoe_save` fields their errors come back on.
_PPPOE_KEYS = {"pppoe_user": "username", "pppoe_password": "password", "static_ip": "static_ip"}
_PPPOE_ERROR_KEYS = {v: k for k, v in _PPPOE_KEYS.items()}
_BY_KEY = {f.key: f for f in CONTRACT_IMPORT_FIELDS}
_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%Y-%m-%d %H:%M:%S")


class _DryRun(Exception):
    pass


def parse_date(text: str) -> date | None:
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text.strip(), fmt).date()  # noqa: DTZ007 (a date)
        except ValueError:
            continue
    return None


def find_client(reference: str) -> Client | None:
    """A client by its custom id, its number, its e-mail or its tax id (in that order)."""
    ref = reference.strip()
    if not ref:
        return None
    found = Client.objects.filter(custom_id=ref).first()
    if found is None and ref.isdigit():
        found = Client.objects.filter(pk=int(ref)).first()
    if found is None and "@" in ref:
        found = Client.objects.filter(email__iexact=ref).first()
    if found is None:
        found = Client.objects.filter(tax_id=ref).order_by("pk").first()
    return found


class ContractSpec:
    kind = DataImport.Kind.CONTRACTS
    fields = CONTRACT_IMPORT_FIELDS
    unique_keys: tuple[str, ...] = ("pppoe_user",)
    noun = "contratos"

    def prepare(self) -> dict:
        return {f.key: CatalogIndex(f.catalog) for f in self.fields if f.catalog}

    def check(self, ctx: dict, values: dict[str, str]) -> dict:
        problems: list[tuple[str, str]] = []
        missing: list[tuple[str, str]] = []
        row: dict = {"data": {}, "pppoe": {}}
        client = find_client(values.get("client", ""))
        if client is None:
            ref = values.get("client", "")
            problems.append(
                (
                    "client",
                    f"Cliente: «{ref}» no es ningún cliente."
                    if ref
                    else "Cliente: es obligatorio.",
                )
            )
        elif not client.is_active:
            problems.append(("client", f"Cliente: «{client}» está desactivado."))
        row["client"] = client
        start = parse_date(values.get("start_date", ""))
        if start is None:
            problems.append(
                ("start_date", "Fecha de alta: indique una fecha (AAAA-MM-DD o DD/MM/AAAA).")
            )
        row["start_date"] = start
        for key, text in values.items():
            field = _BY_KEY[key]
            if key in ("client", "start_date") or not text:
                continue
            if field.catalog:
                found = ctx[key].get(text)
                if found is None:
                    problems.append((key, f"{field.label}: «{text}» no existe."))
                    missing.append((key, text))
                    continue
                if key == "plan":
                    row["plan"] = found
                else:
                    row["data"][key] = found
            elif key in _PPPOE_KEYS:
                row["pppoe"][_PPPOE_KEYS[key]] = text.strip()
            else:
                row["data"][key] = text
        if "plan" not in row and "plan" not in {k for k, _m in problems}:
            problems.append(("plan", "Tarifa: es obligatoria."))
        flagged = {k for k, _m in problems}
        if row["pppoe"] and "username" not in row["pppoe"]:
            problems.append(
                (
                    "pppoe_user",
                    "Usuario PPPoe del cliente: es obligatorio cuando la fila trae "
                    "Contraseña de acceso o IP Estática.",
                )
            )
        elif row["pppoe"] and "router" not in row["data"] and "router" not in flagged:
            problems.append(("router", "Router: indique el router del usuario PPPoe."))
        if not problems:
            try:
                with transaction.atomic():
                    self._create(None, row)
                    raise _DryRun
            except _DryRun:
                pass
            except ValidationError as exc:
                problems.extend(
                    (_PPPOE_ERROR_KEYS.get(key, key), message)
                    for key, message in _messages_by_field(exc)
                )
        if problems:
            err = RowError(problems)
            err.missing = missing
            raise err
        return row

    def _create(self, actor, row: dict):
        from ispgest.contracts.services import contract_create

        contract = contract_create(
            actor=actor,
            client=row["client"],
            plan=row["plan"],
            start_date=row["start_date"],
            data=row["data"],
        )
        if row["pppoe"]:
            from ispgest.network.services import pppoe_save

            pppoe_save(
                actor=actor,
                contract=contract,
                data={"router": row["data"]["router"], "password": "", **row["pppoe"]},
            )
        return contract

    def write(self, *, ctx: dict, imp: DataImport, actor, batch: list[tuple[int, dict]]) -> int:
        from ispgest.clients.history import record_event

        for number, row in batch:
            contract = self._create(actor, row)
            record_event(
                client=row["client"],
                actor=actor,
                action="contract.imported",
                summary=f"Contrato #{contract.pk} importado: {imp} fila {number}",
                changes={"Importación": ["", f"#{imp.pk} {imp.original_name}"]},
                obj=imp,
            )
        return len(batch)

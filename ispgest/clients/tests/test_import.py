"""Importar clientes: encodings and separators, header matching (an export re-imports), the
dry run's errors (row, column, Spanish message), missing catalogs, both modes, history,
undo, formulas as text, bounded memory on large files, permissions."""

import io
import re
import tracemalloc

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.urls import reverse
from openpyxl import Workbook

from ispgest.accounts.roles import BILLING
from ispgest.catalog.models import Zone
from ispgest.clients import importing
from ispgest.clients.export import COLUMNS, write_csv
from ispgest.clients.models import Client, ClientEvent, DataImport
from ispgest.clients.tests.conftest import BAD_CUIT, VALID_CUIT


def upload(user, content: bytes, name="clientes.csv", kind="clients"):
    return importing.import_upload(
        actor=user, uploaded=SimpleUploadedFile(name, content), kind=kind
    )


def tasks():
    """Run the jobs queued on commit (the test's transaction never commits)."""
    return TestCase.captureOnCommitCallbacks(execute=True)


def check(user, imp):
    with tasks():
        importing.import_start_check(actor=user, imp=imp)
    imp.refresh_from_db()
    return imp


def run(user, imp, mode):
    with tasks():
        importing.import_start_run(actor=user, imp=imp, mode=mode)
    imp.refresh_from_db()
    return imp


def test_it_reads_a_windows_1252_file_with_semicolons(cat, admin_user):
    text = "Nombre;E-mail;Dirección\nJosé Muñoz;jose@example.com;Calle Añil 5\n"
    imp = check(admin_user, upload(admin_user, text.encode("cp1252")))
    assert (imp.encoding, imp.delimiter) == ("cp1252", ";")
    assert imp.mapping == {"0": "name", "1": "email", "2": "address"}, imp.mapping
    assert imp.status == "checked", (imp.status, imp.errors)
    run(admin_user, imp, "all")
    client = Client.objects.get(email="jose@example.com")
    assert (client.name, client.address) == ("José Muñoz", "Calle Añil 5")


def test_it_reads_utf8_with_bom_and_tabs(cat, admin_user):
    text = "\ufeffNombre\tCelular\nÑandú Óscar\t+54 9 351 555\n"
    imp = upload(admin_user, text.encode("utf-8"))
    assert (imp.encoding, imp.delimiter) == ("utf-8-sig", "\t")
    assert imp.headers == ["Nombre", "Celular"]
    run(admin_user, check(admin_user, imp), "all")
    assert Client.objects.get(name="Ñandú Óscar").mobile == "+54 9 351 555"


def test_the_export_headers_map_to_themselves_and_an_export_reimports(cat, admin_user):
    from ispgest.clients.services import client_create

    origin = client_create(
        actor=admin_user,
        data={
            "name": "Origen SA",
            "email": "origen@example.com",
            "zone": cat.zone.pk,
            "city": cat.city.pk,
            "region": cat.region.pk,
            "billing_enabled": True,
            "billing_entity": cat.legal.pk,
            "tax_condition": cat.cond["Consumidor Final"].pk,
            "invoice_type": cat.types["B"].pk,
            "tax_id": VALID_CUIT,
            "notes": '=HYPERLINK("x")',
        },
    )
    out = io.BytesIO()
    write_csv(Client.objects.all(), out, use_copy=False)
    # Another installation: the same client is new here (other e-mail, other id).
    content = out.getvalue().replace(b"origen@example.com", b"nuevo@example.com")
    content = re.sub(rb'"%d"([;,])"Origen SA"' % origin.pk, rb'"9001"\1"Origen SA"', content)
    assert b'"9001"' in content
    imp = upload(admin_user, content)
    assert len(imp.mapping) == len(COLUMNS) == 21
    imp = check(admin_user, imp)
    assert imp.errors == [] and imp.valid_count == 1
    run(admin_user, imp, "all")
    copy = Client.objects.get(email="nuevo@example.com")
    assert copy.custom_id == "9001"
    assert copy.billing_entity == cat.legal and copy.tax_id
    assert copy.notes == '=HYPERLINK("x")'  # the export's neutralising quote comes off
    assert copy.zone == cat.zone and copy.city == cat.city


def test_the_dry_run_flags_both_rows_of_a_repeated_email_and_a_bad_tax_id(cat, admin_user):
    rows = [
        "Nombre,E-mail,Facturación habilitada,Condición impositiva,Tipo de factura,NIT",
        "Uno,dup@example.com,No,,,",
        "Dos,ok@example.com,Sí,Consumidor Final,B," + BAD_CUIT,
        "Tres,DUP@example.com,No,,,",
    ]
    imp = check(admin_user, upload(admin_user, "\n".join(rows).encode()))
    by_row = {}
    for row, column, message in imp.errors:
        by_row.setdefault(row, []).append((column, message))
    assert sorted(by_row) == [2, 3, 4]
    assert by_row[2][0][0] == "E-mail" and "se repite en el archivo (filas 4)" in by_row[2][0][1]
    assert by_row[4][0][0] == "E-mail" and "filas 2" in by_row[4][0][1]
    assert by_row[3] == [("NIT", by_row[3][0][1])] and "dígito verificador" in by_row[3][0][1]
    assert (imp.valid_count, imp.error_count) == (0, 3)
    assert not Client.objects.exists()


def test_an_email_already_in_the_database_is_flagged(cat, admin_user, make_client):
    make_client(email="ya@example.com")
    imp = check(admin_user, upload(admin_user, b"Nombre,E-mail\nOtra,ya@example.com\n"))
    assert imp.errors[0][:2] == [2, "E-mail"] and "ya lo usa otro cliente" in imp.errors[0][2]


def test_taken_emails_and_custom_ids_are_flagged_per_chunk_with_the_row_messages(
    cat, admin_user, make_client, settings
):
    """The dry run asks the database once per chunk; each row still gets the message of
    validate_client_data, after its other errors, and a row with a bad e-mail is not also
    reported as taken."""
    make_client(email="Ya@Example.com", custom_id="C-7")
    make_client(email="b@example.com", custom_id="C-8")
    rows = [
        "ID cliente,Nombre,E-mail,Tipo de persona",
        "C-7,Uno,otro@example.com,",
        ",Dos,YA@example.COM,",
        "C-8,,B@example.com,Natural",
        ",Cuatro,no-es-un-correo,",
        ",Cinco,libre@example.com,",
    ]
    imp = check(admin_user, upload(admin_user, "\n".join(rows).encode()))
    by_row = {}
    for row, column, message in imp.errors:
        by_row.setdefault(row, []).append((column, message))
    assert sorted(by_row) == [2, 3, 4, 5], by_row
    assert by_row[2] == [
        ("ID cliente", "ID Cliente Personalizable: «C-7» ya lo tiene otro cliente.")
    ]
    assert [c for c, _m in by_row[3]] == ["E-mail"] and "ya lo usa otro cliente" in by_row[3][0][1]
    columns = [c for c, _m in by_row[4]]
    assert columns[-2:] == ["E-mail", "ID cliente"], by_row[4]
    assert "obligatorio para una persona física" in by_row[4][0][1]
    assert [c for c, _m in by_row[5]] == ["E-mail"] and "ya lo usa" not in by_row[5][0][1]
    assert (imp.valid_count, imp.error_count) == (1, 4)


def test_the_dry_run_asks_the_database_per_chunk_not_per_row(
    cat, admin_user, make_client, django_assert_max_num_queries
):
    make_client(email="c5@example.com")
    lines = ["Nombre,E-mail,ID cliente,Zona"] + [
        f"C{i},c{i}@example.com,X{i},{cat.zone.name}" for i in range(2500)
    ]
    imp = upload(admin_user, "\n".join(lines).encode())
    importing.import_set_mapping(actor=admin_user, imp=imp, mapping=imp.mapping)
    # 2,500 rows are 3 chunks: 2 uniqueness queries each, the catalogs once, a few more for
    # the import row; a query per row would be thousands.
    with django_assert_max_num_queries(40):
        importing.import_check(actor=admin_user, imp=imp)
    imp.refresh_from_db()
    assert (imp.valid_count, imp.error_count) == (2499, 1)
    assert imp.errors[0][0] == 7 and "ya lo usa otro cliente" in imp.errors[0][2]


def test_the_dry_run_checks_billing_combinations_per_chunk_with_the_same_message(
    cat, admin_user, django_assert_max_num_queries
):
    header = "Nombre,E-mail,Facturación habilitada,Razón social de facturación,"
    header += "Condición impositiva,Tipo de factura,CUIT"
    lines = [header] + [
        f"C{i},c{i}@example.com,Sí,{cat.legal.name},Consumidor Final,{'A' if i == 3 else 'B'},"
        f"{VALID_CUIT}"
        for i in range(1500)
    ]
    imp = upload(admin_user, "\n".join(lines).encode())
    # Two chunks: the allowed combinations are read once per chunk, not once per row.
    with django_assert_max_num_queries(40):
        importing.import_check(actor=admin_user, imp=imp)
    imp.refresh_from_db()
    assert (imp.valid_count, imp.error_count) == (1499, 1)
    row, column, message = imp.errors[0]
    assert (row, column) == (5, "Tipo de factura")
    # The message of a client edited by hand (check_billing_combination asking the database).
    from ispgest.clients.validation import validate_client_data

    with pytest.raises(ValidationError) as by_hand:
        validate_client_data(
            Client(),
            {
                "person_type": "other",
                "name": "C3",
                "billing_enabled": True,
                "billing_entity": cat.legal,
                "tax_condition": cat.cond["Consumidor Final"],
                "invoice_type": cat.types["A"],
                "tax_id": VALID_CUIT,
            },
        )
    assert by_hand.value.message_dict["invoice_type"] == [message]


def test_missing_catalog_values_are_listed_and_created_in_the_same_step(cat, admin_user):
    imp = check(admin_user, upload(admin_user, b"Nombre,Zona\nA,Sur Lejano\nB,Norte\n"))
    assert imp.missing == {"zone": ["Sur Lejano"]}
    assert imp.errors == [[2, "Zona", "Zona: «Sur Lejano» no existe en el catálogo."]]
    assert importing.import_create_missing(actor=admin_user, imp=imp) == ["Zona: Sur Lejano"]
    imp = check(admin_user, imp)
    assert imp.errors == [] and imp.valid_count == 2
    run(admin_user, imp, "all")
    assert Client.objects.get(name="A").zone == Zone.objects.get(name="Sur Lejano")


def test_all_or_nothing_is_refused_with_errors_and_valid_only_imports_the_rest(cat, admin_user):
    imp = check(admin_user, upload(admin_user, b"Nombre,E-mail\nBien,b@example.com\n,x@x.com\n"))
    assert imp.error_count == 1 and imp.errors[0][:2] == [3, "Nombre"]
    with pytest.raises(Exception, match="1 filas con errores"):
        importing.import_start_run(actor=admin_user, imp=imp, mode="all")
    with pytest.raises(Exception, match="Modo"):
        importing.import_start_run(actor=admin_user, imp=imp, mode="")
    assert not Client.objects.exists()
    imp = run(admin_user, imp, "valid")
    assert imp.status == "done" and imp.imported_count == 1
    client = Client.objects.get()
    event = ClientEvent.objects.get(client=client)
    assert event.action == "client.imported"
    assert f"Importación #{imp.pk} (clientes.csv) fila 2" in event.summary
    # The search side table has the imported client (bulk path keeps it in step).
    from ispgest.clients.models import ClientSearch

    assert ClientSearch.objects.filter(client_id=client.pk).exists()


def test_imported_rows_hold_what_the_services_would_store_and_are_found_by_search(cat, admin_user):
    """The import writes through the bulk path (COPY on PostgreSQL): each client holds the
    cleaned values, the search fields refresh_search_fields computes, its timestamps and one
    history row with the import's name, and quick search finds it."""
    from django.utils import timezone

    from ispgest.clients.search import ClientFilterForm, search_clients

    text = (
        "Tipo de persona,Primer nombre,Primer apellido,E-mail,Teléfono celular,Zona,"
        "Vendedor,Número de identificación tributaria,Facturación habilitada,"
        "Condición impositiva,Tipo de factura\n"
        f"natural,Zoilo,Ñandú,Zoilo@Ejemplo.COM,351 555-0101,Norte,Ana Vendedora,{VALID_CUIT},"
        "Sí,Responsable Inscripto,Factura A\n"
        "legal,,,,351 555-0202,norte,,,No,,\n"
    )
    started = timezone.now()
    imp = check(admin_user, upload(admin_user, text.encode()))
    assert imp.errors[:1] == [
        [3, "Razón social", "Razón social: es obligatoria para una persona jurídica."]
    ]
    imp = run(admin_user, imp, "valid")
    assert imp.imported_count == 1
    client = Client.objects.get(first_name="Zoilo")
    assert client.name == "Zoilo Ñandú" and client.email == "Zoilo@ejemplo.com"
    assert client.zone_id == cat.zone.pk and client.seller_id == cat.seller.pk
    assert client.tax_id == "20267565393" and client.tax_id_kind == "CUIT"
    assert client.billing_enabled and client.tax_condition.name == "Responsable Inscripto"
    assert client.invoice_type.code == "A" and client.billing_entity_id == cat.legal.pk
    assert client.status == Client.Status.ACTIVE and client.created_at >= started
    assert client.updated_at == client.created_at
    stored = (client.sort_name, client.search_text)
    client.refresh_search_fields()
    assert stored == (client.sort_name, client.search_text) and "35155501" in stored[1]
    event = ClientEvent.objects.get(client=client)
    assert event.actor == admin_user and event.action == "client.imported"
    assert event.changes == {"Importación": ["", f"#{imp.pk} clientes.csv"]}
    for query in ("ñandu zoilo", "20267565393", "3515550101"):
        form = ClientFilterForm({"q": query})
        assert form.is_valid(), form.errors
        assert [c.pk for c in search_clients(admin_user, form.cleaned_data).rows] == [client.pk]


def test_rows_that_became_invalid_after_the_dry_run_roll_back_an_all_or_nothing_import(
    cat, admin_user, make_client
):
    imp = check(admin_user, upload(admin_user, b"Nombre,E-mail\nA,a@example.com\nB,b@x.com\n"))
    make_client(email="b@x.com")
    imp = run(admin_user, imp, "all")
    assert imp.status == "failed" and "No se importó nada" in imp.errors[0][2]
    assert not Client.objects.filter(name__in=["A", "B"]).exists()


def test_a_formula_in_an_xlsx_cell_is_stored_as_text(cat, admin_user):
    book = Workbook()
    sheet = book.active
    sheet.append(["Nombre", "Observaciones", "Teléfono"])
    sheet.append(["Fórmula", "=1+2", 3511234567])
    buf = io.BytesIO()
    book.save(buf)
    imp = check(admin_user, upload(admin_user, buf.getvalue(), name="c.xlsx"))
    assert imp.file_format == "xlsx" and imp.errors == []
    run(admin_user, imp, "all")
    client = Client.objects.get(name="Fórmula")
    assert (client.notes, client.phone) == ("=1+2", "3511234567")


def test_undo_deactivates_untouched_clients_and_refuses_once_one_changed(cat, admin_user):
    from ispgest.clients.services import client_update

    data = b"Nombre\nUno\nDos\n"
    imp = run(admin_user, check(admin_user, upload(admin_user, data)), "all")
    assert importing.import_undo(actor=admin_user, imp=imp) == 2
    assert set(Client.objects.values_list("status", flat=True)) == {"inactive"}
    assert Client.objects.count() == 2  # deactivated, never deleted
    imp2 = run(admin_user, check(admin_user, upload(admin_user, b"Nombre\nTres\n")), "all")
    client_update(actor=admin_user, client=Client.objects.get(name="Tres"), data={"phone": "1"})
    with pytest.raises(Exception, match="ya tienen cambios"):
        importing.import_undo(actor=admin_user, imp=imp2)
    assert Client.objects.get(name="Tres").status == "active"


def test_a_large_file_is_streamed_and_too_many_rows_are_refused(cat, admin_user, settings):
    settings.ISPGEST_IMPORT_MAX_ROWS = 1_000_000
    lines = b"Nombre,E-mail\n" + b"".join(b"C%d,\n" % i for i in range(2_000_000))
    assert len(lines) > 16 * 1024 * 1024
    tracemalloc.start()
    imp = upload(admin_user, lines)
    del lines
    imp = check(admin_user, imp)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert imp.status == "uploaded"
    assert "más de 1.000.000 filas" in imp.errors[0][2]
    assert not Client.objects.exists()
    # The upload's bytes are held by the test itself; reading never takes much more.
    assert peak < 60 * 1024 * 1024


def test_a_file_over_the_size_limit_is_refused(cat, admin_user, settings):
    settings.ISPGEST_IMPORT_MAX_BYTES = 1024
    with pytest.raises(Exception, match="tamaño máximo"):
        upload(admin_user, b"Nombre\n" + b"x" * 2000)
    assert not DataImport.objects.exists()


def test_the_pages_walk_upload_mapping_dry_run_and_import(cat, admin_client):
    url = reverse("clients:import")
    assert admin_client.get(url).status_code == 200
    csv = SimpleUploadedFile("c.csv", b"Cliente,Correo,Columna rara\nAna,ana@example.com,x\n")
    response = admin_client.post(url, {"kind": "clients", "file": csv})
    imp = DataImport.objects.get()
    assert response.url == reverse("clients:import_detail", args=[imp.pk])
    page = admin_client.get(response.url).content.decode()
    assert '<label for="col_2">Columna rara</label>' in page
    with tasks():
        response = admin_client.post(
            response.url, {"action": "check", "col_0": "name", "col_1": "email", "col_2": "notes"}
        )
    imp.refresh_from_db()
    assert imp.status == "checked" and imp.mapping["2"] == "notes"
    admin_client.post(reverse("clients:import_detail", args=[imp.pk]), {"action": "run"})
    imp.refresh_from_db()
    assert imp.status == "checked"  # no mode chosen: nothing imported
    with tasks():
        admin_client.post(
            reverse("clients:import_detail", args=[imp.pk]), {"action": "run", "mode": "all"}
        )
    assert Client.objects.get().notes == "x"


def test_a_role_without_the_import_permission_gets_403(cat, client, make_user):
    client.force_login(make_user(BILLING))
    assert client.get(reverse("clients:import")).status_code == 403


def test_the_api_uploads_maps_checks_runs_and_undoes(cat, client, admin_user):
    from ispgest.accounts.models import ApiToken

    _t, raw = ApiToken.issue(user=admin_user, name="t")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    csv = SimpleUploadedFile("a.csv", b"Nombre,Otra\nAPI Uno,x\n")
    response = client.post("/api/v1/clients/imports", {"file": csv}, **auth)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["mapping"] == {"0": "name"} and "email" in body["fields"]
    base = f"/api/v1/clients/imports/{body['id']}"
    bad = client.put(
        base + "/mapping", {"mapping": {"1": "nope"}}, content_type="application/json", **auth
    )
    assert bad.status_code == 422 and "no es un campo" in bad.json()["detail"]
    ok = client.put(
        base + "/mapping",
        {"mapping": {"0": "name", "1": "notes"}},
        content_type="application/json",
        **auth,
    )
    assert ok.json()["mapping"] == {"0": "name", "1": "notes"}
    with tasks():
        assert client.post(base + "/check", **auth).status_code == 202
    assert client.get(base, **auth).json()["status"] == "checked"
    with tasks():
        response = client.post(
            base + "/run", {"mode": "valid"}, content_type="application/json", **auth
        )
    assert response.status_code == 202
    assert client.get(base, **auth).json()["imported_count"] == 1
    assert client.post(base + "/undo", **auth).json()["status"] == "undone"
    assert Client.objects.get(name="API Uno").status == "inactive"


def test_undo_names_the_clients_by_a_subquery_not_one_parameter_each(cat, admin_user):
    """An import holds up to ISPGEST_IMPORT_MAX_ROWS clients, past what SQLite binds in one
    statement (250,000 here): undo under the 999 variables Django assumes for its own batches
    still undoes 1,100 clients."""
    import sqlite3

    from django.db import connection

    rows = "".join(f"Cliente {n}\n" for n in range(1100))
    imp = run(admin_user, check(admin_user, upload(admin_user, f"Nombre\n{rows}".encode())), "all")
    assert imp.imported_count == 1100
    inactive = Client.objects.create(name="Ya inactivo", status="inactive")
    raw = connection.connection if connection.vendor == "sqlite" else None
    previous = raw.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 999) if raw else None
    try:
        assert importing.import_undo(actor=admin_user, imp=imp) == 1100
    finally:
        if raw:
            raw.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, previous)
    assert Client.objects.filter(status="active").count() == 0
    assert ClientEvent.objects.filter(action="client.import_undone").count() == 1100
    assert not ClientEvent.objects.filter(client=inactive).exists()


def test_the_clients_of_an_import_are_read_through_its_partial_index(cat, admin_user):
    """Undo reads the history rows of one import: on a history of millions of rows that is
    the partial index clientevent_import_idx (only the rows imports wrote), never a scan of
    the whole table. The plan is read with scans discouraged, so a query the index cannot
    serve shows up whatever the table's size."""
    from django.db import connection

    imp = run(admin_user, check(admin_user, upload(admin_user, b"Nombre\nUno\nDos\n")), "all")
    query = importing.imported_client_ids(imp)
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"EXPLAIN {sql}", params)
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        plan = " ".join(str(row) for row in cursor.fetchall())
    assert "clientevent_import_idx" in plan, plan
    assert sorted(query) == sorted(Client.objects.values_list("pk", flat=True))

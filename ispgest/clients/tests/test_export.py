"""Exportar: the seed's 21 columns, CSV and XLSX, e-mailed, formula-safe, zero rows valid."""

import csv
import io
import re
import zipfile
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from ispgest.accounts.roles import COLLECTOR, SELLER
from ispgest.billing.models import ClientBalance
from ispgest.catalog.models import PaymentGateway, Seller, Zone
from ispgest.clients.export import COLUMNS, format_choices, style_for, write_csv, write_xlsx
from ispgest.clients.models import Client, GatewayAccount
from ispgest.clients.tasks import start_export
from ispgest.core.models import Job

SEED_COLUMNS = (
    "ID cliente || Nombre || Observaciones || E-mail || Teléfono || Teléfono celular || "
    "Dirección || Barrio || Zona || Documento/cédula || Ciudad || Provincia/estado/región || "
    "Facturación habilitada || Tipo de factura || Condición impositiva || Número de "
    "identificación tributaria || Número de facturas impagas || Balance de facturas impagas || "
    "Información de Pasarelas de Pago || Creado el || Última modificación"
).split(" || ")


def make(name, **extra) -> Client:
    client = Client(name=name, **extra)
    client.refresh_search_fields()
    client.save()
    return client


def read_csv(data: bytes | str, delimiter: str = ";") -> list[list[str]]:
    text = data.decode("utf-8") if isinstance(data, bytes) else data
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:]), delimiter=delimiter))


def read_xlsx(data: bytes) -> list[list]:
    sheet = load_workbook(io.BytesIO(data), read_only=True).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_the_columns_are_the_seeds_in_its_order():
    assert list(COLUMNS) == SEED_COLUMNS


@pytest.mark.django_db
def test_csv_and_xlsx_hold_every_column_with_formulas_neutralised():
    zone = Zone.objects.create(name="Centro")
    gateway = PaymentGateway.objects.create(name="MercadoPago", code="mp")
    client = make(
        '=HYPERLINK("http://x")',
        zone=zone,
        phone="+54 11 2045-6789",
        notes="@SUM(1)",
        billing_enabled=True,
        tax_id_kind="CUIT",
        tax_id="20123456786",
    )
    GatewayAccount.objects.create(client=client, gateway=gateway, reference="MP-1")
    ClientBalance.objects.create(client=client, unpaid_count=2, unpaid_total=Decimal("150.50"))
    make("Ana Pérez")
    out = io.BytesIO()
    assert write_csv(Client.objects.all(), out, use_copy=False) == 2
    rows = read_csv(out.getvalue())
    assert rows[0] == SEED_COLUMNS
    first = dict(zip(rows[0], rows[1], strict=True))
    assert first["Nombre"] == '\'=HYPERLINK("http://x")'
    assert first["Observaciones"] == "'@SUM(1)"
    assert first["Teléfono"] == "'+54 11 2045-6789"
    assert first["Zona"] == "Centro"
    assert first["Facturación habilitada"] == "Sí"
    assert first["Número de facturas impagas"] == "2"
    assert first["Balance de facturas impagas"] == "150,50"
    assert first["Número de identificación tributaria"] == "20-12345678-6"
    assert first["Información de Pasarelas de Pago"] == "MercadoPago: MP-1"
    assert re.fullmatch(r"\d\d/\d\d/\d{4} \d\d:\d\d:\d\d", first["Creado el"])
    assert rows[2][1] == "Ana Pérez" and rows[2][16:18] == ["0", "0,00"]

    out = io.BytesIO()
    write_csv(Client.objects.all(), out, use_copy=False, fmt="csv_comma")
    rows = read_csv(out.getvalue(), delimiter=",")
    assert rows[1][17] == "150.50" and rows[1][1] == '\'=HYPERLINK("http://x")'

    out = io.BytesIO()
    assert write_xlsx(Client.objects.all(), out) == 2
    sheet = read_xlsx(out.getvalue())
    assert list(sheet[0]) == SEED_COLUMNS
    # Typed text cells: never run as formulas, so written as they are.
    assert sheet[1][1] == '=HYPERLINK("http://x")'
    assert sheet[1][2] == "@SUM(1)" and sheet[1][4] == "+54 11 2045-6789"
    assert sheet[1][15] == "20-12345678-6"
    assert sheet[1][16] == 2 and float(sheet[1][17]) == 150.5
    cell_types = _sheet_cell_types(out.getvalue())
    assert cell_types[1] == "inlineStr" and cell_types[17] == "n"


def _sheet_cell_types(data: bytes) -> list[str]:
    """The cell types of the first data row, read from the sheet's XML."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        xml = zf.read("xl/worksheets/sheet1.xml").decode()
    row = re.findall(r"<row>(.*?)</row>", xml)[1]
    return [m or "n" for m in re.findall(r"<c(?: t=\"(\w+)\")?>", row)]


def test_the_csv_separator_follows_the_country_and_the_other_is_offered(settings):
    settings.ISPGEST_COUNTRY = "MX"
    assert [c[0] for c in format_choices()] == ["csv", "csv_semicolon", "xlsx"]
    assert style_for("csv").delimiter == "," and style_for("csv").decimal == "."
    settings.ISPGEST_COUNTRY = "ES"
    assert [c[0] for c in format_choices()] == ["csv", "csv_comma", "xlsx"]
    assert style_for("csv").delimiter == ";" and style_for("csv").decimal == ","


@pytest.mark.django_db
def test_zero_rows_give_a_valid_file_with_the_header():
    out = io.BytesIO()
    assert write_csv(Client.objects.none(), out, use_copy=False) == 0
    assert read_csv(out.getvalue()) == [SEED_COLUMNS]
    out = io.BytesIO()
    assert write_xlsx(Client.objects.none(), out) == 0
    assert read_xlsx(out.getvalue()) == [SEED_COLUMNS]


@pytest.mark.django_db
def test_the_database_writer_gives_the_same_bytes_as_the_python_writer():
    """On PostgreSQL the default writer is COPY; the file must not depend on it."""
    zone = Zone.objects.create(name="Sur")
    make('Ñandú "Comillas", y coma', zone=zone, notes="línea 1\nlínea 2", phone="-1")
    make("Álvaro", email="alvaro@correo.test", tax_id_kind="CUIT", tax_id="20123456786")
    make("Nit", tax_id_kind="NIT", tax_id="2131234321")
    ClientBalance.objects.create(
        client=Client.objects.get(name="Nit"), unpaid_count=1, unpaid_total=Decimal("1234.5")
    )
    for fmt in ("csv", "csv_comma"):
        python_out, copy_out = io.BytesIO(), io.BytesIO()
        write_csv(Client.objects.all(), python_out, use_copy=False, fmt=fmt)
        assert write_csv(Client.objects.all(), copy_out, fmt=fmt) == 3
        assert copy_out.getvalue() == python_out.getvalue()
    assert "213.123.432-1" in python_out.getvalue().decode()


@pytest.mark.django_db(transaction=True)
def test_the_export_arrives_by_email_with_the_file_attached(admin_user, smtp_server):
    make("Rocío Núñez")
    make("Otro Cliente")
    job = start_export(actor=admin_user, filters={"q": "nuñez"}, fmt="csv")
    job = Job.objects.get(pk=job.pk)
    assert job.status == Job.Status.DONE and job.result["rows"] == 1
    mail = next(m for m in smtp_server.received if "Exportación" in m.subject)
    assert mail.rcpt_tos == [admin_user.email]
    [attachment] = mail.attachments()
    rows = read_csv(attachment.get_content())
    assert rows[0] == SEED_COLUMNS and [r[1] for r in rows[1:]] == ["Rocío Núñez"]


@pytest.mark.django_db(transaction=True)
def test_a_large_export_is_a_link_that_checks_the_user_and_expires(
    admin_user, make_user, smtp_server, settings, client
):
    settings.ISPGEST_EXPORT_ATTACH_MAX_BYTES = 10
    make("Uno")
    job = start_export(actor=admin_user, filters={}, fmt="xlsx")
    mail = next(m for m in smtp_server.received if "Exportación" in m.subject)
    assert mail.attachments() == []
    url = reverse("clients:export_download", args=[job.pk])
    assert url in mail.text()
    client.force_login(make_user(None, is_superuser=False))
    assert client.get(url).status_code == 403
    client.force_login(make_user("Facturación"))
    assert client.get(url).status_code == 404  # someone else's export
    client.force_login(admin_user)
    response = client.get(url)
    assert response.status_code == 200
    assert read_xlsx(b"".join(response.streaming_content))[1][1] == "Uno"
    Job.objects.filter(pk=job.pk).update(expires_at="2000-01-01T00:00:00Z")
    assert client.get(url).status_code == 403


@pytest.mark.django_db(transaction=True)
def test_a_seller_exports_only_its_clients_and_a_collector_cannot_export(make_user, smtp_server):
    mine = Seller.objects.create(name="Vera")
    make("Propio", seller=mine)
    make("Ajeno")
    seller_user = make_user(SELLER, seller=mine)
    job = start_export(actor=seller_user, filters={"status": "all"}, fmt="csv")
    assert Job.objects.get(pk=job.pk).result["rows"] == 1
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        start_export(actor=make_user(COLLECTOR), filters={}, fmt="csv")


@pytest.mark.django_db(transaction=True)
def test_an_api_token_that_may_read_the_job_downloads_its_file(
    admin_user, make_user, smtp_server, client
):
    from ispgest.accounts.models import ApiToken

    make("Por API")
    _row, raw = ApiToken.issue(user=admin_user, name="export")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    response = client.post(
        "/api/v1/clients/export", {"format": "csv"}, content_type="application/json", **auth
    )
    job_id = response.json()["id"]
    body = client.get(f"/api/v1/clients/jobs/{job_id}", **auth).json()
    assert body["status"] == "done" and body["download_url"].startswith("http")
    download = client.get(body["download_url"], **auth)
    assert download.status_code == 200, download.content[:200]
    assert "Por API" in b"".join(download.streaming_content).decode("utf-8-sig")
    _other, raw2 = ApiToken.issue(user=make_user("Facturación"), name="otro")
    other = client.get(body["download_url"], HTTP_AUTHORIZATION=f"Bearer {raw2}")
    assert other.status_code == 404  # someone else's export

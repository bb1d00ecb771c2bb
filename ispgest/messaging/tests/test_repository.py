"""The client's repository ("Repositorio", seed 004): upload, list, filter, download, hide
and purge, with the shared upload rules."""

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from ispgest.clients.models import ClientEvent
from ispgest.contracts import services as contract_services
from ispgest.core.models import AuditEntry
from ispgest.messaging.models import RepositoryFile
from ispgest.messaging.tests.conftest import ELF_BYTES, PDF_BYTES

pytestmark = pytest.mark.django_db


def _section(client, c, **params):
    return client.get(reverse("clients:section", args=[c.pk, "repositorio"]), params)


def _upload(client, c, *, name="DNI escaneado", tag="DNI", data=PDF_BYTES, filename="dni.pdf"):
    return client.post(
        reverse("messaging:repository_upload", args=[c.pk]),
        {"name": name, "tag": tag, "file": SimpleUploadedFile(filename, data)},
    )


def test_the_section_offers_the_seed_form_with_labels(admin_client, subscriber):
    html = _section(admin_client, subscriber).content.decode()
    for label in ("Nombre del recurso", "Etiqueta el recurso", "Selecciona un archivo"):
        assert label in html
    assert 'for="id_name"' in html and 'for="id_tag"' in html and 'for="id_file"' in html
    assert "Sube al repositorio" in html
    assert '<option value="DNI">' in html  # a usual tag is offered


def test_an_upload_is_listed_with_its_facts_and_recorded(admin_client, admin_user, subscriber):
    response = _upload(admin_client, subscriber)
    assert response.status_code == 302
    row = RepositoryFile.objects.get()
    assert (row.name, row.tag, row.content_type, row.size) == (
        "DNI escaneado",
        "DNI",
        "application/pdf",
        len(PDF_BYTES),
    )
    assert row.uploaded_by == admin_user and row.source == RepositoryFile.Source.UPLOAD
    assert row.file.name.startswith(f"repository/{subscriber.pk}/") and "dni" not in row.file.name
    assert ClientEvent.objects.filter(client=subscriber, action="repository.uploaded").exists()
    assert AuditEntry.objects.filter(action="repository.uploaded").exists()
    html = _section(admin_client, subscriber).content.decode()
    assert "DNI escaneado" in html and "PDF" in html and "jefa" in html


def test_the_used_tags_are_offered_and_filter_the_list(admin_client, subscriber):
    _upload(admin_client, subscriber, name="Foto antena", tag="Instalación")
    _upload(admin_client, subscriber, name="Contrato viejo", tag="Papeles")
    html = _section(admin_client, subscriber).content.decode()
    assert '<option value="Instalación">' in html
    filtered = _section(admin_client, subscriber, etiqueta="Instalación").content.decode()
    assert "Foto antena" in filtered and "Contrato viejo" not in filtered
    searched = _section(admin_client, subscriber, q="viejo").content.decode()
    assert "Contrato viejo" in searched and "Foto antena" not in searched


def test_the_download_is_byte_identical_and_an_attachment(admin_client, subscriber):
    _upload(admin_client, subscriber, filename="informe.pdf")
    row = RepositoryFile.objects.get()
    response = admin_client.get(reverse("messaging:repository_download", args=[row.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF_BYTES
    assert response["Content-Disposition"].startswith("attachment;")
    assert 'filename="informe.pdf"' in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"


def test_an_executable_named_pdf_is_refused_and_nothing_is_written(admin_client, subscriber):
    response = _upload(admin_client, subscriber, data=ELF_BYTES, filename="factura.pdf")
    assert response.status_code == 400
    assert "El tipo de archivo no está permitido" in response.content.decode()
    assert not RepositoryFile.objects.exists()
    assert not ClientEvent.objects.filter(action="repository.uploaded").exists()
    _dirs, files = (
        default_storage.listdir(f"repository/{subscriber.pk}")
        if (default_storage.exists(f"repository/{subscriber.pk}"))
        else ([], [])
    )
    assert files == []


def test_a_path_in_the_file_name_is_stored_under_a_generated_name(admin_client, subscriber):
    _upload(admin_client, subscriber, filename="../../x")
    _upload(admin_client, subscriber, filename="../../x.pdf", name="Otro")
    names = set(RepositoryFile.objects.values_list("original_name", flat=True))
    assert names == {"x", "x.pdf"}
    for row in RepositoryFile.objects.all():
        assert ".." not in row.file.name
        assert row.file.name.startswith(f"repository/{subscriber.pk}/")
        assert row.file.name.endswith(".pdf")


def test_a_missing_name_is_refused_naming_the_field(admin_client, subscriber):
    response = _upload(admin_client, subscriber, name="  ")
    assert response.status_code == 400
    assert "Nombre del recurso" in response.content.decode()
    assert not RepositoryFile.objects.exists()


def test_hiding_keeps_the_file_and_only_an_admin_purges_it(
    admin_client, make_user, subscriber, django_capture_on_commit_callbacks
):
    _upload(admin_client, subscriber)
    row = RepositoryFile.objects.get()
    client = Client()
    client.force_login(make_user("Facturación"))
    assert client.post(reverse("messaging:repository_hide", args=[row.pk])).status_code == 302
    row.refresh_from_db()
    assert row.hidden_at is not None and default_storage.exists(row.file.name)
    assert ClientEvent.objects.filter(client=subscriber, action="repository.hidden").exists()
    assert "DNI escaneado" not in _section(client, subscriber).content.decode()
    # a clerk can neither purge nor download a hidden file
    assert client.post(reverse("messaging:repository_purge", args=[row.pk])).status_code == 403
    response = client.get(reverse("messaging:repository_download", args=[row.pk]))
    assert response.status_code == 404
    assert "DNI escaneado" in _section(admin_client, subscriber, ocultos="1").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(reverse("messaging:repository_purge", args=[row.pk]))
    assert not RepositoryFile.objects.exists()
    assert not default_storage.exists(row.file.name)
    assert ClientEvent.objects.filter(client=subscriber, action="repository.purged").exists()


def test_a_visible_file_cannot_be_purged(admin_client, subscriber):
    _upload(admin_client, subscriber)
    row = RepositoryFile.objects.get()
    admin_client.post(reverse("messaging:repository_purge", args=[row.pk]))
    assert RepositoryFile.objects.filter(pk=row.pk).exists()


def test_a_role_without_the_right_gets_403(client, make_user, subscriber):
    client.force_login(make_user("Recaudador"))
    assert _upload(client, subscriber).status_code == 403
    assert not RepositoryFile.objects.exists()


def test_a_signed_contract_appears_tagged_and_downloads(
    admin_client, admin_user, subscriber, django_capture_on_commit_callbacks
):
    document = contract_services.signed_document_upload(
        actor=admin_user,
        client=subscriber,
        uploaded_file=SimpleUploadedFile("firmado.pdf", PDF_BYTES),
        title="Contrato de alta",
    )
    row = RepositoryFile.objects.get()
    assert row.source == RepositoryFile.Source.CONTRACT and row.tag == "Contrato firmado"
    assert row.file.name == document.file.name and row.name == "Contrato de alta"
    response = admin_client.get(reverse("messaging:repository_download", args=[row.pk]))
    assert b"".join(response.streaming_content) == PDF_BYTES
    html = _section(admin_client, subscriber, etiqueta="Contrato firmado").content.decode()
    assert "Contrato de alta" in html
    # purging the entry leaves the contract's own file alone
    admin_client.post(reverse("messaging:repository_hide", args=[row.pk]))
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(reverse("messaging:repository_purge", args=[row.pk]))
    assert not RepositoryFile.objects.exists()
    assert default_storage.exists(document.file.name)

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from ispgest.clients.models import ClientEvent
from ispgest.contracts import services
from ispgest.contracts.models import SignedDocument

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200


def test_it_stores_a_pdf_under_a_generated_name_and_records_history(subscriber, admin_user):
    upload = SimpleUploadedFile("contrato firmado.pdf", PDF, content_type="image/png")
    document = services.signed_document_upload(
        actor=admin_user, client=subscriber, uploaded_file=upload, title="Contrato 2026"
    )
    assert document.content_type == "application/pdf"  # from the bytes, not the header
    assert document.file.name.startswith(f"signed/{subscriber.pk}/")
    assert document.file.name.endswith(".pdf") and "firmado" not in document.file.name
    assert default_storage.open(document.file.name).read() == PDF
    assert document.original_name == "contrato firmado.pdf" and document.size == len(PDF)
    assert ClientEvent.objects.filter(action="signed_document.uploaded").exists()


def test_an_image_named_pdf_is_stored_as_what_it_is(subscriber, admin_user):
    upload = SimpleUploadedFile("scan.pdf", PNG, content_type="application/pdf")
    document = services.signed_document_upload(
        actor=admin_user, client=subscriber, uploaded_file=upload
    )
    assert document.content_type == "image/png" and document.file.name.endswith(".png")


def test_it_refuses_an_executable_named_pdf_and_writes_nothing(subscriber, admin_user, settings):
    upload = SimpleUploadedFile("contrato.pdf", EXE, content_type="application/pdf")
    with pytest.raises(ValidationError) as exc:
        services.signed_document_upload(actor=admin_user, client=subscriber, uploaded_file=upload)
    assert exc.value.message_dict["file"] == [
        "El archivo no es un PDF ni una imagen (PNG, JPEG o WebP) válidos."
    ]
    assert not SignedDocument.objects.exists() and not ClientEvent.objects.exists()
    media = settings.MEDIA_ROOT
    assert not (media / "signed").exists() or not any((media / "signed").rglob("*.*"))


def test_it_refuses_an_upload_over_the_limit(subscriber, admin_user, settings):
    settings.ISPGEST_UPLOAD_MAX_BYTES = 1024
    upload = SimpleUploadedFile("grande.pdf", PDF + b"0" * 2000, content_type="application/pdf")
    with pytest.raises(ValidationError) as exc:
        services.signed_document_upload(actor=admin_user, client=subscriber, uploaded_file=upload)
    assert exc.value.message_dict["file"] == [
        "El archivo supera el tamaño máximo permitido (1 KB)."
    ]
    assert not SignedDocument.objects.exists()

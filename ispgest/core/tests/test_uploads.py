"""The shared upload rules: type from the bytes, size limit, generated names, downloads."""

import io
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from ispgest.core import uploads

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200
ELF = b"\x7fELF\x02\x01\x01" + b"\x00" * 200


def _docx() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    return buf.getvalue()


@pytest.mark.parametrize("data", [EXE, ELF, b"\x00\x01\x02binario"])
def test_it_refuses_an_executable_or_unknown_bytes_whatever_the_name(data):
    upload = SimpleUploadedFile("factura.pdf", data, content_type="application/pdf")
    with pytest.raises(ValidationError) as exc:
        uploads.check_upload(upload)
    assert exc.value.message_dict["file"] == [uploads.DOCUMENT_REFUSAL]


def test_it_reads_the_type_from_the_bytes_not_the_name():
    checked = uploads.check_upload(SimpleUploadedFile("foto.png", PDF, content_type="image/png"))
    assert checked.content_type == "application/pdf" and checked.extension == ".pdf"
    docx = uploads.check_upload(SimpleUploadedFile("informe.bin", _docx()))
    assert docx.extension == ".docx"


def test_plain_text_and_csv_are_accepted_and_control_bytes_are_not():
    assert uploads.check_bytes("Dirección: Córdoba 123\n".encode(), name="n.txt").content_type == (
        "text/plain"
    )
    assert uploads.check_bytes(b"a;b\n1;2\n", name="datos.csv").content_type == "text/csv"
    with pytest.raises(ValidationError):
        uploads.check_bytes(b"abc\x00def", name="n.txt")


def test_signed_document_rules_accept_only_pdf_and_images():
    with pytest.raises(ValidationError) as exc:
        uploads.check_bytes(
            _docx(),
            name="contrato.docx",
            allowed=uploads.SIGNED_DOCUMENT_TYPES,
            refusal=uploads.SIGNED_DOCUMENT_REFUSAL,
        )
    assert exc.value.message_dict["file"] == [uploads.SIGNED_DOCUMENT_REFUSAL]


def test_it_refuses_an_oversized_upload_and_an_empty_one(settings):
    settings.ISPGEST_UPLOAD_MAX_BYTES = 2 * 1024 * 1024
    big = SimpleUploadedFile("grande.pdf", PDF + b"0" * (2 * 1024 * 1024))
    with pytest.raises(ValidationError) as exc:
        uploads.check_upload(big)
    assert exc.value.message_dict["file"] == [
        "El archivo supera el tamaño máximo permitido (2 MB)."
    ]
    with pytest.raises(ValidationError) as exc:
        uploads.check_upload(SimpleUploadedFile("vacio.pdf", b""))
    assert exc.value.message_dict["file"] == ["El archivo está vacío."]


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("../../x", "x"),
        ("..\\..\\windows\\evil.pdf", "evil.pdf"),
        ("/etc/passwd", "passwd"),
        ("..", "archivo"),
        ("con\x00trol\x1b.pdf", "control.pdf"),
    ],
)
def test_a_path_in_the_name_is_dropped_and_storage_gets_a_generated_name(given, kept):
    checked = uploads.check_bytes(PDF, name=given)
    assert checked.original_name == kept
    name = uploads.store(checked, prefix="repo/7")
    assert name.startswith("repo/7/") and name.endswith(".pdf")
    assert ".." not in name and kept not in name.rsplit("/", 1)[-1]
    assert default_storage.open(name).read() == PDF
    uploads.discard(name)
    assert not default_storage.exists(name)


def test_a_download_is_an_attachment_named_by_the_real_type(tmp_path):
    class Holder:
        pass

    from django.db.models import FileField
    from django.db.models.fields.files import FieldFile

    name = default_storage.save("repo/1/abc.pdf", ContentFile(PDF))
    field = FileField()
    field.storage = default_storage
    file = FieldFile(Holder(), field, name)
    response = uploads.download_response(
        file, original_name="contrato.exe", content_type="application/pdf"
    )
    assert response["Content-Disposition"].startswith("attachment")
    assert 'filename="contrato.pdf"' in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == PDF

"""The rules every stored file follows, whoever uploads it (signed contracts, the client's
repository, ticket attachments, files received by e-mail).

- The type comes from the bytes (`filetype` reads the magic numbers), never from the name or
  the browser's header; each caller says which types it accepts.
- A size limit is enforced while reading, so an oversized upload is never held whole.
- The file is stored under a generated name (`<prefix>/<uuid><ext>`); the uploader's name is
  kept only as text, without any path.
- Downloads go through a permission-checked view that answers with
  `Content-Disposition: attachment` and `X-Content-Type-Options: nosniff`.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

import filetype
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404

from ispgest.core.exceptions import DomainError

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
WEBP = "image/webp"
GIF = "image/gif"
TEXT = "text/plain"
CSV = "text/csv"

# Extension stored for each accepted type (the name on disk never comes from the uploader).
EXTENSIONS = {
    PDF: ".pdf",
    PNG: ".png",
    JPEG: ".jpg",
    WEBP: ".webp",
    GIF: ".gif",
    "image/tiff": ".tif",
    "image/bmp": ".bmp",
    "image/heic": ".heic",
    "application/msword": ".doc",
    "application/vnd.ms-excel": ".xls",
    "application/vnd.ms-powerpoint": ".ppt",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": ".pptx",
    "application/vnd.oasis.opendocument.text": ".odt",
    "application/vnd.oasis.opendocument.spreadsheet": ".ods",
    "application/vnd.oasis.opendocument.presentation": ".odp",
    "application/rtf": ".rtf",
    "application/zip": ".zip",
    TEXT: ".txt",
    CSV: ".csv",
}

# Short Spanish names of the types, for lists ("Tipo").
LABELS = {
    PDF: "PDF",
    PNG: "Imagen PNG",
    JPEG: "Imagen JPEG",
    WEBP: "Imagen WebP",
    GIF: "Imagen GIF",
    "image/tiff": "Imagen TIFF",
    "image/bmp": "Imagen BMP",
    "image/heic": "Imagen HEIC",
    "application/msword": "Documento Word",
    "application/vnd.ms-excel": "Hoja Excel",
    "application/vnd.ms-powerpoint": "Presentación PowerPoint",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "Documento Word",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "Hoja Excel",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": (
        "Presentación PowerPoint"
    ),
    "application/vnd.oasis.opendocument.text": "Documento de texto (ODT)",
    "application/vnd.oasis.opendocument.spreadsheet": "Hoja de cálculo (ODS)",
    "application/vnd.oasis.opendocument.presentation": "Presentación (ODP)",
    "application/rtf": "Documento RTF",
    "application/zip": "Archivo ZIP",
    TEXT: "Texto",
    CSV: "CSV",
}

# Signed contracts: a PDF or a photo of the paper.
SIGNED_DOCUMENT_TYPES = frozenset({PDF, PNG, JPEG, WEBP})
SIGNED_DOCUMENT_REFUSAL = "El archivo no es un PDF ni una imagen (PNG, JPEG o WebP) válidos."

# Files kept for a client (repository, ticket and mail attachments): documents, images,
# spreadsheets and plain text. Executables, scripts, archives of unknown content and
# anything unrecognised are refused.
DOCUMENT_TYPES = frozenset(EXTENSIONS) - {"application/zip"}
DOCUMENT_REFUSAL = (
    "El tipo de archivo no está permitido: se aceptan PDF, imágenes, documentos de "
    "Office/LibreOffice y texto."
)

_TEXT_CONTROL = set(range(0, 32)) - {9, 10, 12, 13}


@dataclass(frozen=True)
class CheckedFile:
    """A file that passed the rules: its bytes, the type they are and the uploader's name."""

    data: bytes
    content_type: str
    original_name: str

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def extension(self) -> str:
        return EXTENSIONS.get(self.content_type, ".bin")

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def _looks_like_text(data: bytes) -> bool:
    sample = data[:65536]
    if any(byte in _TEXT_CONTROL for byte in sample):
        return False
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut by the sample's end is still text.
        if exc.start < len(sample) - 4:
            try:
                sample.decode("cp1252")
            except UnicodeDecodeError:
                return False
    return True


def sniff_content_type(data: bytes, name: str = "") -> str | None:
    """The file's type read from its bytes, or None when they are not a known type.

    Bytes that are plain text (no control characters, UTF-8 or Windows-1252) are text/plain,
    or text/csv when the uploader named the file .csv.
    """
    kind = filetype.guess(data[:8192])
    if kind is not None:
        return kind.mime
    if data and _looks_like_text(data):
        return CSV if name.lower().endswith(".csv") else TEXT
    return None


def human_size(size: int) -> str:
    """1536 -> "1,5 KB" (Spanish decimal comma)."""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f}".replace(".", ",").replace(",0", "") + " MB"
    if size >= 1024:
        return f"{size / 1024:.1f}".replace(".", ",").replace(",0", "") + " KB"
    return f"{size} bytes"


def too_big(limit: int, field: str = "file") -> DomainError:
    if limit >= 1024 * 1024:
        size = human_size(limit)
    else:
        size = f"{max(limit // 1024, 1)} KB"
    return DomainError(f"El archivo supera el tamaño máximo permitido ({size}).", field=field)


def safe_original_name(name: str, fallback: str = "archivo") -> str:
    """The uploader's file name without any directory part or control characters."""
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip().lstrip(".")
    return name[:200] or fallback


def read_limited(uploaded_file, limit: int, field: str = "file") -> bytes:
    """Read at most `limit` bytes; more than that is refused without reading the rest."""
    size = getattr(uploaded_file, "size", None)
    if size is not None and size > limit:
        raise too_big(limit, field)
    if hasattr(uploaded_file, "seek"):
        uploaded_file.seek(0)
    data = uploaded_file.read(limit + 1)
    if len(data) > limit:
        raise too_big(limit, field)
    return data


def check_bytes(
    data: bytes,
    *,
    name: str,
    allowed: Iterable[str] = DOCUMENT_TYPES,
    refusal: str = DOCUMENT_REFUSAL,
    limit: int | None = None,
    field: str = "file",
    fallback_name: str = "archivo",
) -> CheckedFile:
    """Apply the rules to bytes already in memory (a mail attachment, a generated PDF)."""
    limit = settings.ISPGEST_UPLOAD_MAX_BYTES if limit is None else limit
    if len(data) > limit:
        raise too_big(limit, field)
    if not data:
        raise DomainError("El archivo está vacío.", field=field)
    content_type = sniff_content_type(data, name)
    if content_type is None or content_type not in set(allowed):
        raise DomainError(refusal, field=field)
    return CheckedFile(data, content_type, safe_original_name(name, fallback_name))


def check_upload(
    uploaded_file,
    *,
    allowed: Iterable[str] = DOCUMENT_TYPES,
    refusal: str = DOCUMENT_REFUSAL,
    limit: int | None = None,
    field: str = "file",
    fallback_name: str = "archivo",
) -> CheckedFile:
    """Apply the rules to an uploaded file (Django's UploadedFile or any file object)."""
    if uploaded_file is None:
        raise DomainError("Seleccione un archivo.", field=field)
    limit = settings.ISPGEST_UPLOAD_MAX_BYTES if limit is None else limit
    data = read_limited(uploaded_file, limit, field)
    return check_bytes(
        data,
        name=getattr(uploaded_file, "name", "") or "",
        allowed=allowed,
        refusal=refusal,
        limit=limit,
        field=field,
        fallback_name=fallback_name,
    )


def store(checked: CheckedFile, *, prefix: str) -> str:
    """Save the bytes under `<prefix>/<uuid><ext>` and return the storage name.

    Callers that then fail to write their row delete it again (`discard`).
    """
    return default_storage.save(
        f"{prefix}/{uuid.uuid4().hex}{checked.extension}", ContentFile(checked.data)
    )


def discard(name: str) -> None:
    if name:
        default_storage.delete(name)


def download_name(original_name: str, stored_name: str, fallback: str = "archivo") -> str:
    """The uploader's stem with the extension of what the bytes really are."""
    ext = stored_name.rsplit(".", 1)[-1] if "." in stored_name.rsplit("/", 1)[-1] else "bin"
    stem = original_name.rsplit(".", 1)[0] if "." in original_name else original_name
    return f"{stem or fallback}.{ext}"


def download_response(
    file, *, original_name: str, content_type: str, fallback: str = "archivo"
) -> FileResponse:
    """Serve a stored file as a download (never rendered by the browser)."""
    if not file or not file.name:
        raise Http404
    try:
        handle = file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=download_name(original_name, file.name, fallback),
        content_type=content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response

"""The client's file repository ("Repositorio", seed 004): writes and reads.

Every file follows the shared upload rules (core/uploads.py): type sniffed from the bytes,
size limit, generated storage name, permission-checked download. Signed contracts and mail
attachments are listed here too (`source`), pointing at the file their owner stored.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from ispgest.clients.history import record_event
from ispgest.clients.models import Client
from ispgest.core import uploads
from ispgest.core.audit import audit
from ispgest.core.exceptions import DomainError
from ispgest.messaging.models import RepositoryFile

# Tags given to files the repository lists from elsewhere.
CONTRACT_TAG = "Contrato firmado"
MAIL_TAG = "Adjunto de correo"
# Offered in "Etiqueta el recurso" besides the tags already used for the client.
DEFAULT_TAGS = ["DNI", "Contrato", "Factura", "Presupuesto", "Fotografía", "Documentación"]


def _clean_text(value: str, *, field: str, label: str, limit: int, required: bool) -> str:
    text = " ".join((value or "").split())
    if required and not text:
        raise DomainError(f"{label}: es obligatorio.", field=field)
    if len(text) > limit:
        raise DomainError(f"{label}: admite como mucho {limit} caracteres.", field=field)
    return text


@transaction.atomic
def repository_file_upload(
    *, actor, client: Client, uploaded_file, name: str, tag: str = ""
) -> RepositoryFile:
    """ "Sube al repositorio": validate the name, the tag and the file, then store it."""
    name = _clean_text(name, field="name", label="Nombre del recurso", limit=200, required=True)
    tag = _clean_text(tag, field="tag", label="Etiqueta el recurso", limit=60, required=False)
    checked = uploads.check_upload(uploaded_file, field="file")
    return _store(actor=actor, client=client, checked=checked, name=name, tag=tag)


def _store(
    *,
    actor,
    client: Client,
    checked: uploads.CheckedFile,
    name: str,
    tag: str,
    source: str = RepositoryFile.Source.UPLOAD,
    source_id: str = "",
) -> RepositoryFile:
    stored = uploads.store(checked, prefix=f"repository/{client.pk}")
    try:
        row = _create_row(
            actor=actor,
            client=client,
            stored=stored,
            name=name,
            tag=tag,
            original_name=checked.original_name,
            content_type=checked.content_type,
            size=checked.size,
            sha256=checked.sha256,
            source=source,
            source_id=source_id,
        )
    except Exception:
        uploads.discard(stored)
        raise
    return row


def _create_row(*, actor, client, stored, history: bool = True, **fields) -> RepositoryFile:
    row = RepositoryFile(
        client=client,
        uploaded_by=actor if getattr(actor, "pk", None) else None,
        **fields,
    )
    row.file.name = stored
    row.save()
    summary = (
        f"Archivo subido al repositorio: «{row.name}» "
        f"({row.type_label}, {uploads.human_size(row.size)})"
        + (f", etiqueta «{row.tag}»." if row.tag else ".")
    )
    if history:
        record_event(
            client=client, actor=actor, action="repository.uploaded", summary=summary, obj=row
        )
    audit(actor=actor, action="repository.uploaded", obj=row, summary=summary, client_id=client.pk)
    return row


@transaction.atomic
def repository_file_store_bytes(
    *, actor, client: Client, data: bytes, filename: str, name: str, tag: str, source_id: str
) -> RepositoryFile:
    """Keep a mail attachment (already in memory) in the client's repository; the rules of
    uploads apply (a refused type raises DomainError)."""
    checked = uploads.check_bytes(data, name=filename, field="file", fallback_name="adjunto")
    return _store(
        actor=actor,
        client=client,
        checked=checked,
        name=name[:200] or checked.original_name,
        tag=tag,
        source=RepositoryFile.Source.MAIL,
        source_id=source_id,
    )


def repository_file_link(
    *,
    actor,
    client: Client,
    stored_name: str,
    name: str,
    original_name: str,
    content_type: str,
    size: int,
    sha256: str,
    source: str,
    source_id: str,
    tag: str,
) -> RepositoryFile:
    """List a file another app stored (a signed contract) without copying it; listing the
    same source twice returns the existing row."""
    existing = RepositoryFile.objects.filter(source=source, source_id=source_id).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return _create_row(
                actor=actor,
                client=client,
                stored=stored_name,
                history=False,  # the owner already wrote the client's history
                name=name[:200],
                tag=tag,
                original_name=original_name[:255],
                content_type=content_type,
                size=size,
                sha256=sha256,
                source=source,
                source_id=source_id,
            )
    except IntegrityError:
        return RepositoryFile.objects.get(source=source, source_id=source_id)


@transaction.atomic
def repository_file_hide(*, actor, file: RepositoryFile) -> RepositoryFile:
    """Remove a file from the list; it is kept (and can be purged by an administrator)."""
    locked = RepositoryFile.objects.select_for_update().get(pk=file.pk)
    if locked.hidden_at is not None:
        raise DomainError("El archivo ya estaba quitado del repositorio.")
    locked.hidden_at = timezone.now()
    locked.hidden_by = actor if getattr(actor, "pk", None) else None
    locked.save(update_fields=["hidden_at", "hidden_by"])
    summary = f"Archivo quitado del repositorio: «{locked.name}»."
    record_event(
        client=locked.client, actor=actor, action="repository.hidden", summary=summary, obj=locked
    )
    audit(
        actor=actor,
        action="repository.hidden",
        obj=locked,
        summary=summary,
        client_id=locked.client_id,
    )
    return locked


@transaction.atomic
def repository_file_purge(*, actor, file: RepositoryFile) -> None:
    """Delete a hidden file for good (administrators only: the view checks the right).

    A signed contract listed here keeps its file: only the repository entry goes.
    """
    locked = RepositoryFile.objects.select_for_update().get(pk=file.pk)
    if locked.hidden_at is None:
        raise DomainError("Quite el archivo del repositorio antes de eliminarlo definitivamente.")
    summary = f"Archivo eliminado definitivamente del repositorio: «{locked.name}»."
    record_event(
        client=locked.client, actor=actor, action="repository.purged", summary=summary, obj=None
    )
    audit(
        actor=actor,
        action="repository.purged",
        summary=summary,
        client_id=locked.client_id,
        object_type="messaging.repositoryfile",
        object_id=str(locked.pk),
        object_repr=locked.name,
    )
    stored = locked.file.name
    owns_file = locked.source != RepositoryFile.Source.CONTRACT
    shared = RepositoryFile.objects.filter(file=stored).exclude(pk=locked.pk).exists()
    locked.delete()
    if owns_file and not shared:
        transaction.on_commit(lambda: uploads.discard(stored))


# --- reads -------------------------------------------------------------------------------


def client_repository_files(
    client_id: int, *, tag: str = "", query: str = "", hidden: bool = False
) -> QuerySet[RepositoryFile]:
    qs = RepositoryFile.objects.filter(client_id=client_id, hidden_at__isnull=not hidden)
    if tag:
        qs = qs.filter(tag=tag)
    query = " ".join((query or "").split())
    if query:
        qs = qs.filter(Q(name__icontains=query) | Q(original_name__icontains=query))
    return qs.select_related("uploaded_by").order_by("-created_at", "-id")


def client_repository_tags(client_id: int) -> list[str]:
    return sorted(
        set(
            RepositoryFile.objects.filter(client_id=client_id, hidden_at__isnull=True)
            .exclude(tag="")
            .values_list("tag", flat=True)
            .distinct()
        )
    )


def offered_tags(client_id: int) -> list[str]:
    """The tags "Etiqueta el recurso" offers: the client's tags first, then the usual ones."""
    used = client_repository_tags(client_id)
    return used + [t for t in DEFAULT_TAGS if t not in used]

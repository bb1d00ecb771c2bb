"""Signed documents: a client's signed contracts, stored under a generated name."""

from __future__ import annotations

from django.db import transaction

from ispgest.clients.history import record_event
from ispgest.clients.models import Client
from ispgest.contracts import signals
from ispgest.contracts.models import (
    Contract,
    SignedDocument,
)
from ispgest.core import uploads
from ispgest.core.exceptions import DomainError


@transaction.atomic
def signed_document_upload(
    *,
    actor,
    client: Client,
    uploaded_file,
    title: str = "",
    contract: Contract | None = None,
) -> SignedDocument:
    """Store a signed contract (PDF/PNG/JPEG/WebP by its bytes) under a generated name."""
    if uploaded_file is None:
        raise DomainError("Seleccione un archivo.", field="file")
    if contract is not None and contract.client_id != client.pk:
        raise DomainError("El contrato no pertenece a este cliente.", field="contract")
    checked = uploads.check_upload(
        uploaded_file,
        allowed=uploads.SIGNED_DOCUMENT_TYPES,
        refusal=uploads.SIGNED_DOCUMENT_REFUSAL,
        fallback_name="documento",
    )
    content_type, data, original = checked.content_type, checked.data, checked.original_name
    name = uploads.store(checked, prefix=f"signed/{client.pk}")
    try:
        document = SignedDocument(
            client=client,
            contract=contract,
            title=(title or "").strip()[:200],
            original_name=original,
            content_type=content_type,
            size=len(data),
            sha256=checked.sha256,
            uploaded_by=actor if getattr(actor, "pk", None) else None,
        )
        document.file.name = name
        document.save()
        record_event(
            client=client,
            actor=actor,
            action="signed_document.uploaded",
            summary=(
                f"Contrato firmado subido: «{document}» ({content_type}, {len(data)} bytes)"
                + (f" del contrato #{contract.pk}." if contract else ".")
            ),
            obj=document,
        )
        signals.signed_document_uploaded.send(sender=SignedDocument, document=document, actor=actor)
    except Exception:
        uploads.discard(name)
        raise
    return document

"""What messaging does when other apps act (see clients/signals.py for the rules)."""

from django.dispatch import receiver

from ispgest.contracts.signals import signed_document_uploaded


@receiver(signed_document_uploaded, dispatch_uid="messaging_repository_signed_document")
def list_signed_document(sender, document, actor, **kwargs):
    """A signed contract appears in the client's repository, tagged as such."""
    from ispgest.messaging.models import RepositoryFile
    from ispgest.messaging.repository import CONTRACT_TAG, repository_file_link

    repository_file_link(
        actor=actor,
        client=document.client,
        stored_name=document.file.name,
        name=str(document),
        original_name=document.original_name,
        content_type=document.content_type,
        size=document.size,
        sha256=document.sha256,
        source=RepositoryFile.Source.CONTRACT,
        source_id=str(document.pk),
        tag=CONTRACT_TAG,
    )

"""Signed contracts uploaded before the repository existed appear in it, tagged."""

from django.db import migrations


def forwards(apps, schema_editor):
    SignedDocument = apps.get_model("contracts", "SignedDocument")
    RepositoryFile = apps.get_model("messaging", "RepositoryFile")
    listed = set(
        RepositoryFile.objects.filter(source="contract").values_list("source_id", flat=True)
    )
    batch = []
    for doc in SignedDocument.objects.order_by("pk").iterator(chunk_size=2000):
        if str(doc.pk) in listed:
            continue
        batch.append(
            RepositoryFile(
                client_id=doc.client_id,
                name=(doc.title or doc.original_name)[:200],
                tag="Contrato firmado",
                file=doc.file.name,
                original_name=doc.original_name,
                content_type=doc.content_type,
                size=doc.size,
                sha256=doc.sha256,
                source="contract",
                source_id=str(doc.pk),
                uploaded_by_id=doc.uploaded_by_id,
            )
        )
        if len(batch) >= 2000:
            RepositoryFile.objects.bulk_create(batch)
            batch = []
    RepositoryFile.objects.bulk_create(batch)


class Migration(migrations.Migration):
    dependencies = [
        ("messaging", "0003_repository_threading_mailboxes"),
        ("contracts", "0004_contract_address_trgm"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]

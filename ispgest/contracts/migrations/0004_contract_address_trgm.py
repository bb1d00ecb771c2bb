"""PostgreSQL: a trigram index so the contract list's text search on the service address
stays fast on a million contracts (Django's icontains compiles to UPPER(address) LIKE)."""

from django.db import migrations

CREATE = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS contract_address_trgm ON contracts_contract "
    "USING gin ((UPPER(address::text)) gin_trgm_ops)",
]
DROP = ["DROP INDEX IF EXISTS contract_address_trgm"]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in CREATE:
            schema_editor.execute(sql)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in DROP:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("contracts", "0003_planassignment_no_overlap")]

    operations = [migrations.RunPython(forwards, backwards)]

"""Database-level guards: client rows are never deleted; automatic history is append-only.

The model layer refuses too; these triggers also stop raw SQL and any other client of the
database. They are vendor-specific, so they are written for PostgreSQL and SQLite.
"""

from django.db import migrations

from ispgest.clients.dbguards import PG_FORWARD, PG_REVERSE, SQLITE_FORWARD, SQLITE_REVERSE

def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_FORWARD, params=None)
    elif schema_editor.connection.vendor == "sqlite":
        for sql in SQLITE_FORWARD:
            schema_editor.execute(sql)


def reverse(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_REVERSE, params=None)
    elif schema_editor.connection.vendor == "sqlite":
        for sql in SQLITE_REVERSE:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("clients", "0001_initial")]
    operations = [migrations.RunPython(forward, reverse)]

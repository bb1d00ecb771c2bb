"""PostgreSQL: two plan assignments of one contract never overlap (btree_gist exclusion).

Periods are half-open [start_date, end_date). SQLite has no exclusion constraints: the
service checks overlaps there (and everywhere, to give a Spanish message first).
"""

from django.db import migrations

CREATE = """
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE contracts_planassignment
    ADD CONSTRAINT planassignment_no_overlap
    EXCLUDE USING gist (
        contract_id WITH =,
        daterange(start_date, end_date, '[)') WITH &&
    );
"""
DROP = "ALTER TABLE contracts_planassignment DROP CONSTRAINT IF EXISTS planassignment_no_overlap;"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("contracts", "0002_initial")]

    operations = [migrations.RunPython(forwards, backwards)]

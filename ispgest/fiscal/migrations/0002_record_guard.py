"""PostgreSQL guard: an invoice record never changes after it is generated.

Only the agency's answer may be written on it (status, error_code, error_text,
submission_id, sent_at); any other change, by any client, and any delete is refused. On
SQLite the model and its queryset refuse instead.
"""

from django.db import migrations

MOVING = "ARRAY['status', 'error_code', 'error_text', 'submission_id', 'sent_at']"

FORWARD = f"""
CREATE OR REPLACE FUNCTION fiscal_record_guard() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'Un registro de facturación no se borra (registro %).', OLD.id;
    END IF;
    IF (to_jsonb(NEW) - {MOVING}) IS DISTINCT FROM (to_jsonb(OLD) - {MOVING}) THEN
        RAISE EXCEPTION 'Un registro de facturación generado no se modifica: se anula o se subsana (registro %).', OLD.id;
    END IF;
    RETURN NEW;
END; $$ LANGUAGE plpgsql;
CREATE TRIGGER fiscal_record_guard BEFORE UPDATE OR DELETE ON fiscal_record
    FOR EACH ROW EXECUTE FUNCTION fiscal_record_guard();
"""
BACKWARD = """
DROP TRIGGER IF EXISTS fiscal_record_guard ON fiscal_record;
DROP FUNCTION IF EXISTS fiscal_record_guard();
"""


def _run(schema_editor, sql: str) -> None:
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cur:
            cur.execute(sql)


def forward(apps, schema_editor):
    _run(schema_editor, FORWARD)


def backward(apps, schema_editor):
    _run(schema_editor, BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("fiscal", "0001_initial")]

    operations = [migrations.RunPython(forward, backward)]

"""PostgreSQL guard: an issued document keeps everything it was issued with.

Only what payments, credit notes and direct debits move may change (status, paid_amount,
credited_amount, sepa_state, updated_at); any other change, by any client (ORM, raw SQL,
admin), and any delete is refused. Compared as jsonb so a column added later is covered too.
On SQLite the model and its queryset refuse instead.
"""

from django.db import migrations

MOVING = "ARRAY['status', 'paid_amount', 'credited_amount', 'sepa_state', 'updated_at']"

FORWARD = f"""
CREATE OR REPLACE FUNCTION billing_invoice_guard() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'Un documento emitido no se borra (documento %).', OLD.id;
    END IF;
    IF (to_jsonb(NEW) - {MOVING}) IS DISTINCT FROM (to_jsonb(OLD) - {MOVING}) THEN
        RAISE EXCEPTION 'Un documento emitido no se modifica: se corrige con una nota de crédito (documento %).', OLD.id;
    END IF;
    RETURN NEW;
END; $$ LANGUAGE plpgsql;
CREATE TRIGGER billing_invoice_guard BEFORE UPDATE OR DELETE ON billing_invoice
    FOR EACH ROW EXECUTE FUNCTION billing_invoice_guard();
"""
BACKWARD = """
DROP TRIGGER IF EXISTS billing_invoice_guard ON billing_invoice;
DROP FUNCTION IF EXISTS billing_invoice_guard();
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
    dependencies = [("billing", "0004_balances_count_invoices_only")]

    operations = [migrations.RunPython(forward, backward)]

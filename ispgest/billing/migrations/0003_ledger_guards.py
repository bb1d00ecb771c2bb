"""PostgreSQL guards: ledger rows (wallet movements, payments, payment allocations, document
lines) can be neither updated nor deleted, whatever the client (ORM, raw SQL, admin).

Corrections are new reversing rows. On SQLite the models' save()/delete() refuse instead.
"""

from django.db import migrations

TABLES = {
    "billing_walletmovement": "Los movimientos del monedero no se modifican ni se borran",
    "billing_payment": "Los pagos no se modifican ni se borran: se revierten",
    "billing_paymentallocation": "Las imputaciones de pagos no se modifican ni se borran",
    "billing_invoiceline": "Las líneas de un documento emitido no cambian",
}


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cur:
        for table, message in TABLES.items():
            cur.execute(
                f"""
                CREATE OR REPLACE FUNCTION {table}_immutable() RETURNS trigger AS $$
                BEGIN
                    RAISE EXCEPTION '{message} (fila %%).', OLD.id;
                END; $$ LANGUAGE plpgsql;
                CREATE TRIGGER {table}_immutable BEFORE UPDATE OR DELETE ON {table}
                    FOR EACH ROW EXECUTE FUNCTION {table}_immutable();
                """.replace("%%", "%")
            )


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cur:
        for table in TABLES:
            cur.execute(f"DROP TRIGGER IF EXISTS {table}_immutable ON {table}")
            cur.execute(f"DROP FUNCTION IF EXISTS {table}_immutable()")


class Migration(migrations.Migration):
    dependencies = [("billing", "0002_fewer_invoice_indexes")]

    operations = [migrations.RunPython(forward, backward)]

"""Rebuild every client's unpaid figures: they now count invoices only (delivery notes are
paid like invoices but are not unpaid invoices)."""

from django.db import migrations


def rebuild(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cur:
        cur.execute(
            "UPDATE billing_clientbalance SET "
            "unpaid_count = (SELECT COUNT(*) FROM billing_invoice i "
            "  WHERE i.client_id = billing_clientbalance.client_id AND i.kind = 'invoice' "
            "  AND i.status IN ('pending', 'partially_paid')), "
            "unpaid_total = (SELECT COALESCE(SUM(i.total - i.paid_amount - i.credited_amount), 0) "
            "  FROM billing_invoice i WHERE i.client_id = billing_clientbalance.client_id "
            "  AND i.kind = 'invoice' AND i.status IN ('pending', 'partially_paid')) "
            "WHERE client_id IN (SELECT DISTINCT client_id FROM billing_invoice "
            "WHERE kind = 'delivery_note')"
        )


class Migration(migrations.Migration):
    dependencies = [("billing", "0003_ledger_guards")]

    operations = [migrations.RunPython(rebuild, migrations.RunPython.noop)]

"""Documents keep their client's tax exemption flag; the fiscal layer reads it instead of
the condition's name.

Documents issued before keep what was read from their condition's name until now (the same
answer their fiscal records were built with). The PostgreSQL guard refuses any change of an
issued document, so it is switched off for this one backfill of a new column.
"""

from django.db import migrations, models


def backfill(apps, schema_editor):
    from ispgest.billing.calc import is_exempt

    Invoice = apps.get_model("billing", "Invoice")
    names = [
        n
        for n in Invoice.objects.values_list("client_tax_condition", flat=True).distinct()
        if n and is_exempt(n)
    ]
    if not names:
        return
    table = Invoice._meta.db_table
    pg = schema_editor.connection.vendor == "postgresql"
    with schema_editor.connection.cursor() as cur:
        if pg:
            cur.execute(f"ALTER TABLE {table} DISABLE TRIGGER billing_invoice_guard")
        marks = ", ".join(["%s"] * len(names))
        cur.execute(
            f"UPDATE {table} SET client_tax_exempt = TRUE WHERE client_tax_condition IN ({marks})",
            names,
        )
        if pg:
            cur.execute(f"ALTER TABLE {table} ENABLE TRIGGER billing_invoice_guard")


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0009_sepa_return_files"),
    ]

    operations = [
        migrations.AddField(
            model_name="invoice",
            name="client_tax_exempt",
            field=models.BooleanField(
                db_default=False, default=False, verbose_name="Exento de impuestos"
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]

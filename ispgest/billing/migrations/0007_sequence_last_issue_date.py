from django.db import migrations, models
from django.db.models import Max, OuterRef, Subquery


def backfill(apps, schema_editor):
    """Each sequence's last issue date is the latest date of the documents it numbered."""
    NumberSequence = apps.get_model("billing", "NumberSequence")
    Invoice = apps.get_model("billing", "Invoice")
    latest = (
        Invoice.objects.filter(sequence_id=OuterRef("pk"))
        .order_by()
        .values("sequence_id")
        .annotate(last=Max("issue_date"))
        .values("last")
    )
    NumberSequence.objects.update(last_issue_date=Subquery(latest[:1]))


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0006_dashboard_money_and_reminders"),
    ]

    operations = [
        migrations.AddField(
            model_name="numbersequence",
            name="last_issue_date",
            field=models.DateField(blank=True, null=True, verbose_name="Última fecha de emisión"),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]

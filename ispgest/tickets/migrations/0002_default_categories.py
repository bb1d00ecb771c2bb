from django.db import migrations

CATEGORIES = [
    "Sin conexión",
    "Lentitud o cortes",
    "Facturación y pagos",
    "Instalación",
    "Cambio de plan",
    "Equipos",
    "Otros",
]


def add_categories(apps, schema_editor):
    TicketCategory = apps.get_model("tickets", "TicketCategory")
    for name in CATEGORIES:
        TicketCategory.objects.get_or_create(name=name)


class Migration(migrations.Migration):
    dependencies = [("tickets", "0001_initial")]

    operations = [migrations.RunPython(add_categories, migrations.RunPython.noop)]

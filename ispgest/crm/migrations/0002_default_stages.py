"""The default stage catalog and its transition map (crm/defaults.py)."""

from django.db import migrations


def create(apps, schema_editor):
    from ispgest.crm.defaults import install_default_stages

    install_default_stages(apps.get_model("crm", "OpportunityStage"))


class Migration(migrations.Migration):
    dependencies = [("crm", "0001_initial")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]

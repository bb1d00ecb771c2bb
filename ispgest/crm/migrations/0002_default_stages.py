"""The default stage catalog and its transition map (seed 004: nueva, calificada, propuesta,
negociación, ganada, perdida). Administrators may rename, reorder and extend it later."""

from django.db import migrations

STAGES = [
    # code, name, order, kind, probability, initial
    ("nueva", "Nueva", 10, "open", 10, True),
    ("calificada", "Calificada", 20, "open", 25, False),
    ("propuesta", "Propuesta", 30, "open", 50, False),
    ("negociacion", "Negociación", 40, "open", 75, False),
    ("ganada", "Ganada", 50, "won", 100, False),
    ("perdida", "Perdida", 60, "lost", 0, False),
]
TRANSITIONS = {
    "nueva": ["calificada", "perdida"],
    "calificada": ["nueva", "propuesta", "perdida"],
    "propuesta": ["calificada", "negociacion", "ganada", "perdida"],
    "negociacion": ["propuesta", "ganada", "perdida"],
    "ganada": [],
    "perdida": ["nueva"],
}


def create(apps, schema_editor):
    Stage = apps.get_model("crm", "OpportunityStage")
    rows = {}
    for code, name, order, kind, probability, initial in STAGES:
        rows[code], _ = Stage.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "order": order,
                "kind": kind,
                "default_probability": probability,
                "is_initial": initial,
            },
        )
    for code, targets in TRANSITIONS.items():
        rows[code].allowed_next.set([rows[t] for t in targets])


class Migration(migrations.Migration):
    dependencies = [("crm", "0001_initial")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]

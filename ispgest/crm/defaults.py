"""The default stage catalog and its transition map (seed 004: nueva, calificada, propuesta,
negociación, ganada, perdida). Installed by migration 0002 and again by
`install_default_stages()` whenever the catalog is empty (a flushed database), so the
pipeline always has its columns. Administrators may rename, reorder and extend it."""

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


def install_default_stages(stage_model=None) -> None:
    """Create the default stages and transitions that are missing (idempotent)."""
    if stage_model is None:
        from ispgest.crm.models import OpportunityStage as stage_model
    rows = {}
    for code, name, order, kind, probability, initial in STAGES:
        rows[code], created = stage_model.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "order": order,
                "kind": kind,
                "default_probability": probability,
                "is_initial": initial and not stage_model.objects.filter(is_initial=True).exists(),
            },
        )
        if created:
            rows[code]._new = True
    for code, targets in TRANSITIONS.items():
        if getattr(rows[code], "_new", False):
            rows[code].allowed_next.add(*[rows[t] for t in targets])

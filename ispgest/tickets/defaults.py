"""The category catalog a new installation starts with (migration 0002 installs the same
list; `install_default_categories` restores it where the table is empty, e.g. demo data)."""

from ispgest.tickets.models import TicketCategory

CATEGORIES = [
    "Sin conexión",
    "Lentitud o cortes",
    "Facturación y pagos",
    "Instalación",
    "Cambio de plan",
    "Equipos",
    "Otros",
]


def install_default_categories() -> None:
    for name in CATEGORIES:
        TicketCategory.objects.get_or_create(name=name)

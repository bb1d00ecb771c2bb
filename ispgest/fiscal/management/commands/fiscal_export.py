"""manage.py fiscal_export --entity ID --from 2026-01-01 --to 2026-12-31 [--output FILE]"""

from __future__ import annotations

import sys
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from ispgest.catalog.models import BillingEntity, FiscalRegime
from ispgest.fiscal.verifactu import export


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"Fecha no válida: «{value}» (use AAAA-MM-DD).") from None


class Command(BaseCommand):
    help = "Exporta en un XML los registros de facturación de un periodo, en orden de emisión."

    def add_arguments(self, parser):
        parser.add_argument("--entity", type=int, required=True, help="id de la razón social")
        parser.add_argument("--from", dest="date_from", required=True, help="AAAA-MM-DD")
        parser.add_argument("--to", dest="date_to", required=True, help="AAAA-MM-DD")
        parser.add_argument("--output", help="archivo de salida (por defecto, la salida estándar)")

    def handle(self, *args, entity, date_from, date_to, output=None, **options):
        row = BillingEntity.objects.filter(pk=entity).first()
        if row is None:
            raise CommandError(f"No existe la razón social {entity}.")
        if row.fiscal_regime != FiscalRegime.VERIFACTU:
            raise CommandError(f"La razón social «{row}» no está en VERI*FACTU.")
        start, end = _date(date_from), _date(date_to)
        if start > end:
            raise CommandError("La fecha final es anterior a la inicial.")
        if output:
            with open(output, "wb") as out:
                count = export.write(out, row, start, end)
        else:
            count = export.write(sys.stdout.buffer, row, start, end)
            sys.stdout.flush()
        self.stderr.write(f"{count} registros exportados.")

"""`manage.py billing_run --date YYYY-MM-DD`: the periodic billing, in the foreground."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from ispgest.billing.engine import CHUNK_SIZE, billing_run_execute
from ispgest.billing.services import billing_run_start


class Command(BaseCommand):
    help = "Emite una factura por contrato a los clientes cuyo ciclo cae en la fecha dada."

    def add_arguments(self, parser):
        parser.add_argument("--date", required=True, help="Fecha de facturación (AAAA-MM-DD)")
        parser.add_argument("--chunk-size", type=int, default=CHUNK_SIZE)
        parser.add_argument(
            "--no-email", action="store_true", help="No enviar las facturas por e-mail"
        )

    def handle(self, *args, date: str, chunk_size: int, no_email: bool, **options):
        try:
            run_date = _parse(date)
        except ValueError:
            raise CommandError(f"Fecha no válida: «{date}» (use AAAA-MM-DD).")
        run = billing_run_start(actor=None, run_date=run_date, enqueue=False)
        run = billing_run_execute(run, chunk_size=chunk_size, notify=not no_email)
        self.stdout.write(
            self.style.SUCCESS(
                f"Facturación del {run_date:%d/%m/%Y}: {run.invoices_issued} facturas emitidas, "
                f"{run.already_invoiced} ya facturadas, {len(run.errors)} errores, "
                f"{run.seconds:.1f} s."
            )
        )
        for err in run.errors[:20]:
            self.stdout.write(f"  - {err['message']}")


def _parse(text: str):
    return date.fromisoformat(text)

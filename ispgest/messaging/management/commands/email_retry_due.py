from django.core.management.base import BaseCommand
from django.db import transaction

from ispgest.messaging.tasks import enqueue_due_retries


class Command(BaseCommand):
    help = (
        "Vuelve a encolar los correos cuyo reintento ya venció (para backends de tareas "
        "que no pueden diferir, o tras una caída del worker). Ejecutar cada minuto por cron."
    )

    def handle(self, **options):
        with transaction.atomic():
            count = enqueue_due_retries()
        self.stdout.write(f"Reintentos encolados: {count}")

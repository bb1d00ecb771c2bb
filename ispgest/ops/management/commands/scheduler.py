import logging

from django.core.management.base import BaseCommand

from ispgest.ops.scheduler import DEFAULT_TICK, LEASE_SECONDS, Scheduler


class Command(BaseCommand):
    help = (
        "Programador de tareas: encola las tareas programadas cuando les toca (los "
        "trabajadores las ejecutan). Varios pueden arrancarse: solo uno dispara a la vez."
    )
    requires_system_checks = ["__all__"]

    def add_arguments(self, parser):
        parser.add_argument(
            "--tick", type=int, default=DEFAULT_TICK, help="Segundos entre dos pasadas."
        )
        parser.add_argument(
            "--lease", type=int, default=LEASE_SECONDS, help="Segundos que dura el turno."
        )
        parser.add_argument(
            "--once", action="store_true", help="Una sola pasada (para cron o pruebas)."
        )

    def handle(self, *args, tick, lease, once, **options):
        if not logging.getLogger("ispgest.scheduler").handlers:
            handler = logging.StreamHandler(self.stdout)
            handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
            log = logging.getLogger("ispgest.scheduler")
            log.addHandler(handler)
            log.setLevel(logging.INFO)
            log.propagate = False
        scheduler = Scheduler(tick_seconds=max(1, tick), lease_seconds=lease)
        if once:
            runs = scheduler.run_once()
            leading = scheduler.leading
            if leading:
                scheduler.release()  # the next `--once` (cron) may take it at once
            state = "con el turno" if leading else "sin el turno (otro programador)"
            self.stdout.write(f"Pasada {state}: {len(runs)} tareas encoladas.")
            return
        scheduler.run_forever()

from datetime import timedelta

from ispgest.core.schedule import ScheduledJob

JOBS = [
    ScheduledJob(
        name="clients.dashboard_refresh",
        title="Cifras de clientes del panel",
        task="ispgest.clients.stats.refresh_client_tallies_task",
        every=timedelta(minutes=5),
        description="Recalcula los clientes activos, altas y bajas del mes y suspendidos "
        "por vendedor y zona que muestra «Inicio».",
        timeout=timedelta(minutes=30),
    ),
]

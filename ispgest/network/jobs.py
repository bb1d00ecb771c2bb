from datetime import timedelta

from ispgest.core.schedule import ScheduledJob

JOBS = [
    ScheduledJob(
        name="network.sync_due",
        title="Sincronización pendiente con los routers",
        task="ispgest.network.tasks.sync_due_task",
        every=timedelta(minutes=1),
        description="Reintenta, con espera creciente, los cambios de secrets, pools y "
        "perfiles que un router no pudo recibir (apagado, sin red, tiempo agotado).",
        timeout=timedelta(minutes=30),
    ),
]

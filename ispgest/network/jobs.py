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
    ScheduledJob(
        name="network.drift_check",
        title="Diferencias entre los routers y la base de datos",
        task="ispgest.network.tasks.drift_check_task",
        every=timedelta(hours=1),
        description="Compara los secrets de cada router con los de ispgest (faltan, "
        "desconocidos, distintos) y lo muestra en «Inicio» y en la conciliación del router.",
        timeout=timedelta(hours=1),
    ),
    ScheduledJob(
        name="network.cutoff",
        title="Corte por impago",
        task="ispgest.network.tasks.cutoff_task",
        cron="0 * * * *",
        description="Suspende los contratos con facturas impagas pasados los días de gracia "
        "de su regla (salvo los clientes exentos) y restablece los que ya no deben.",
        timeout=timedelta(hours=1),
    ),
]

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
    ScheduledJob(
        name="network.usage_sample",
        title="Consumo de los clientes",
        task="ispgest.network.tasks.usage_sample_task",
        every=timedelta(minutes=5),
        description="Lee los contadores de bytes de las sesiones PPPoE de cada router (una "
        "lectura por router) y suma la descarga y la subida de cada contrato por hora.",
        timeout=timedelta(minutes=30),
    ),
    ScheduledJob(
        name="network.usage_rollup",
        title="Compactación del consumo",
        task="ispgest.network.tasks.usage_rollup_task",
        cron="30 3 * * *",
        description="Agrupa por día el consumo por hora más antiguo que los días de "
        "retención (ISPGEST_USAGE_HOURLY_DAYS, 35 por omisión) y borra las horas agrupadas.",
        timeout=timedelta(hours=1),
    ),
]

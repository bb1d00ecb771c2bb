from datetime import timedelta

from ispgest.core.schedule import ScheduledJob

JOBS = [
    ScheduledJob(
        name="ops.backup",
        title="Copia de seguridad diaria",
        task="ispgest.ops.tasks.backup_task",
        cron="30 3 * * *",
        enabled=False,
        description="Copia la base de datos y los archivos a la carpeta de copias "
        "(ISPGEST_BACKUP_DIR) y conserva las más recientes (ISPGEST_BACKUP_KEEP). "
        "Desactivada hasta que un administrador la active.",
        timeout=timedelta(hours=6),
    ),
    ScheduledJob(
        name="ops.task_results_prune",
        title="Depuración de la cola de tareas",
        task="ispgest.ops.tasks.prune_task_results",
        cron="15 4 * * *",
        description="Borra de la cola de la base de datos las tareas terminadas hace más de "
        "14 días (las fallidas, hace más de 30), para que no crezca sin fin.",
    ),
]

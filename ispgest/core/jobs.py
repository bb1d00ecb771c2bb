from datetime import timedelta

from ispgest.core.schedule import ScheduledJob

JOBS = [
    ScheduledJob(
        name="core.expired_files_cleanup",
        title="Borrado de exportaciones caducadas",
        task="ispgest.core.tasks.expired_job_files_cleanup",
        every=timedelta(hours=1),
        description="Borra del disco los archivos de exportaciones cuyo enlace de descarga "
        "caducó; el registro del trabajo se conserva.",
    ),
]

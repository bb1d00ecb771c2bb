from datetime import timedelta

from ispgest.core.schedule import ScheduledJob

JOBS = [
    ScheduledJob(
        name="messaging.email_retry",
        title="Reintento de e-mails",
        task="ispgest.messaging.tasks.email_retry_due",
        every=timedelta(minutes=1),
        description="Vuelve a encolar los e-mails cuyo reintento venció (tras un fallo "
        "temporal del servidor de correo o una caída de los trabajadores).",
        timeout=timedelta(minutes=15),
    ),
]

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
    ScheduledJob(
        name="messaging.mailboxes_poll",
        title="Lectura de buzones de correo",
        task="ispgest.messaging.tasks.mailboxes_poll",
        every=timedelta(minutes=3),
        description="Lee los correos nuevos de cada buzón IMAP activo, los asigna al "
        "cliente del remitente o los deja en «Sin asignar».",
        timeout=timedelta(minutes=10),
    ),
]

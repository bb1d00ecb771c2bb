from datetime import timedelta

from ispgest.core.schedule import ScheduledJob

JOBS = [
    ScheduledJob(
        name="webhooks.retry_due",
        title="Reintentos de webhooks",
        task="ispgest.webhooks.tasks.retry_due_task",
        every=timedelta(minutes=1),
        description="Vuelve a encolar las entregas de webhooks cuyo reintento ha vencido.",
        timeout=timedelta(minutes=10),
    ),
]

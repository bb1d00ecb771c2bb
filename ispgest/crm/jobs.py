from ispgest.core.schedule import ScheduledJob

JOBS = [
    ScheduledJob(
        name="crm.activity_digest",
        title="Resumen diario de próximas actuaciones",
        task="ispgest.crm.tasks.send_activity_digests",
        cron="0 7 * * *",
        description=(
            "Cada mañana, un e-mail a cada usuario con sus próximas actuaciones vencidas y "
            "de hoy. Un usuario recibe como mucho uno por día, aunque la tarea se repita."
        ),
    ),
]

from datetime import timedelta

from ispgest.core.schedule import ScheduledJob

JOBS = [
    ScheduledJob(
        name="fiscal.verifactu_submit",
        title="Remisión de registros VERI*FACTU a la AEAT",
        task="ispgest.fiscal.tasks.submit_due",
        every=timedelta(minutes=1),
        description=(
            "Envía a la AEAT los registros de facturación pendientes de cada emisor, en lotes "
            "de hasta 1.000 y respetando el tiempo de espera que indica la AEAT."
        ),
    ),
]

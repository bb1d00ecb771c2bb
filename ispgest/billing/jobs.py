from datetime import timedelta

from ispgest.core.schedule import ScheduledJob

JOBS = [
    ScheduledJob(
        name="billing.automatic_runs",
        title="Facturación automática",
        task="ispgest.billing.autorun.run_automatic_billing",
        cron="0 6 * * *",
        description="El día de cada ciclo de facturación marcado como automático lanza la "
        "facturación periódica (la misma que la manual) y envía su resumen a los "
        "administradores.",
        timeout=timedelta(hours=1),
    ),
    ScheduledJob(
        name="billing.due_reminders",
        title="Recordatorios de vencimiento",
        task="ispgest.billing.reminders.send_due_reminders_task",
        cron="0 9 * * *",
        description="Envía por e-mail el recordatorio de las facturas que vencen pronto y el "
        "aviso de las vencidas impagas (Facturación → Recordatorios de vencimiento); nunca "
        "dos veces la misma factura y etapa.",
        timeout=timedelta(hours=4),
    ),
    ScheduledJob(
        name="billing.dashboard_refresh",
        title="Cifras de cobro del panel",
        task="ispgest.billing.stats.refresh_money_tallies_task",
        every=timedelta(minutes=5),
        description="Recalcula el ingreso mensual recurrente, lo impago, lo vencido y los "
        "monederos por vendedor que muestra «Inicio».",
        timeout=timedelta(minutes=30),
    ),
    ScheduledJob(
        name="billing.dashboard_rebuild",
        title="Reconstrucción de la facturación por mes",
        task="ispgest.billing.stats.rebuild_monthly_money_task",
        cron="30 4 * * *",
        description="Recalcula lo facturado y cobrado de los últimos 13 meses desde las "
        "facturas y los pagos (el panel lo mantiene al día en cada cambio; esto corrige "
        "lo cargado por otras vías).",
        timeout=timedelta(hours=2),
    ),
]

"""Due-date reminders: one e-mail N days before an invoice falls due and another M days
after it while it is still unpaid (ReminderSettings; defaults 3 and 5).

Each goes to the client's principal address only (clients.notifications.reminder_recipients:
nothing when the client switched reminders off or has no address), as the named templates
`invoice_due_soon` / `invoice_overdue`, with the amount left, the due date and the client's
payment references. It is logged in the e-mail log and the client's history.

Never twice for the same invoice and stage: each send inserts an `InvoiceReminder` row
(unique per invoice and stage) in the same transaction as the e-mail's log row, with the
invoice locked; a rerun, a second worker or a scheduler killed and restarted finds the row
and skips it. A missed day catches up: the "before" window is every invoice due between
today and N days from now, the "after" window every invoice M to M+30 days past due; older
debts are left to the collection staff.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django_tasks import task

from ispgest.billing.models import (
    Invoice,
    InvoiceReminder,
    InvoiceStatus,
    ReminderSettings,
)
from ispgest.catalog.models import PaymentMethodKind
from ispgest.clients.history import record_event
from ispgest.clients.models import Client
from ispgest.clients.notifications import reminder_recipients
from ispgest.core.audit import audit
from ispgest.core.country import get_profile
from ispgest.core.identity import isp_identity
from ispgest.messaging.emails import send_email

UNPAID = (InvoiceStatus.PENDING, InvoiceStatus.PARTIALLY_PAID)
CATCH_UP_DAYS = 30
BATCH = 500
TEMPLATES = {
    InvoiceReminder.Stage.BEFORE: "invoice_due_soon",
    InvoiceReminder.Stage.AFTER: "invoice_overdue",
}
SETTINGS_FIELDS = (
    "before_enabled",
    "days_before",
    "before_text",
    "after_enabled",
    "days_after",
    "after_text",
)


def reminder_settings() -> ReminderSettings:
    row, _ = ReminderSettings.objects.get_or_create(pk=1)
    return row


@transaction.atomic
def reminder_settings_update(*, actor, data: dict) -> ReminderSettings:
    """Save the reminder settings (validated like the form; all or nothing), audited."""
    from ispgest.clients.history import changes_between, snapshot

    row = ReminderSettings.objects.select_for_update().get(pk=reminder_settings().pk)
    before = snapshot(row, SETTINGS_FIELDS)
    for name in SETTINGS_FIELDS:
        if name in data:
            value = data[name]
            setattr(row, name, value.strip() if isinstance(value, str) else value)
    row.full_clean(exclude=["updated_by"])
    row.updated_by = actor if getattr(actor, "pk", None) else None
    row.save()
    changes = changes_between(before, snapshot(row, SETTINGS_FIELDS))
    audit(
        actor=actor,
        action="reminders.settings_changed",
        obj=row,
        summary="Configuración de recordatorios de vencimiento",
        changes=changes,
    )
    return row


def payment_references(invoice: Invoice) -> list[str]:
    """How this client pays: its number, the invoice, its gateway codes, its direct debit,
    and the billing entity's account for transfers."""
    client = invoice.client
    refs = [
        f"Número de cliente: {client.custom_id or client.pk}",
        f"Factura: {invoice.number_display}",
    ]
    for account in client.gateway_accounts.select_related("gateway").order_by("gateway__name"):
        refs.append(f"{account.gateway.name}: código de pago {account.reference}")
    method = client.payment_method
    if method is not None and method.kind == PaymentMethodKind.DIRECT_DEBIT:
        mandate = client.mandates.filter(active=True).order_by("-signed_on").first()
        if mandate is not None:
            refs.append(
                f"Domiciliación bancaria: se cobrará en la cuenta terminada en {mandate.iban[-4:]}"
            )
    entity = invoice.billing_entity
    if entity.iban:
        refs.append(
            f"Transferencia: IBAN {entity.iban} a nombre de {entity.name}, indicando "
            f"{invoice.number_display} como concepto"
        )
    return refs


def due_invoice_ids(stage: str, *, today: date, cfg: ReminderSettings) -> list[int]:
    """Invoices that should get `stage` today and have not, for clients who get reminders."""
    qs = Invoice.objects.filter(
        kind=Invoice.Kind.INVOICE,
        status__in=UNPAID,
        client__status=Client.Status.ACTIVE,
        client__send_reminder_emails=True,
        client__email__isnull=False,
    ).exclude(client__email="")
    if stage == InvoiceReminder.Stage.BEFORE:
        qs = qs.filter(due_date__gte=today, due_date__lte=today + timedelta(days=cfg.days_before))
    else:
        last = today - timedelta(days=cfg.days_after)
        qs = qs.filter(due_date__lte=last, due_date__gt=last - timedelta(days=CATCH_UP_DAYS))
    sent = InvoiceReminder.objects.filter(invoice=OuterRef("pk"), stage=stage)
    return list(qs.filter(~Exists(sent)).order_by("id").values_list("id", flat=True))


def send_reminder(*, invoice_id: int, stage: str, today: date, cfg: ReminderSettings):
    """Send one reminder (its own transaction); the InvoiceReminder, or None when the
    invoice was paid meanwhile, nobody receives it, or it was already sent."""
    with transaction.atomic():
        invoice = (
            Invoice.objects.select_for_update(of=("self",))
            .select_related("client", "client__payment_method", "billing_entity")
            .get(pk=invoice_id)
        )
        if invoice.status not in UNPAID or invoice.remaining <= 0:
            return None
        to = reminder_recipients(invoice.client)
        if not to:
            return None
        try:
            with transaction.atomic():
                reminder = InvoiceReminder.objects.create(invoice=invoice, stage=stage)
        except IntegrityError:
            return None  # another worker sent it
        money = get_profile().format_money
        before = stage == InvoiceReminder.Stage.BEFORE
        days = (invoice.due_date - today).days if before else (today - invoice.due_date).days
        message = send_email(
            template=TEMPLATES[stage],
            to=to,
            context={
                "client": invoice.client,
                "invoice": invoice,
                "remaining": invoice.remaining,
                "days": days,
                "text": cfg.before_text if before else cfg.after_text,
                "references": payment_references(invoice),
                "isp": isp_identity(),
            },
            client=invoice.client,
            related=invoice,
        )
        reminder.email = message
        reminder.save(update_fields=["email"])
        what = "Recordatorio de vencimiento" if before else "Aviso de factura vencida"
        summary = (
            f"{what} de {invoice.number_display} ({money(invoice.remaining)}, vence el "
            f"{invoice.due_date:%d/%m/%Y}) enviado a {', '.join(to)}"
        )
        record_event(
            client=invoice.client,
            actor=None,
            action=f"invoice.reminder_{stage}",
            summary=summary,
            obj=invoice,
            audit_entry=False,
        )
        audit(
            actor=None,
            action=f"invoice.reminder_{stage}",
            obj=invoice,
            client_id=invoice.client_id,
            summary=summary,
        )
        return reminder


def send_due_reminders(*, today: date | None = None) -> dict[str, int]:
    """Every reminder due today; {"before": n, "after": n} sent."""
    today = today or timezone.localdate()
    cfg = reminder_settings()
    sent = {}
    for stage, enabled in (
        (InvoiceReminder.Stage.BEFORE, cfg.before_enabled),
        (InvoiceReminder.Stage.AFTER, cfg.after_enabled),
    ):
        count = 0
        if enabled:
            ids = due_invoice_ids(stage, today=today, cfg=cfg)
            for start in range(0, len(ids), BATCH):
                for invoice_id in ids[start : start + BATCH]:
                    if send_reminder(invoice_id=invoice_id, stage=stage, today=today, cfg=cfg):
                        count += 1
        sent[str(stage)] = count
    return sent


@task()
def send_due_reminders_task() -> dict[str, int]:
    """Scheduled job `billing.due_reminders`."""
    return send_due_reminders()

from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from ispgest.messaging.models import EmailMessage

# Seconds to wait before retry N (1-based); the last value repeats.
BACKOFF = [30, 120, 600, 1800, 3600]


@task()
def deliver_email(message_id: int) -> str:
    """Send one logged message over SMTP; on failure record the error and retry with backoff."""
    with transaction.atomic():
        message = EmailMessage.objects.select_for_update().get(pk=message_id)
        if message.status in (EmailMessage.Status.SENT, EmailMessage.Status.FAILED):
            return message.status  # idempotent: a duplicate delivery does nothing
        message.attempts += 1
        message.save(update_fields=["attempts"])
    mail = EmailMultiAlternatives(
        subject=message.subject,
        body=message.body_text,
        from_email=message.from_email,
        to=message.to,
        cc=message.cc,
    )
    if message.body_html:
        mail.attach_alternative(message.body_html, "text/html")
    for att in message.attachments.all():
        with att.file.open("rb") as fh:
            mail.attach(att.filename, fh.read(), att.mimetype)
    try:
        mail.send(fail_silently=False)
    except Exception as exc:  # any SMTP/network failure is logged and retried
        error = f"{type(exc).__name__}: {exc}"
        if message.attempts >= settings.ISPGEST_EMAIL_MAX_ATTEMPTS:
            EmailMessage.objects.filter(pk=message.pk).update(
                status=EmailMessage.Status.FAILED, error=error, next_attempt_at=None
            )
            return EmailMessage.Status.FAILED
        delay = BACKOFF[min(message.attempts, len(BACKOFF)) - 1]
        when = timezone.now() + timedelta(seconds=delay)
        EmailMessage.objects.filter(pk=message.pk).update(
            status=EmailMessage.Status.RETRYING, error=error, next_attempt_at=when
        )
        if deliver_email.get_backend().supports_defer:
            transaction.on_commit(lambda: deliver_email.using(run_after=when).enqueue(message.pk))
        return EmailMessage.Status.RETRYING
    EmailMessage.objects.filter(pk=message.pk).update(
        status=EmailMessage.Status.SENT, error="", sent_at=timezone.now(), next_attempt_at=None
    )
    return EmailMessage.Status.SENT

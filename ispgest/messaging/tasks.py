"""Delivery of logged e-mails, with retries and backoff.

Each delivery task carries the number of attempts it expects the message to have; a task
that finds another number is a stale duplicate (a deferred retry that `email_retry_due`
already re-enqueued, or the other way round) and does nothing, so a message is never sent
twice by two tasks.
"""

import smtplib
from datetime import timedelta
from email.mime.image import MIMEImage

import filetype
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from ispgest.core.identity import isp_identity
from ispgest.messaging.emails import CONFIDENTIAL_TEMPLATES, LOGO_CID, REDACTED_BODY
from ispgest.messaging.models import EmailMessage

# Seconds to wait before retry N (1-based); the last value repeats.
BACKOFF = [30, 120, 600, 1800, 3600]


def _is_permanent(exc: Exception) -> bool:
    """A 5xx answer means the server will refuse again: retrying only delays the error."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _msg in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code >= 500
    return False


def _headers(message: EmailMessage) -> dict:
    headers = {}
    if message.message_id:
        headers["Message-ID"] = message.message_id
    if message.in_reply_to:
        headers["In-Reply-To"] = message.in_reply_to
    if message.references:
        headers["References"] = message.references
    return headers


def _logo_part() -> MIMEImage | None:
    """The ISP's logo as an inline image the layout shows by its Content-ID."""
    identity = isp_identity()
    if not identity.logo:
        return None
    try:
        with identity.logo.open("rb") as fh:
            data = fh.read()
    except OSError:
        return None
    subtype = filetype.guess_extension(data) or "png"
    if subtype not in ("png", "jpg", "gif", "webp"):
        return None
    part = MIMEImage(data, _subtype="jpeg" if subtype == "jpg" else subtype)
    part.add_header("Content-ID", f"<{LOGO_CID}>")
    part.add_header("Content-Disposition", "inline", filename=f"logo.{subtype}")
    return part


def _build(message: EmailMessage) -> EmailMultiAlternatives:
    mail = EmailMultiAlternatives(
        subject=message.subject,
        body=message.body_text,
        from_email=message.from_email,
        to=message.to,
        cc=message.cc,
        headers=_headers(message),
    )
    if message.body_html:
        mail.attach_alternative(message.body_html, "text/html")
        if f"cid:{LOGO_CID}" in message.body_html:
            logo = _logo_part()
            if logo is not None:
                mail.attach(logo)
    for att in message.attachments.all():
        with att.file.open("rb") as fh:
            mail.attach(att.filename, fh.read(), att.mimetype)
    return mail


@task()
def deliver_email(message_id: int, expected_attempts: int | None = None) -> str:
    """Send one logged message over SMTP; on failure record the error and retry with backoff."""
    with transaction.atomic():
        message = EmailMessage.objects.select_for_update().get(pk=message_id)
        if message.status in (EmailMessage.Status.SENT, EmailMessage.Status.FAILED):
            return message.status  # idempotent: a duplicate delivery does nothing
        if expected_attempts is not None and message.attempts != expected_attempts:
            return "stale"
        message.attempts += 1
        message.save(update_fields=["attempts"])
    try:
        _build(message).send(fail_silently=False)
    except Exception as exc:  # any SMTP/network failure is logged and retried
        return _record_failure(message, exc)
    EmailMessage.objects.filter(pk=message.pk).update(
        status=EmailMessage.Status.SENT,
        error="",
        sent_at=timezone.now(),
        next_attempt_at=None,
        **_redaction(message),
    )
    return EmailMessage.Status.SENT


def _redaction(message: EmailMessage) -> dict:
    """The body fields to overwrite once a credential-carrying message is done with."""
    if message.template not in CONFIDENTIAL_TEMPLATES:
        return {}
    return {"body_text": REDACTED_BODY, "body_html": f"<p>{REDACTED_BODY}</p>"}


def _record_failure(message: EmailMessage, exc: Exception) -> str:
    error = f"{type(exc).__name__}: {exc}"[:2000]
    if _is_permanent(exc) or message.attempts >= settings.ISPGEST_EMAIL_MAX_ATTEMPTS:
        EmailMessage.objects.filter(pk=message.pk).update(
            status=EmailMessage.Status.FAILED,
            error=error,
            next_attempt_at=None,
            **_redaction(message),
        )
        return EmailMessage.Status.FAILED
    delay = BACKOFF[min(message.attempts, len(BACKOFF)) - 1]
    when = timezone.now() + timedelta(seconds=delay)
    EmailMessage.objects.filter(pk=message.pk).update(
        status=EmailMessage.Status.RETRYING, error=error, next_attempt_at=when
    )
    if deliver_email.get_backend().supports_defer:
        attempts = message.attempts
        transaction.on_commit(
            lambda: deliver_email.using(run_after=when).enqueue(message.pk, attempts)
        )
    return EmailMessage.Status.RETRYING


def enqueue_due_retries(now=None) -> int:
    """Re-enqueue every message whose retry is due; needed when the backend cannot defer
    and after a worker outage. Returns how many were enqueued."""
    now = now or timezone.now()
    due = list(
        EmailMessage.objects.filter(
            status=EmailMessage.Status.RETRYING, next_attempt_at__lte=now
        ).values_list("pk", "attempts")
    )
    for pk, attempts in due:
        transaction.on_commit(lambda pk=pk, attempts=attempts: deliver_email.enqueue(pk, attempts))
    return len(due)


@task()
def email_retry_due() -> int:
    """Periodic task twin of `manage.py email_retry_due`."""
    return enqueue_due_retries()


@task()
def mailboxes_poll() -> dict:
    """Periodic poll of every active IMAP mailbox (messaging/jobs.py). A mailbox whose server
    fails keeps its error on its page and is tried again on the next run."""
    from ispgest.messaging.inbound import poll_all

    results = poll_all()
    failed = [f"{r.mailbox}: {r.error}" for r in results if r.error]
    summary = {
        "mailboxes": len(results),
        "stored": sum(r.stored for r in results),
        "refused": sum(r.refused for r in results),
        "failed": len(failed),
    }
    if failed and len(failed) == len(results):
        raise RuntimeError("; ".join(failed))  # the scheduler shows the run as failed
    return summary


@task()
def mailbox_poll_now(mailbox_id: int) -> str:
    """ "Consultar ahora" from the mailbox's page."""
    from ispgest.messaging.inbound import mailbox_poll
    from ispgest.messaging.models import Mailbox

    mailbox = Mailbox.objects.filter(pk=mailbox_id).first()
    if mailbox is None:
        return "missing"
    result = mailbox_poll(mailbox)
    return result.error or f"stored={result.stored}"

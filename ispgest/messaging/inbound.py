"""Receiving the clients' mail from IMAP mailboxes.

A poll reads the messages after the last UID it stored (per UIDVALIDITY) without marking
them read (BODY.PEEK), and stores each in its own transaction together with the mailbox's
new last UID, so an interrupted poll resumes where it stopped. Each message is stored once
whatever happens: the received Message-ID is unique (a message without one gets a digest of
its bytes), so two pollers, a poll repeated after a UIDVALIDITY change or the same message
in two mailboxes never make a second row. One poller holds a mailbox at a time (a lease
claimed with a conditional UPDATE).

A stored message is matched to the client whose principal, notify or contact e-mail is the
sender (clients.selectors.clients_by_email); several or none leave it in "Sin asignar" (with
the candidates suggested) unless it answers one of our messages, whose client it joins. Its
HTML is sanitised with nh3 (no scripts, no remote images); its attachments follow the upload
rules (core/uploads.py) and are listed in the client's repository.
"""

from __future__ import annotations

import hashlib
import imaplib
import re
import socket
import ssl
import time
from dataclasses import dataclass, field
from datetime import timedelta
from email import message_from_bytes, policy
from email.utils import getaddresses, parseaddr

import nh3
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from ispgest.core import uploads
from ispgest.core.audit import audit
from ispgest.core.exceptions import DomainError
from ispgest.messaging.models import EmailAttachment, EmailMessage, Mailbox
from ispgest.messaging.signals import email_received

LEASE = timedelta(minutes=10)
CONNECT_ATTEMPTS = 3
_MSGID = re.compile(r"<[^<>\s]+>")


@dataclass
class PollResult:
    mailbox: Mailbox
    stored: int = 0
    duplicates: int = 0
    refused: int = 0
    error: str = ""
    skipped: bool = False
    messages: list[EmailMessage] = field(default_factory=list)


class MailboxError(Exception):
    pass


# --- sanitising ------------------------------------------------------------------------------


def _keep_attribute(tag: str, attribute: str, value: str) -> str | None:
    # Remote images (tracking pixels) are never loaded: only embedded ones (cid:) stay.
    if tag == "img" and attribute == "src" and not value.lower().startswith("cid:"):
        return None
    return value


def sanitize_html(html: str) -> str:
    """A received HTML body safe to show inside our pages."""
    return nh3.clean(
        html,
        attribute_filter=_keep_attribute,
        url_schemes={"http", "https", "mailto", "cid"},
        strip_comments=True,
    )


# --- parsing ---------------------------------------------------------------------------------


def _message_ids(value: str | None) -> list[str]:
    return _MSGID.findall(str(value or ""))


def _header(msg, name: str) -> str:
    try:
        value = msg.get(name)
    except (ValueError, IndexError, TypeError):  # an unparsable header
        value = None
    return " ".join(str(value or "").split())


def _message_id(msg, raw: bytes) -> str:
    ids = _message_ids(_header(msg, "Message-ID"))
    if ids:
        return ids[0][:255]
    return f"<{hashlib.sha256(raw).hexdigest()}@sin-message-id.invalid>"


def _bodies(msg) -> tuple[str, str]:
    text = html = ""
    try:
        part = msg.get_body(preferencelist=("plain",))
        if part is not None:
            text = part.get_content()
        part = msg.get_body(preferencelist=("html",))
        if part is not None:
            html = part.get_content()
    except (LookupError, UnicodeError, KeyError, AttributeError):
        payload = msg.get_payload(decode=True) or b""
        text = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    if not text and html:
        text = nh3.clean(html, tags=set())
    return text, html


def _addresses(msg, name: str) -> list[str]:
    return [addr for _n, addr in getaddresses([_header(msg, name)]) if addr][:50]


# --- storing ---------------------------------------------------------------------------------


def _match(sender: str, reply_to: EmailMessage | None) -> tuple[int | None, list[int]]:
    from ispgest.clients.selectors import clients_by_email

    matches = clients_by_email(sender)
    if len(matches) == 1:
        return matches[0], []
    if (
        reply_to is not None
        and reply_to.client_id
        and (not matches or reply_to.client_id in matches)
    ):
        return reply_to.client_id, []
    return None, matches


def _answered(in_reply_to: list[str], references: list[str]) -> EmailMessage | None:
    """Our message (or a stored one) this message answers: In-Reply-To first, then the
    nearest of References."""
    candidates = [*in_reply_to, *reversed(references)]
    if not candidates:
        return None
    found = {m.message_id: m for m in EmailMessage.objects.filter(message_id__in=candidates)}
    for mid in candidates:
        if mid in found:
            return found[mid]
    return None


def store_refused(
    *, mailbox: Mailbox | None, header_bytes: bytes, size: int, message_id: str = ""
) -> tuple[EmailMessage, bool]:
    """Record a message too big to take: its headers, its size and why; it stays on the
    server. Returns (row, created)."""
    msg = message_from_bytes(header_bytes, policy=policy.default)
    mid = message_id or _message_id(msg, header_bytes + str(size).encode())
    existing = EmailMessage.objects.filter(direction="in", message_id=mid).first()
    if existing is not None:
        return existing, False
    sender = parseaddr(_header(msg, "From"))[1]
    limit = settings.ISPGEST_MAIL_MAX_INBOUND_BYTES
    try:
        with transaction.atomic():
            row = EmailMessage.objects.create(
                direction=EmailMessage.Direction.INBOUND,
                status=EmailMessage.Status.REFUSED,
                mailbox=mailbox,
                from_email=_header(msg, "From")[:254] or sender,
                to=_addresses(msg, "To"),
                subject=_header(msg, "Subject")[:255],
                body_text="",
                message_id=mid,
                size=size,
                error=(
                    f"Mensaje rechazado: ocupa {uploads.human_size(size)} y el máximo es "
                    f"{uploads.human_size(limit)}. Sigue en el buzón del servidor."
                ),
            )
            audit(actor=None, action="email.refused", obj=row, summary=row.error)
    except IntegrityError:
        return EmailMessage.objects.get(direction="in", message_id=mid), False
    return row, True


def store_raw(*, raw: bytes, mailbox: Mailbox | None = None) -> tuple[EmailMessage, bool]:
    """Store one received message (bytes as fetched); (row, created). A message already
    stored is returned as it is."""
    limit = settings.ISPGEST_MAIL_MAX_INBOUND_BYTES
    if len(raw) > limit:
        head = raw.split(b"\r\n\r\n", 1)[0][:65536]
        return store_refused(mailbox=mailbox, header_bytes=head, size=len(raw))
    msg = message_from_bytes(raw, policy=policy.default)
    mid = _message_id(msg, raw)
    existing = EmailMessage.objects.filter(direction="in", message_id=mid).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            return _create(msg=msg, raw=raw, mid=mid, mailbox=mailbox), True
    except IntegrityError:
        # Another poller stored it between our check and our insert.
        return EmailMessage.objects.get(direction="in", message_id=mid), False


def _create(*, msg, raw: bytes, mid: str, mailbox: Mailbox | None) -> EmailMessage:
    from_header = _header(msg, "From")
    sender = parseaddr(from_header)[1]
    in_reply_to = _message_ids(_header(msg, "In-Reply-To"))
    references = _message_ids(_header(msg, "References"))
    reply_to = _answered(in_reply_to, references)
    client_id, suggestions = _match(sender, reply_to)
    text, html = _bodies(msg)
    row = EmailMessage.objects.create(
        client_id=client_id,
        direction=EmailMessage.Direction.INBOUND,
        status=EmailMessage.Status.RECEIVED,
        mailbox=mailbox,
        from_email=(from_header or sender)[:254],
        to=_addresses(msg, "To"),
        cc=_addresses(msg, "Cc"),
        subject=_header(msg, "Subject")[:255],
        body_text=text,
        body_html=sanitize_html(html) if html else "",
        message_id=mid,
        in_reply_to=in_reply_to[0][:255] if in_reply_to else "",
        references=" ".join(references[-20:]),
        thread=(reply_to.thread or reply_to) if reply_to is not None else None,
        related_type=reply_to.related_type if reply_to is not None else "",
        related_id=reply_to.related_id if reply_to is not None else "",
        suggested_clients=suggestions,
        size=len(raw),
        sent_at=timezone.now(),
    )
    refusals = _store_attachments(row, msg)
    if refusals:
        row.error = " ".join(refusals)[:2000]
        row.save(update_fields=["error"])
    if row.client_id:
        _received_on_client(row)
    email_received.send(sender=EmailMessage, message=row, reply_to=reply_to)
    return row


def _store_attachments(row: EmailMessage, msg) -> list[str]:
    refusals = []
    for n, part in enumerate(msg.iter_attachments()):
        filename = uploads.safe_original_name(part.get_filename() or "", f"adjunto-{n + 1}")
        try:
            data = part.get_content()
        except (LookupError, UnicodeError, KeyError, AttributeError):
            data = part.get_payload(decode=True) or b""
        if isinstance(data, str):
            data = data.encode("utf-8")
        elif not isinstance(data, bytes):
            data = part.get_payload(decode=True) or b""
        try:
            checked = uploads.check_bytes(data, name=filename, fallback_name="adjunto")
        except ValidationError as exc:
            refusals.append(f"Adjunto «{filename}» no guardado: {' '.join(exc.messages)}")
            continue
        stored = uploads.store(checked, prefix="mail/in")
        try:
            att = EmailAttachment(
                message=row,
                filename=uploads.download_name(checked.original_name, stored),
                mimetype=checked.content_type,
                size=checked.size,
            )
            att.file.name = stored
            att.save()
        except Exception:
            uploads.discard(stored)
            raise
    return refusals


def _received_on_client(row: EmailMessage) -> None:
    """History, and the attachments listed in the client's repository."""
    from ispgest.clients.history import record_event
    from ispgest.messaging.models import RepositoryFile
    from ispgest.messaging.repository import MAIL_TAG, repository_file_link

    client = row.client
    for att in row.attachments.filter(repository_file__isnull=True):
        with att.file.open("rb") as fh:
            digest = hashlib.sha256(fh.read()).hexdigest()
        listed = repository_file_link(
            actor=None,
            client=client,
            stored_name=att.file.name,
            name=att.filename,
            original_name=att.filename,
            content_type=att.mimetype,
            size=att.size,
            sha256=digest,
            source=RepositoryFile.Source.MAIL,
            source_id=f"in:{att.pk}",
            tag=MAIL_TAG,
        )
        att.repository_file = listed
        att.save(update_fields=["repository_file"])
    record_event(
        client=client,
        actor=None,
        action="email.received",
        summary=f"Correo recibido de {row.from_email}: {row.subject}",
        obj=row,
    )


@transaction.atomic
def email_assign(*, actor, message: EmailMessage, client, add_contact: bool = False):
    """Give an unassigned received message to a client ("Sin asignar"); optionally add the
    sender's address to the client's contacts in the same step."""
    from ispgest.clients.services import contact_create

    locked = EmailMessage.objects.select_for_update().get(pk=message.pk)
    if locked.direction != EmailMessage.Direction.INBOUND:
        raise DomainError("Solo se asignan correos recibidos.")
    if locked.client_id is not None:
        raise DomainError("El correo ya está asignado a un cliente.")
    if client is None:
        raise DomainError("Cliente: elija a qué cliente pertenece el correo.", field="client")
    name, address = parseaddr(locked.from_email)
    if add_contact:
        if not address:
            raise DomainError("El remitente no tiene una dirección válida.", field="add_contact")
        exists = client.contacts.filter(email__iexact=address).exists() or (
            (client.email or "").lower() == address.lower()
        )
        if not exists:
            contact_create(
                actor=actor,
                client=client,
                data={"name": (name or address)[:140], "email": address},
            )
    locked.client = client
    locked.suggested_clients = []
    locked.save(update_fields=["client", "suggested_clients"])
    # The rest of its conversation already stored and unassigned goes with it.
    root = locked.thread_id or locked.pk
    EmailMessage.objects.filter(
        Q(thread_id=root) | Q(pk=root), client__isnull=True, direction="in"
    ).update(client=client, suggested_clients=[])
    _received_on_client(locked)
    audit(
        actor=actor,
        action="email.assigned",
        obj=locked,
        summary=f"Correo «{locked.subject}» asignado a {client}",
        client_id=client.pk,
    )
    return locked


# --- polling ---------------------------------------------------------------------------------


def _connect(mailbox: Mailbox) -> imaplib.IMAP4:
    timeout = settings.ISPGEST_IMAP_TIMEOUT
    if mailbox.security == Mailbox.Security.SSL:
        conn = imaplib.IMAP4_SSL(
            mailbox.host, mailbox.port, ssl_context=ssl.create_default_context(), timeout=timeout
        )
    else:
        conn = imaplib.IMAP4(mailbox.host, mailbox.port, timeout=timeout)
        if mailbox.security == Mailbox.Security.STARTTLS:
            conn.starttls(ssl_context=ssl.create_default_context())
    conn.login(mailbox.username, mailbox.password)
    return conn


def _connect_with_retries(mailbox: Mailbox, attempts: int = CONNECT_ATTEMPTS):
    delay = 0.5
    for attempt in range(1, attempts + 1):
        try:
            return _connect(mailbox)
        except (OSError, imaplib.IMAP4.error) as exc:
            temporary = not isinstance(exc, imaplib.IMAP4.error) or "UNAVAILABLE" in str(exc)
            if attempt == attempts or not temporary:
                raise MailboxError(_describe(exc)) from exc
            time.sleep(delay)
            delay *= 2
    raise MailboxError("sin conexión")  # pragma: no cover


def _describe(exc: Exception) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "El servidor IMAP rechazó la conexión (¿está caído o el puerto es otro?)."
    if isinstance(exc, socket.timeout | TimeoutError):
        return "El servidor IMAP no respondió a tiempo."
    if isinstance(exc, ssl.SSLError):
        return f"Error de TLS con el servidor IMAP: {exc}"
    if isinstance(exc, imaplib.IMAP4.error):
        text = exc.args[0] if exc.args else exc
        if isinstance(text, bytes):
            text = text.decode("utf-8", "replace")
        return f"El servidor IMAP respondió con un error: {text}"
    return f"{type(exc).__name__}: {exc}"


def _check(typ: str, data, what: str):
    if typ != "OK":
        detail = b" ".join(d for d in data if isinstance(d, bytes)).decode("utf-8", "replace")
        raise MailboxError(f"El servidor IMAP no pudo {what}: {detail}")
    return data


def _claim(mailbox: Mailbox) -> bool:
    now = timezone.now()
    return bool(
        Mailbox.objects.filter(pk=mailbox.pk)
        .filter(Q(poll_lease_until__isnull=True) | Q(poll_lease_until__lt=now))
        .update(poll_lease_until=now + LEASE)
    )


def _fetch_size(conn, uid: int) -> int:
    data = _check(*conn.uid("FETCH", str(uid), "(RFC822.SIZE)"), f"leer el mensaje {uid}")
    for item in data:
        blob = item[0] if isinstance(item, tuple) else item
        if isinstance(blob, bytes):
            found = re.search(rb"RFC822\.SIZE (\d+)", blob)
            if found:
                return int(found.group(1))
    return 0


def _fetch(conn, uid: int, section: str) -> bytes:
    data = _check(*conn.uid("FETCH", str(uid), f"(BODY.PEEK[{section}])"), f"leer {uid}")
    for item in data:
        if isinstance(item, tuple) and len(item) >= 2 and isinstance(item[1], bytes):
            return item[1]
    return b""


def mailbox_poll(mailbox: Mailbox) -> PollResult:
    """Read the new messages of one mailbox; never raises for the server's faults: they
    are recorded on the mailbox (last_error, failures) and the next poll tries again."""
    result = PollResult(mailbox)
    if not _claim(mailbox):
        result.skipped = True
        return result
    conn = None
    try:
        conn = _connect_with_retries(mailbox)
        _poll_folder(conn, mailbox, result)
    except (MailboxError, OSError, imaplib.IMAP4.error) as exc:
        result.error = str(exc) if isinstance(exc, MailboxError) else _describe(exc)
    finally:
        if conn is not None:
            try:
                conn.logout()
            except (OSError, imaplib.IMAP4.error):
                pass
        now = timezone.now()
        if result.error:
            Mailbox.objects.filter(pk=mailbox.pk).update(
                last_polled_at=now,
                last_error=result.error[:2000],
                failures=F("failures") + 1,
                poll_lease_until=None,
            )
        else:
            Mailbox.objects.filter(pk=mailbox.pk).update(
                last_polled_at=now,
                last_success_at=now,
                last_error="",
                failures=0,
                poll_lease_until=None,
            )
        mailbox.refresh_from_db()
    return result


def _poll_folder(conn, mailbox: Mailbox, result: PollResult) -> None:
    typ, data = conn.select(_quote(mailbox.folder), readonly=True)
    _check(typ, data, f"abrir la carpeta «{mailbox.folder}»")
    uidvalidity = _uidvalidity(conn)
    if uidvalidity is not None and uidvalidity != mailbox.uidvalidity:
        # The server renumbered the folder: read it again from the start; messages already
        # stored are recognised by their Message-ID.
        Mailbox.objects.filter(pk=mailbox.pk).update(uidvalidity=uidvalidity, last_uid=0)
        mailbox.uidvalidity, mailbox.last_uid = uidvalidity, 0
    data = _check(*conn.uid("SEARCH", None, f"UID {mailbox.last_uid + 1}:*"), "buscar mensajes")
    uids = sorted(int(u) for u in (data[0] or b"").split() if int(u) > mailbox.last_uid)
    limit = settings.ISPGEST_MAIL_MAX_INBOUND_BYTES
    for uid in uids:
        size = _fetch_size(conn, uid)
        with transaction.atomic():
            if size > limit:
                row, created = store_refused(
                    mailbox=mailbox,
                    header_bytes=_fetch(conn, uid, "HEADER"),
                    size=size,
                )
                result.refused += int(created)
            else:
                row, created = store_raw(raw=_fetch(conn, uid, ""), mailbox=mailbox)
                if created:
                    result.stored += 1
                    result.messages.append(row)
                else:
                    result.duplicates += 1
            Mailbox.objects.filter(pk=mailbox.pk, last_uid__lt=uid).update(last_uid=uid)
            mailbox.last_uid = uid


def _uidvalidity(conn) -> int | None:
    typ, data = conn.response("UIDVALIDITY")
    if data and data[0]:
        try:
            return int(data[0])
        except (TypeError, ValueError):
            return None
    return None


def _quote(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def poll_all() -> list[PollResult]:
    return [mailbox_poll(m) for m in Mailbox.objects.filter(active=True).order_by("pk")]


@transaction.atomic
def mailbox_save(*, actor, mailbox: Mailbox, password: str = "") -> Mailbox:
    """Create or change a mailbox; the password is stored encrypted (core/secrets.py) and
    kept when none is given."""
    from ispgest.core.secrets import encrypt

    created = mailbox.pk is None
    if password:
        mailbox.password_encrypted = encrypt(password)
    elif created:
        raise DomainError("Contraseña: es obligatoria para un buzón nuevo.", field="password")
    if not (1 <= mailbox.port <= 65535):
        raise DomainError("Puerto: debe estar entre 1 y 65535.", field="port")
    if not mailbox.folder.strip():
        raise DomainError("Carpeta: es obligatoria.", field="folder")
    if not created:
        before = Mailbox.objects.get(pk=mailbox.pk)
        if (before.host, before.port, before.username, before.folder) != (
            mailbox.host,
            mailbox.port,
            mailbox.username,
            mailbox.folder,
        ):
            mailbox.uidvalidity, mailbox.last_uid = None, 0  # another folder: read it whole
    mailbox.save()
    audit(
        actor=actor,
        action="mailbox.created" if created else "mailbox.updated",
        obj=mailbox,
        summary=f"Buzón «{mailbox.name}» ({mailbox.username}@{mailbox.host}) guardado",
    )
    return mailbox

"""Webhooks: subscriptions, events from the domain signals, signed deliveries with retries.

- `subscription_create/update` (administrators): only http(s) URLs, and never an address
  that is not global (loopback, private, link-local, reserved, the carrier-grade NAT range
  100.64.0.0/10) nor multicast nor the product's own host, unless the host is in
  `ISPGEST_WEBHOOK_ALLOWED_HOSTS` (the check runs again before every request, against what
  the name resolves to then, and the request connects to the address checked).
- `emit(type, obj)` (called by the signal receivers in receivers.py, inside the writing
  transaction) stores the event and a Delivery per active subscription of that type; the
  deliveries are enqueued on commit, so a rolled-back change sends nothing. `emit_many`
  does the same for thousands of objects in bulk inserts (billing runs, imports). First
  attempts go to tasks in batches of `ENQUEUE_BATCH` deliveries (`attempt_many`, in order).
- `attempt(delivery)` sends one POST: JSON body `{"id", "type", "timestamp", "object"}`,
  header `X-Ispgest-Signature: t=<timestamp>,v1=<hex HMAC-SHA256 of "<timestamp>.<body>">`.
  A 2xx delivers; anything else is logged and retried with exponential backoff
  (`ISPGEST_WEBHOOK_RETRY_BASE` seconds × 2^(attempt-1), at most
  `ISPGEST_WEBHOOK_MAX_ATTEMPTS` attempts). Deliveries of one subscription go in order per
  object: one waits while an older one of the same object is not delivered.
- A subscription whose deliveries fail for `ISPGEST_WEBHOOK_PAUSE_AFTER` (a day) is paused
  and its owner e-mailed.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import ipaddress
import json
import logging
import socket
import time
import uuid
from collections.abc import Callable, Iterable
from datetime import timedelta
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.utils import timezone

from ispgest.core.audit import audit
from ispgest.core.bulk import allocate_ids, db_timestamp, write_rows
from ispgest.core.exceptions import DomainError
from ispgest.webhooks.models import Attempt, Delivery, Event, EventType, Subscription

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Ispgest-Signature"
EXCERPT = 1000
_HIDDEN = ("password", "secret", "token", "hash")


# --- URL safety ---------------------------------------------------------------------------


def _allowed_hosts() -> set[str]:
    return {h.lower() for h in settings.ISPGEST_WEBHOOK_ALLOWED_HOSTS}


def _own_hosts() -> set[str]:
    hosts = {urlsplit(settings.SITE_URL).hostname or ""}
    hosts |= {h.lower().lstrip(".") for h in settings.ALLOWED_HOSTS if h not in ("*", "")}
    return {h for h in hosts if h}


def checked_addresses(url: str) -> list[str]:
    """The addresses a request to `url` may connect to: its host resolved once, and every
    address refused that would reach internal services, unless the host is allowed
    (Spanish `DomainError` on the field url). A delivery connects to these and does not
    resolve the name again, so an answer that changes after the check (DNS rebinding)
    cannot send it elsewhere."""
    parts = urlsplit((url or "").strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise DomainError("URL: debe empezar por http:// o https:// y tener un host.", field="url")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise DomainError("URL: el puerto no es válido.", field="url") from None
    host = parts.hostname.lower()
    allowed = host in _allowed_hosts()
    if not allowed and host in _own_hosts():
        raise DomainError("URL: no puede apuntar a este mismo sistema.", field="url")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        raise DomainError(f"URL: el host «{host}» no existe.", field="url") from None
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if allowed:
        return addresses
    for text in addresses:
        address = ipaddress.ip_address(text.split("%")[0])
        # Not global: loopback, private, link-local, reserved, unspecified, and the shared
        # address space 100.64.0.0/10, where an ISP's carrier-grade NAT and its routers live.
        if not address.is_global or address.is_multicast:
            raise DomainError(
                f"URL: «{host}» es una dirección local o privada ({address}); solo se permite "
                "si el administrador del sistema la autoriza (ISPGEST_WEBHOOK_ALLOWED_HOSTS).",
                field="url",
            )
    return addresses


def check_url(url: str) -> None:
    """Refuse what would let a subscription reach internal services (Spanish, field url)."""
    checked_addresses(url)


# --- Subscriptions ------------------------------------------------------------------------


def _clean_events(events) -> list[str]:
    chosen = [e for e in (events or []) if e]
    valid = set(EventType.values) - {EventType.TEST}
    unknown = [e for e in chosen if e not in valid]
    if unknown:
        raise DomainError(f"Eventos: «{unknown[0]}» no es un evento.", field="events")
    if not chosen:
        raise DomainError("Eventos: elija al menos uno.", field="events")
    return sorted(set(chosen))


@transaction.atomic
def subscription_create(*, actor, name: str, url: str, events, active: bool = True):
    name = (name or "").strip()
    errors: dict[str, list] = {}
    if not name:
        errors["name"] = ["Nombre: es obligatorio."]
    for fn, arg in ((check_url, url), (_clean_events, events)):
        try:
            fn(arg)
        except ValidationError as exc:
            for field, msgs in exc.message_dict.items():
                errors.setdefault(field, []).extend(msgs)
    if errors:
        raise ValidationError(errors)
    sub = Subscription.objects.create(
        name=name[:120],
        url=url.strip(),
        events=_clean_events(events),
        active=active,
        owner=actor if getattr(actor, "pk", None) else None,
    )
    audit(actor=actor, action="webhook.created", obj=sub, summary=f"Webhook {sub} creado")
    return sub


@transaction.atomic
def subscription_update(*, actor, subscription: Subscription, data: dict) -> Subscription:
    sub = Subscription.objects.select_for_update().get(pk=subscription.pk)
    if "url" in data:
        check_url(data["url"])
        sub.url = data["url"].strip()
    if "events" in data:
        sub.events = _clean_events(data["events"])
    if "name" in data:
        if not (data["name"] or "").strip():
            raise DomainError("Nombre: es obligatorio.", field="name")
        sub.name = data["name"].strip()[:120]
    resumed = False
    if "active" in data:
        resumed = bool(data["active"]) and not sub.active
        sub.active = bool(data["active"])
        if sub.active:
            sub.paused_at = sub.failing_since = None
    if data.get("new_secret"):
        from ispgest.webhooks.models import new_secret

        sub.secret = new_secret()
    sub.save()
    audit(actor=actor, action="webhook.updated", obj=sub, summary=f"Webhook {sub} modificado")
    if resumed:
        # What waited while it was paused goes out at commit, oldest first.
        waiting = list(
            sub.deliveries.filter(status=Delivery.Status.PENDING)
            .order_by("id")
            .values_list("pk", flat=True)
        )
        transaction.on_commit(lambda: _enqueue(waiting))
    return sub


# --- Events -------------------------------------------------------------------------------


@functools.cache
def _shown_attnames(model: type[models.Model]) -> tuple[str, ...]:
    return tuple(
        f.attname
        for f in model._meta.concrete_fields
        if not any(word in f.name for word in _HIDDEN)
    )


def _fields(obj: models.Model, extra: dict | None = None) -> dict:
    out = {"object": obj._meta.label_lower}
    for name in _shown_attnames(type(obj)):
        out[name] = getattr(obj, name)
    if extra:
        out.update(extra)
    return out


def serialise(obj: models.Model) -> dict:
    """The object's stored fields (foreign keys as ids), secrets left out."""
    return json.loads(json.dumps(_fields(obj), cls=DjangoJSONEncoder))


def subscribers(event_type: str) -> list[Subscription]:
    """The active subscriptions that receive `event_type`."""
    return [s for s in Subscription.objects.filter(active=True) if event_type in s.events]


def emit(
    event_type: str,
    obj: models.Model,
    extra: dict | None = None,
    *,
    subs: list[Subscription] | None = None,
) -> Event | None:
    """Store the event and queue its deliveries on commit (no-op without subscribers).

    `subs` lets a caller that emits many events of one type look the subscribers up once.
    """
    if subs is None:
        subs = subscribers(event_type)
    if not subs:
        return None
    event = Event.objects.create(
        type=event_type,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        data=json.loads(json.dumps(_fields(obj, extra), cls=DjangoJSONEncoder)),
    )
    key = f"{event.object_type}:{event.object_id}"
    deliveries = Delivery.objects.bulk_create(
        [Delivery(subscription=s, event=event, object_key=key) for s in subs]
    )
    ids = [d.pk for d in deliveries]
    transaction.on_commit(lambda: _enqueue(ids))
    return event


EMIT_CHUNK = 1000


def emit_many(
    event_type: str,
    objects: Iterable[models.Model],
    *,
    subs: list[Subscription] | None = None,
    extra: Callable[[models.Model], dict | None] | None = None,
) -> int:
    """One event per object, as `emit` stores it, written a chunk at a time (one COPY of
    events and one of deliveries per `EMIT_CHUNK` objects, one on_commit per chunk), for
    the operations that touch thousands of objects at once (a billing run, an import, a
    mass update). `extra(obj)` gives what `emit`'s `extra` would for that object.
    Returns the number of events."""
    if subs is None:
        subs = subscribers(event_type)
    if not subs:
        return 0
    count = 0
    chunk: list[tuple[str, str, str]] = []  # (object type, object id, data as JSON text)

    def flush() -> None:
        nonlocal chunk
        if chunk:
            _store_many(event_type, chunk, subs)
            chunk = []

    for obj in objects:
        data = _fields(obj, extra(obj) if extra else None)
        chunk.append((obj._meta.label_lower, str(obj.pk), json.dumps(data, cls=DjangoJSONEncoder)))
        count += 1
        if len(chunk) >= EMIT_CHUNK:
            flush()
    flush()
    return count


_EVENT_COLUMNS = ["id", "type", "created_at", "object_type", "object_id", "data"]
_DELIVERY_COLUMNS = [
    "id",
    "subscription_id",
    "event_id",
    "object_key",
    "status",
    "attempts",
    "next_attempt_at",
    "delivered_at",
    "created_at",
]


def _store_many(
    event_type: str, chunk: list[tuple[str, str, str]], subs: list[Subscription]
) -> None:
    """Write a chunk of events and their deliveries with COPY on PostgreSQL (executemany on
    SQLite): the ORM's bulk insert spends most of its time quoting the JSON bodies; the
    delivery ids come from the sequence, in order, so per-object order holds."""
    now = db_timestamp(timezone.now())
    key_of = Event._meta.pk.get_db_prep_value
    events = [(key_of(uuid.uuid4(), connection), *row) for row in chunk]
    with transaction.atomic():
        write_rows(
            Event,
            _EVENT_COLUMNS,
            [(key, event_type, now, otype, oid, data) for key, otype, oid, data in events],
        )
        ids = sorted(allocate_ids(Delivery, len(events) * len(subs)))
        pairs = [
            (key, f"{otype}:{oid}", sub.pk) for key, otype, oid, _data in events for sub in subs
        ]
        write_rows(
            Delivery,
            _DELIVERY_COLUMNS,
            [
                (pk, sub_id, key, object_key, Delivery.Status.PENDING.value, 0, None, None, now)
                for pk, (key, object_key, sub_id) in zip(ids, pairs, strict=True)
            ],
        )
    transaction.on_commit(lambda: _enqueue(ids))


ENQUEUE_BATCH = 500


def _enqueue(ids: list[int], delay: float = 0) -> None:
    """Queue first attempts in batches of ENQUEUE_BATCH deliveries per task (a billing run
    of 100k documents queues 200 tasks, not 100k); a retry (`delay`) is one deferred task
    per delivery."""
    from ispgest.webhooks.tasks import deliver_batch_task, deliver_task

    if not delay:
        for start in range(0, len(ids), ENQUEUE_BATCH):
            deliver_batch_task.enqueue(ids[start : start + ENQUEUE_BATCH])
        return
    for pk in ids:
        try:
            deliver_task.using(run_after=timezone.now() + timedelta(seconds=delay)).enqueue(pk)
        except Exception:  # a backend without deferred runs: the scheduler's job retries
            return


# --- Delivery -----------------------------------------------------------------------------


def body_of(event: Event) -> bytes:
    return json.dumps(
        {
            "id": str(event.id),
            "type": event.type,
            "timestamp": event.created_at.isoformat(),
            "object": event.data,
        },
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode()


def sign(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def _waiting_behind(delivery: Delivery) -> bool:
    return (
        Delivery.objects.filter(
            subscription_id=delivery.subscription_id,
            object_key=delivery.object_key,
            id__lt=delivery.pk,
        )
        .exclude(status__in=[Delivery.Status.DELIVERED, Delivery.Status.FAILED])
        .exists()
    )


def _send(url: str, addresses: list[str], *, body: bytes, headers: dict) -> httpx.Response:
    """POST `body` to `url` over a connection to one of the checked `addresses` (the next
    one when a connection fails), never to what the name resolves to now. The Host header
    and, for https, the SNI and the certificate check keep the URL's host name. Proxies
    from the environment are not used: a proxy would resolve the name itself."""
    target = httpx.URL(url.strip())
    headers = {**headers, "Host": target.netloc.decode("ascii")}
    tls = {"sni_hostname": target.raw_host.decode("ascii")} if target.scheme == "https" else {}
    with httpx.Client(
        timeout=settings.ISPGEST_WEBHOOK_TIMEOUT, follow_redirects=False, trust_env=False
    ) as client:

        def post(address: str) -> httpx.Response:
            pinned = target.copy_with(host=address)
            return client.post(pinned, content=body, headers=headers, extensions=tls)

        *others, last = addresses
        for address in others:
            try:
                return post(address)
            except httpx.ConnectError:
                continue
        return post(last)


def _post(sub: Subscription, delivery: Delivery) -> Attempt:
    body = body_of(delivery.event)
    stamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "ispgest-webhooks",
        SIGNATURE_HEADER: sign(sub.secret, stamp, body),
        "X-Ispgest-Event": delivery.event.type,
        "X-Ispgest-Delivery": str(delivery.pk),
    }
    attempt = Attempt(delivery=delivery)
    started = time.monotonic()
    try:
        response = _send(sub.url, checked_addresses(sub.url), body=body, headers=headers)
        attempt.status_code = response.status_code
        attempt.response_excerpt = response.text[:EXCERPT]
    except ValidationError as exc:
        attempt.error = " ".join(exc.messages)
    except httpx.TimeoutException:
        attempt.error = (
            f"Tiempo de espera agotado ({settings.ISPGEST_WEBHOOK_TIMEOUT} s sin respuesta)."
        )
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        attempt.error = f"No se pudo conectar: {type(exc).__name__}: {exc}"[:EXCERPT]
    attempt.duration_ms = int((time.monotonic() - started) * 1000)
    attempt.save()
    return attempt


def backoff(attempts: int) -> float:
    return settings.ISPGEST_WEBHOOK_RETRY_BASE * 2 ** max(attempts - 1, 0)


def attempt(delivery_id: int) -> str:
    """One attempt of one delivery (the task's body). Returns what happened."""
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update(skip_locked=True)
            .select_related("event", "subscription")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None or delivery.status in (
            Delivery.Status.DELIVERED,
            Delivery.Status.FAILED,
        ):
            return "skipped"
        sub = delivery.subscription
        if not sub.active and delivery.event.type != EventType.TEST:
            return "paused"
        if delivery.next_attempt_at and delivery.next_attempt_at > timezone.now():
            return "not_due"
        if _waiting_behind(delivery):
            return "waiting"
        log = _post(sub, delivery)
        delivery.attempts += 1
        now = timezone.now()
        if log.ok:
            delivery.status = Delivery.Status.DELIVERED
            delivery.delivered_at = now
            delivery.next_attempt_at = None
            Subscription.objects.filter(pk=sub.pk).update(failing_since=None)
        elif delivery.attempts >= settings.ISPGEST_WEBHOOK_MAX_ATTEMPTS:
            delivery.status = Delivery.Status.FAILED
        else:
            delivery.status = Delivery.Status.RETRYING
            delivery.next_attempt_at = now + timedelta(seconds=backoff(delivery.attempts))
        delivery.save()
        if not log.ok:
            _note_failure(sub, now)
    if delivery.status == Delivery.Status.DELIVERED:
        _release_next(delivery)
        return "delivered"
    if delivery.status == Delivery.Status.RETRYING:
        _enqueue([delivery.pk], delay=backoff(delivery.attempts))
    return delivery.status


def attempt_many(delivery_ids: list[int]) -> dict:
    """`attempt` each delivery in order (the batch task's body). One that raises is logged
    and left for the scheduler's `retry_due`; the rest of the batch goes on."""
    outcomes: dict[str, int] = {}
    for pk in delivery_ids:
        try:
            outcome = attempt(pk)
        except Exception:
            logger.exception("webhook delivery %s", pk)
            outcome = "error"
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes


def _release_next(delivery: Delivery) -> None:
    nxt = (
        Delivery.objects.filter(
            subscription_id=delivery.subscription_id,
            object_key=delivery.object_key,
            id__gt=delivery.pk,
            status=Delivery.Status.PENDING,
        )
        .order_by("id")
        .values_list("pk", flat=True)
        .first()
    )
    if nxt:
        _enqueue([nxt])


def _note_failure(sub: Subscription, now) -> None:
    locked = Subscription.objects.select_for_update().get(pk=sub.pk)
    if locked.failing_since is None:
        locked.failing_since = now
        locked.save(update_fields=["failing_since"])
        return
    if locked.active and now - locked.failing_since >= settings.ISPGEST_WEBHOOK_PAUSE_AFTER:
        locked.active = False
        locked.paused_at = now
        locked.save(update_fields=["active", "paused_at"])
        audit(
            actor=None,
            action="webhook.paused",
            obj=locked,
            summary=f"Webhook {locked} pausado: falla desde {locked.failing_since:%Y-%m-%d %H:%M}",
        )
        _mail_paused(locked)


def _mail_paused(sub: Subscription) -> None:
    from django.urls import reverse

    from ispgest.messaging.emails import send_email

    owner = sub.owner
    if owner is None or not owner.email:
        return
    link = settings.SITE_URL.rstrip("/") + reverse("webhooks:detail", args=[sub.pk])
    send_email(
        template="webhook_paused",
        to=[owner.email],
        context={"user": owner, "subscription": sub, "link": link},
        related=sub,
    )


# A pending delivery has its first attempt queued already; the retry job takes it only when
# it is still pending this long after it was stored (its task was lost, or it waited behind
# an older delivery of its object that failed for good).
PENDING_GRACE = timedelta(minutes=10)


def retry_due() -> int:
    """Enqueue every delivery whose retry is due, and the pending ones whose first attempt
    should have run by now (the scheduler's job; also the fallback of task backends that
    cannot defer a run). A pending delivery younger than PENDING_GRACE is left to the task
    queued for it, so a long queue is not queued again every minute."""
    now = timezone.now()
    due = list(
        Delivery.objects.filter(subscription__active=True)
        .filter(
            models.Q(
                models.Q(next_attempt_at__isnull=True) | models.Q(next_attempt_at__lte=now),
                status=Delivery.Status.RETRYING,
            )
            | models.Q(status=Delivery.Status.PENDING, created_at__lte=now - PENDING_GRACE)
        )
        .order_by("id")
        .values_list("pk", flat=True)[:1000]
    )
    _enqueue(due)
    return len(due)


@transaction.atomic
def send_test(*, actor, subscription: Subscription) -> Delivery:
    """ "Enviar prueba": a webhook.test event to this subscription only."""
    event = Event.objects.create(
        type=EventType.TEST,
        object_type="webhooks.subscription",
        object_id=str(subscription.pk),
        data={"object": "webhooks.subscription", "id": subscription.pk, "test": True},
    )
    delivery = Delivery.objects.create(
        subscription=subscription, event=event, object_key=f"test:{event.id}"
    )
    transaction.on_commit(lambda: _enqueue([delivery.pk]))
    return delivery


@transaction.atomic
def redeliver(*, actor, delivery: Delivery) -> Delivery:
    """Send an event again to the same subscription (a new delivery with its own log)."""
    again = Delivery.objects.create(
        subscription=delivery.subscription,
        event=delivery.event,
        object_key=delivery.object_key,
    )
    audit(
        actor=actor,
        action="webhook.redelivered",
        obj=delivery.subscription,
        summary=f"Reenvío del evento {delivery.event_id}",
    )
    transaction.on_commit(lambda: _enqueue([again.pk]))
    return again

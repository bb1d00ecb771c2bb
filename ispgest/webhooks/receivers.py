"""The domain signals that become webhook events (connected in WebhooksConfig.ready)."""

from __future__ import annotations

from ispgest.core.bulk import in_ids
from ispgest.webhooks.models import EventType
from ispgest.webhooks.services import emit, emit_many, subscribers


def _client(event_type):
    def receiver(sender, client, **kwargs):
        extra = {"changes": kwargs["changes"]} if "changes" in kwargs else None
        emit(event_type, client, extra)

    return receiver


def _contract_created(sender, contract, **kwargs):
    emit(EventType.CONTRACT_CREATED, contract)


def _contract_status(sender, contract, from_status="", to_status="", **kwargs):
    emit(
        EventType.CONTRACT_STATUS_CHANGED,
        contract,
        {"from_status": from_status, "to_status": to_status},
    )


def _documents_issued(sender, invoice_ids, **kwargs):
    from ispgest.billing.models import Invoice

    # A billing run issues up to a million documents at once: the subscribers are looked up
    # once, and without any the documents are not even read.
    subs = subscribers(EventType.INVOICE_ISSUED)
    if not subs:
        return
    invoices = Invoice.objects.filter(in_ids("pk", invoice_ids)).order_by("pk")
    emit_many(EventType.INVOICE_ISSUED, invoices.iterator(chunk_size=2000), subs=subs)


def _clients_of(ids):
    """The clients of `ids` in id order, read 2,000 at a time."""
    from ispgest.clients.models import Client

    ordered = sorted(ids)
    for start in range(0, len(ordered), 2000):
        yield from Client.objects.filter(in_ids("pk", ordered[start : start + 2000])).order_by("pk")


def _clients_mass_updated(sender, changes, deactivated=False, **kwargs):
    """A mass update: `client.updated` with each client's own changes, and
    `client.deactivated` when the status became inactive."""
    subs = subscribers(EventType.CLIENT_UPDATED)
    if subs:
        emit_many(
            EventType.CLIENT_UPDATED,
            _clients_of(changes),
            subs=subs,
            extra=lambda client: {"changes": changes[client.pk]},
        )
    if deactivated:
        subs = subscribers(EventType.CLIENT_DEACTIVATED)
        if subs:
            emit_many(EventType.CLIENT_DEACTIVATED, _clients_of(changes), subs=subs)


def _clients_in_bulk(event_type):
    """An import creates, and its undo deactivates, up to a million clients at once: one
    event each, read and stored a chunk at a time."""

    def receiver(sender, client_ids, **kwargs):
        subs = subscribers(event_type)
        if subs:
            emit_many(event_type, _clients_of(client_ids), subs=subs)

    receiver.__name__ = f"bulk_{event_type}"
    return receiver


def _payment_registered(sender, payment, **kwargs):
    emit(EventType.PAYMENT_REGISTERED, payment)


def _payment_reversed(sender, payment, reversal=None, **kwargs):
    emit(EventType.PAYMENT_REVERSED, payment, {"reversal_id": getattr(reversal, "pk", None)})


def _ticket(event_type):
    def receiver(sender, ticket, **kwargs):
        extra = {"event": kwargs["event"]} if "event" in kwargs else None
        emit(event_type, ticket, extra)

    return receiver


_KEEP: list = []  # the closures, so the weak references of the signals stay alive


def connect() -> None:
    from ispgest.billing import signals as billing
    from ispgest.clients import signals as clients
    from ispgest.contracts import signals as contracts
    from ispgest.tickets import signals as tickets

    pairs = [
        (clients.client_created, _client(EventType.CLIENT_CREATED)),
        (clients.client_updated, _client(EventType.CLIENT_UPDATED)),
        (clients.client_deactivated, _client(EventType.CLIENT_DEACTIVATED)),
        (clients.clients_imported, _clients_in_bulk(EventType.CLIENT_CREATED)),
        (clients.clients_import_undone, _clients_in_bulk(EventType.CLIENT_DEACTIVATED)),
        (clients.clients_mass_updated, _clients_mass_updated),
        (contracts.contract_created, _contract_created),
        (contracts.contract_status_changed, _contract_status),
        (billing.documents_issued, _documents_issued),
        (billing.payment_registered, _payment_registered),
        (billing.payment_reversed, _payment_reversed),
        (tickets.ticket_created, _ticket(EventType.TICKET_CREATED)),
        (tickets.ticket_updated, _ticket(EventType.TICKET_UPDATED)),
    ]
    for signal, receiver in pairs:
        _KEEP.append(receiver)
        signal.connect(receiver, dispatch_uid=f"webhooks:{id(signal)}:{receiver.__name__}")

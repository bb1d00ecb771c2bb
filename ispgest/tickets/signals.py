"""Domain events of tickets, sent by `tickets.services` inside the writing transaction
(receivers follow the rules of clients/signals.py: outside work on commit).

Webhooks and notifications connect here rather than to the models.
"""

from django.dispatch import Signal

# ticket=Ticket, actor (a staff user, or None for a client's portal/e-mail action)
ticket_created = Signal()
# ticket=Ticket, actor, event=str, changes={label: [old, new]}, message=TicketMessage | None
# event is one of: "reply" (public reply), "note" (internal note), "client_reply",
# "transition", "assign", "update", "attachment".
ticket_updated = Signal()

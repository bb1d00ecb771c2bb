"""Events of the e-mail log (see clients/signals.py for the rules receivers follow)."""

from django.dispatch import Signal

# message=EmailMessage (the received one, already stored), reply_to=EmailMessage | None (our
# message it answers, found by In-Reply-To/References). A receiver that takes the message
# (a ticket threading a client's reply) does so in the same transaction.
email_received = Signal()

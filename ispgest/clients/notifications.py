"""Who receives which e-mail of a client (seed 000, section 4).

Invoices go to the principal address and every "Emails a notificar" address; payments,
reminders and manual notifications only to the principal address. Nothing is sent when the
client has no principal address or has switched that kind of e-mail off. Billing and every
other sender call these functions and nothing else.
"""

from __future__ import annotations

from ispgest.clients.models import Client


def invoice_recipients(client: Client) -> list[str]:
    if not client.email or not client.send_invoice_emails:
        return []
    out = [client.email]
    for address in client.notify_email_list:
        if address.lower() not in (a.lower() for a in out):
            out.append(address)
    return out


def payment_recipients(client: Client) -> list[str]:
    return [client.email] if client.email and client.send_payment_emails else []


def reminder_recipients(client: Client) -> list[str]:
    return [client.email] if client.email and client.send_reminder_emails else []


def manual_recipients(client: Client) -> list[str]:
    return [client.email] if client.email and client.send_manual_emails else []


def portal_recipients(client: Client) -> list[str]:
    """Portal access (passwords, reset links) goes to the principal address only."""
    return [client.email] if client.email else []

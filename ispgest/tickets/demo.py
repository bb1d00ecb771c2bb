"""Demo data of tickets: about 2 % of the clients (capped at 20 000) with a ticket in every
status and priority, threads with public replies, the client's answers and internal notes,
some assigned to staff users and some overdue, plus a few internal tickets.

Rows are bulk-inserted (no e-mail is sent). A second run finds tickets and creates nothing.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from ispgest.clients.models import Client
from ispgest.tickets.defaults import install_default_categories
from ispgest.tickets.models import (
    DEFAULT_DUE_HOURS,
    Priority,
    Status,
    Ticket,
    TicketCategory,
    TicketMessage,
)
from ispgest.tickets.services import assignable_users

SUBJECTS = {
    "Sin conexión": ["Sin internet desde ayer", "Se corta la conexión", "Luz roja en el router"],
    "Lentitud o cortes": ["Velocidad muy baja por la noche", "Microcortes en videollamadas"],
    "Facturación y pagos": ["Factura con importe incorrecto", "Pago no reflejado"],
    "Instalación": ["Coordinar instalación", "Cambio de domicilio"],
    "Cambio de plan": ["Quiere subir a 300 Mbps", "Consulta por plan empresa"],
    "Equipos": ["Cambio de router", "Antena dañada por tormenta"],
    "Otros": ["Consulta general"],
}
CLIENT_TEXT = [
    "Desde ayer a la tarde no tengo servicio.",
    "Ya reinicié el equipo y sigue igual.",
    "¿Pueden venir el jueves por la mañana?",
    "Adjunto el comprobante de pago.",
]
STAFF_TEXT = [
    "Revisamos su conexión y vemos la ONT sin señal. Coordinamos una visita.",
    "Reiniciamos su puerto desde la central. ¿Puede probar de nuevo?",
    "Corregimos la factura; recibirá la nota de crédito por e-mail.",
    "La visita queda agendada para el jueves de 9 a 13 h.",
]
NOTES = [
    "Nodo norte con alarmas de potencia, revisar antes de la visita.",
    "Cliente con deuda: confirmar pago antes de cambiar el equipo.",
    "Llevar router de repuesto.",
]
INTERNAL = ["Revisar baterías de la torre sur", "Actualizar firmware de los OLT"]


def generate(ctx) -> None:
    if Ticket.objects.exists():
        ctx.log("  tickets: ya hay tickets, no se generan más")
        return
    with transaction.atomic():
        _generate(ctx)


def _generate(ctx) -> None:
    rng = ctx.rng
    if not TicketCategory.objects.exists():
        install_default_categories()
    categories = {c.name: c for c in TicketCategory.objects.filter(active=True)}
    staff = list(assignable_users()[:20])
    n = min(max(ctx.clients // 50, 5), 20_000)
    pool = list(ctx.data.get("client_ids") or [])
    if not pool:
        pool = list(Client.objects.filter(is_active=True).values_list("pk", flat=True)[: n * 5])
    client_ids = rng.sample(pool, min(n, len(pool)))
    now = timezone.now()
    statuses = [Status.NEW, Status.OPEN, Status.OPEN, Status.WAITING, Status.RESOLVED]
    statuses += [Status.CLOSED, Status.CLOSED]
    tickets = []
    for i, client_id in enumerate([*client_ids, *[None] * len(INTERNAL)]):
        if client_id is None:
            subject, category = INTERNAL[i - len(client_ids)], categories.get("Otros")
        else:
            name = rng.choice(sorted(SUBJECTS))
            subject, category = rng.choice(SUBJECTS[name]), categories.get(name)
        priority = rng.choice(Priority.values)
        status = rng.choice(statuses)
        created = now - timedelta(hours=rng.randint(1, 24 * 45))
        tickets.append(
            Ticket(
                client_id=client_id,
                subject=subject,
                category=category,
                priority=priority,
                status=status,
                assignee=rng.choice(staff) if staff and rng.random() < 0.7 else None,
                source=rng.choice([Ticket.Source.STAFF, Ticket.Source.PORTAL, Ticket.Source.EMAIL]),
                due_at=created + timedelta(hours=DEFAULT_DUE_HOURS[Priority(priority)]),
                resolved_at=created + timedelta(hours=5) if status == Status.RESOLVED else None,
                closed_at=created + timedelta(hours=8) if status == Status.CLOSED else None,
                last_message_at=created + timedelta(hours=2),
            )
        )
    tickets = Ticket.objects.bulk_create(tickets, batch_size=2000)
    messages = []
    for t in tickets:
        if t.client_id is not None:
            messages.append(
                TicketMessage(ticket=t, body=rng.choice(CLIENT_TEXT), author_client_id=t.client_id)
            )
        else:
            messages.append(TicketMessage(ticket=t, body=t.subject, author_user=t.assignee))
        if t.status != Status.NEW and t.client_id is not None:
            messages.append(
                TicketMessage(ticket=t, body=rng.choice(STAFF_TEXT), author_user=t.assignee)
            )
        if rng.random() < 0.4:
            messages.append(
                TicketMessage(
                    ticket=t,
                    kind=TicketMessage.Kind.INTERNAL,
                    body=rng.choice(NOTES),
                    author_user=t.assignee,
                )
            )
    TicketMessage.objects.bulk_create(messages, batch_size=5000)
    ctx.log(f"  tickets: {len(tickets)} tickets, {len(messages)} mensajes")

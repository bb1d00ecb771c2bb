import io
import random

import pytest

from ispgest.clients.models import Client
from ispgest.tickets import demo
from ispgest.tickets.models import Ticket, TicketMessage

pytestmark = pytest.mark.django_db


class _Ctx:
    def __init__(self, clients):
        self.clients, self.rng, self.data, self.out = clients, random.Random(1), {}, io.StringIO()

    def log(self, text):
        self.out.write(text)


def test_demo_tickets_cover_the_statuses_and_a_second_run_adds_nothing(make_user):
    make_user("Técnico")
    ids = []
    for i in range(300):
        c = Client(name=f"Demo {i}")
        c.refresh_search_fields()
        c.save()
        ids.append(c.pk)
    ctx = _Ctx(300)
    ctx.data["client_ids"] = ids
    demo.generate(ctx)
    assert Ticket.objects.filter(client__isnull=False).count() == 6
    assert Ticket.objects.filter(client__isnull=True).count() == 2
    assert TicketMessage.objects.filter(
        ticket__client__isnull=False, author_client__isnull=False
    ).exists()
    before = TicketMessage.objects.count()
    demo.generate(ctx)
    assert TicketMessage.objects.count() == before

"""Corte por impago: cut after the grace days, exempt clients kept, restored by a payment,
never twice under reruns; the router follows (no-service pool and back)."""

import pytest

from ispgest.billing import services as billing
from ispgest.billing.tests.dated import invoice_due
from ispgest.billing.tests.factories import make_client, make_contract, method, setup_billing
from ispgest.clients.models import ClientEvent
from ispgest.contracts.models import ContractStatus
from ispgest.messaging.models import EmailMessage
from ispgest.network import cutoff, services
from ispgest.network.desired import NO_SERVICE_PROFILE
from ispgest.network.models import CutoffRule, ServiceCut

pytestmark = pytest.mark.django_db


@pytest.fixture
def entity(db):
    return setup_billing()


def test_an_unpaid_client_past_the_grace_days_is_cut_and_restored_by_a_payment(
    entity, router, pools, plan, peer, admin_user, django_capture_on_commit_callbacks
):
    rule = CutoffRule.objects.create(name="General", billing_entity=entity, grace_days=10)
    debtor = make_client(entity, email="deudor@cliente.test")
    late = make_contract(debtor, plan)
    on_time = make_client(entity)
    ok_contract = make_contract(on_time, plan)
    exempt = make_client(entity)
    exempt_contract = make_contract(exempt, plan)
    rule.exempt_clients.add(exempt)
    with django_capture_on_commit_callbacks(execute=True):
        services.pppoe_save(
            actor=admin_user, contract=late, data={"router": router, "username": "deudor"}
        )
    # oldest first: numbering is chronological
    invoice_due(exempt, "1000", due_in=-40)
    invoice = invoice_due(debtor, "1000", due_in=-15)
    invoice_due(on_time, "1000", due_in=-5)  # inside the grace days
    with django_capture_on_commit_callbacks(execute=True):
        assert cutoff.run_cutoff() == {"cut": 1, "restored": 0}
    late.refresh_from_db()
    ok_contract.refresh_from_db()
    exempt_contract.refresh_from_db()
    assert late.status == ContractStatus.SUSPENDED
    assert ok_contract.status == exempt_contract.status == ContractStatus.ACTIVE
    assert peer.find("/ppp/secret", name="deudor")["profile"] == NO_SERVICE_PROFILE
    assert EmailMessage.objects.filter(template="service_cut", to=["deudor@cliente.test"]).exists()
    # reruns cut nobody twice and restore nobody still in debt
    with django_capture_on_commit_callbacks(execute=True):
        assert cutoff.run_cutoff() == {"cut": 0, "restored": 0}
    assert ServiceCut.objects.count() == 1
    # a partial payment leaves the debt: still cut
    with django_capture_on_commit_callbacks(execute=True):
        billing.payment_register(
            actor=admin_user,
            client=debtor,
            method=method("cash"),
            amount="400",
            invoices=[invoice],
            notify=False,
        )
    late.refresh_from_db()
    assert late.status == ContractStatus.SUSPENDED
    with django_capture_on_commit_callbacks(execute=True):
        billing.payment_register(
            actor=admin_user,
            client=debtor,
            method=method("cash"),
            amount="600",
            invoices=[invoice],
            notify=False,
        )
    late.refresh_from_db()
    assert late.status == ContractStatus.ACTIVE
    assert ServiceCut.objects.get().restored_at is not None
    assert peer.find("/ppp/secret", name="deudor")["profile"] == "Fibra-100"
    assert EmailMessage.objects.filter(template="service_restored").exists()
    actions = list(ClientEvent.objects.filter(client=debtor).values_list("action", flat=True))
    assert actions.count("contract.status_changed") == 2
    assert "pppoe.suspended" in actions and "pppoe.restored" in actions


def test_a_client_whose_reminder_emails_are_off_is_cut_without_an_email(entity, plan):
    rule = CutoffRule.objects.create(name="General", billing_entity=entity, grace_days=0)
    quiet = make_client(entity, email="callado@cliente.test", send_reminder_emails=False)
    contract = make_contract(quiet, plan)
    invoice_due(quiet, "1000", due_in=-3)
    assert cutoff.run_cutoff() == {"cut": 1, "restored": 0}
    contract.refresh_from_db()
    assert contract.status == ContractStatus.SUSPENDED
    assert ServiceCut.objects.get().rule == rule
    assert ClientEvent.objects.filter(client=quiet, action="contract.status_changed").exists()
    assert not EmailMessage.objects.filter(template="service_cut").exists()

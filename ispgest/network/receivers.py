"""How the network app reacts to plans and contracts (connected in NetworkConfig.ready).

Contract status drives the router: suspended -> no-service, active -> service, cancelled ->
the secret is removed. A plan change updates the secret's profile and kicks the session so
the new speed applies at once; a plan saved updates the profiles of every router, and a
plan whose speed changed kicks the sessions of its secrets (a renamed one moves them to the
profile of the new name).
"""

from ispgest.contracts.models import ContractStatus
from ispgest.network import services
from ispgest.network.models import PPPoEAccount

REASON = "Por el cambio de estado del contrato."


def on_contract_status_changed(sender, *, contract, actor, to_status, **kwargs):
    account = PPPoEAccount.objects.filter(contract=contract, removed=False).first()
    if account is None:
        return
    if to_status == ContractStatus.SUSPENDED:
        if account.router.pools.filter(no_service=True).exists():
            services.pppoe_suspend(actor=actor, account=account, reason=REASON)
    elif to_status == ContractStatus.ACTIVE:
        services.pppoe_restore(actor=actor, account=account, reason=REASON)
    elif to_status == ContractStatus.CANCELLED:
        services.pppoe_delete(actor=actor, account=account)


def on_contract_plan_changed(sender, *, contract, actor, **kwargs):
    services.pppoe_plan_changed(actor=actor, contract=contract)


def on_plan_saved(sender, *, plan, actor, changed=(), **kwargs):
    services.profiles_changed(plan=plan, changed=changed)


def on_payment_registered(sender, *, payment, **kwargs):
    """A payment may settle the debt of a cut client: restore within the minute."""
    from django.db import transaction

    from ispgest.network.models import ServiceCut
    from ispgest.network.tasks import restore_client_task

    client_id = payment.client_id
    if ServiceCut.objects.filter(contract__client_id=client_id, restored_at__isnull=True).exists():
        transaction.on_commit(lambda: restore_client_task.enqueue(client_id))

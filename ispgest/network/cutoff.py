"""Corte por impago (non-payment cut-off) and its automatic restore.

`run_cutoff()` (the `network.cutoff` job) suspends, through the contracts' own service, every
active contract covered by an active rule (its billing entity's invoices or its zone) whose
client has a payable document unpaid more than `grace_days` after its due date, unless
the client is exempt. Each cut is a `ServiceCut` row written in the same transaction as
the suspension; the open-cut uniqueness and the contract's row lock make reruns and two
workers cut nobody twice. `restore_client(client_id)` (after `billing.payment_registered`,
on commit, and on every run) reactivates the contracts it cut once the client owes nothing
overdue under the rule. The contract status change moves the secret to the no-service pool
and back (network/receivers.py); cuts and restores are in the client's history and e-mailed
when the client's reminder switch allows.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from ispgest.billing.models import PAYABLE_KINDS, Invoice
from ispgest.billing.selectors import UNPAID_STATUSES
from ispgest.clients.notifications import reminder_recipients
from ispgest.contracts import services as contract_services
from ispgest.contracts.models import Contract, ContractStatus
from ispgest.core.exceptions import DomainError
from ispgest.core.identity import isp_identity
from ispgest.network.models import CutoffRule, ServiceCut


def _overdue(rule: CutoffRule, today):
    qs = Invoice.objects.filter(
        kind__in=PAYABLE_KINDS,
        status__in=UNPAID_STATUSES,
        due_date__lt=today - timedelta(days=rule.grace_days),
    )
    if rule.billing_entity_id:
        qs = qs.filter(billing_entity_id=rule.billing_entity_id)
    return qs


def _covered(rule: CutoffRule):
    qs = Contract.objects.all()
    if rule.zone_id:
        qs = qs.filter(zone_id=rule.zone_id)
    return qs


def _mail(contract: Contract, template: str, rule: CutoffRule) -> None:
    from ispgest.messaging.emails import send_email

    to = reminder_recipients(contract.client)
    if to:
        send_email(
            template=template,
            to=to,
            context={
                "client": contract.client,
                "contract": contract,
                "rule": rule,
                "isp": isp_identity(),
            },
            client=contract.client,
            related=contract,
        )


def cut_contract(contract_id: int, rule: CutoffRule, today=None) -> bool:
    """Suspend one contract for `rule` if, under its row lock, it is still active, its
    client still owes an overdue document and is not exempt. The client's overdue
    invoices are locked too: a payment being registered for them (it locks the same
    rows) either commits first, and the client is no longer a debtor, or waits for this
    cut and then restores it."""
    today = today or timezone.localdate()
    try:
        with transaction.atomic():
            contract = (
                Contract.objects.select_for_update().select_related("client").get(pk=contract_id)
            )
            if contract.status != ContractStatus.ACTIVE:
                return False
            if rule.exempt_clients.filter(pk=contract.client_id).exists():
                return False
            owed = _overdue(rule, today).filter(client_id=contract.client_id)
            if not list(owed.select_for_update().values_list("pk", flat=True)):
                return False
            ServiceCut.objects.create(contract=contract, rule=rule)
            contract_services.contract_suspend(
                actor=None,
                contract=contract,
                reason=f"Corte por impago ({rule.name}: {rule.grace_days} días de gracia).",
            )
            _mail(contract, "service_cut", rule)
    except (IntegrityError, DomainError):
        return False  # cut meanwhile by another worker
    return True


def restore_client(client_id: int, today=None) -> int:
    """Reactivate the client's contracts whose open cut's rule finds nothing overdue any
    more. The contract and then its cut are locked (the order `cut_contract` takes them)
    and the debt is read under those locks, so two workers restore a contract once and
    a client still in debt stays cut."""
    today = today or timezone.localdate()
    restored = 0
    cuts = ServiceCut.objects.filter(
        contract__client_id=client_id, restored_at__isnull=True
    ).select_related("rule")
    for cut in cuts:
        with transaction.atomic():
            contract = (
                Contract.objects.select_for_update()
                .select_related("client")
                .get(pk=cut.contract_id)
            )
            locked = ServiceCut.objects.select_for_update().filter(
                pk=cut.pk, restored_at__isnull=True
            )
            if not locked.exists():
                continue  # restored meanwhile by another worker
            if _overdue(cut.rule, today).filter(client_id=client_id).exists():
                continue
            locked.update(restored_at=timezone.now())
            if contract.status == ContractStatus.SUSPENDED:
                contract_services.contract_activate(
                    actor=None, contract=contract, reason="Deuda saldada: servicio restablecido."
                )
                _mail(contract, "service_restored", cut.rule)
                restored += 1
    return restored


def run_cutoff(today=None) -> dict[str, int]:
    today = today or timezone.localdate()
    cut = restored = 0
    for rule in CutoffRule.objects.filter(active=True).order_by("id"):
        debtors = _overdue(rule, today).values("client_id")
        exempt = rule.exempt_clients.values("pk")
        ids = list(
            _covered(rule)
            .filter(status=ContractStatus.ACTIVE, client_id__in=debtors)
            .exclude(client_id__in=exempt)
            .values_list("pk", flat=True)
        )
        cut += sum(cut_contract(pk, rule, today) for pk in ids)
    open_clients = set(
        ServiceCut.objects.filter(restored_at__isnull=True).values_list(
            "contract__client_id", flat=True
        )
    )
    for client_id in sorted(open_clients):
        restored += restore_client(client_id, today)
    return {"cut": cut, "restored": restored}

"""Domain events of plans and contracts, sent by `contracts.services` inside the writing
transaction (see clients/signals.py for the rules receivers follow)."""

from django.dispatch import Signal

# plan=Plan, actor, created=bool
plan_saved = Signal()
# contract=Contract, actor
contract_created = Signal()
# contract=Contract, actor, changes={label: [old, new]}
contract_updated = Signal()
# contract=Contract, actor, from_status=str, to_status=str, effective_date=date
contract_status_changed = Signal()
# contract=Contract, actor, assignment=PlanAssignment, previous_plan=Plan
# (only when the contract's current plan changes)
contract_plan_changed = Signal()
# document=SignedDocument, actor (the client's repository lists it)
signed_document_uploaded = Signal()

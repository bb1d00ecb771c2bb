"""Every write on plans, contracts, plan assignments, equipment, renewable packages and
signed documents. Each function validates everything before writing, runs in one
transaction and writes the client's history (Historial) in that same transaction.

Modules: `plans`, `contracts` (create, update, the status lifecycle), `assignments` (a
contract's plans over time), `equipment`, `packages` (renewable packages, their assignments
and renewal) and `documents` (signed documents); `_common` holds their shared helpers. The
public names are re-exported here; a test that patches a name patches it in its module.
"""

from ispgest.contracts.services._common import add_months
from ispgest.contracts.services.assignments import plan_assign
from ispgest.contracts.services.contracts import (
    CONTRACT_FIELDS,
    TRANSITION_VERBS,
    contract_activate,
    contract_cancel,
    contract_create,
    contract_suspend,
    contract_transition,
    contract_update,
)
from ispgest.contracts.services.documents import signed_document_upload
from ispgest.contracts.services.equipment import (
    EQUIPMENT_FIELDS,
    EQUIPMENT_TRANSITIONS,
    EQUIPMENT_VERBS,
    equipment_install,
    equipment_reinstall,
    equipment_retire,
    equipment_send_to_repair,
    equipment_set_status,
    equipment_update,
    normalize_mac,
)
from ispgest.contracts.services.packages import (
    LINE_FIELDS,
    PACKAGE_FIELDS,
    lines_total,
    package_assign,
    package_assignment_configure,
    package_assignment_edit_lines,
    package_assignment_remove,
    package_assignment_renewed,
    package_assignments_renewed,
    package_create,
    package_document_lines,
    package_update,
)
from ispgest.contracts.services.plans import (
    PLAN_FIELDS,
    plan_create,
    plan_deactivate,
    plan_update,
)

__all__ = [
    "CONTRACT_FIELDS",
    "EQUIPMENT_FIELDS",
    "EQUIPMENT_TRANSITIONS",
    "EQUIPMENT_VERBS",
    "LINE_FIELDS",
    "PACKAGE_FIELDS",
    "PLAN_FIELDS",
    "TRANSITION_VERBS",
    "add_months",
    "contract_activate",
    "contract_cancel",
    "contract_create",
    "contract_suspend",
    "contract_transition",
    "contract_update",
    "equipment_install",
    "equipment_reinstall",
    "equipment_retire",
    "equipment_send_to_repair",
    "equipment_set_status",
    "equipment_update",
    "lines_total",
    "normalize_mac",
    "package_assign",
    "package_assignment_configure",
    "package_assignment_edit_lines",
    "package_assignment_remove",
    "package_assignment_renewed",
    "package_assignments_renewed",
    "package_create",
    "package_document_lines",
    "package_update",
    "plan_assign",
    "plan_create",
    "plan_deactivate",
    "plan_update",
    "signed_document_upload",
]

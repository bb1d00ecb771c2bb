"""What each role may do with contracts, plans and what is installed (Administrador: all).

| role        | see                          | write                                                   |
|-------------|------------------------------|---------------------------------------------------------|
| Técnico     | contracts, plans, equipment, | equipment (install/retire/repair); mark a contract      |
|             | packages                     | installed (pendiente -> activo); edit contract address  |
| Vendedor    | contracts, plans, equipment, | create contracts (with their first plan), upload signed |
|             | packages, signed documents   | contracts                                               |
| Facturación | everything, signed documents | nothing here (billing reads contracts)                  |
| Recaudador  | contracts, plans, packages   | nothing                                                 |

Plans and the package catalog are managed by Administrador only; suspending, reactivating,
cancelling and changing plans too (contracts.change_contract_status, add_planassignment).
Which clients a user sees is still clients.scoping.visible_clients.
"""

from ispgest.accounts.roles import BILLING, COLLECTOR, SELLER, TECHNICIAN

_VIEW = [
    "contracts.view_plan",
    "contracts.view_contract",
    "contracts.view_planassignment",
    "contracts.view_equipment",
    "contracts.view_renewablepackage",
    "contracts.view_packageassignment",
]

ROLE_PERMISSIONS = {
    TECHNICIAN: [
        *_VIEW,
        "contracts.change_contract",
        "contracts.install_contract",
        "contracts.add_equipment",
        "contracts.change_equipment",
    ],
    SELLER: [
        *_VIEW,
        "contracts.add_contract",
        "contracts.add_signeddocument",
        "contracts.view_signeddocument",
    ],
    BILLING: [*_VIEW, "contracts.view_signeddocument", "contracts.view_contractstatuschange"],
    COLLECTOR: [
        "contracts.view_plan",
        "contracts.view_contract",
        "contracts.view_planassignment",
        "contracts.view_packageassignment",
    ],
}


def can_transition(user, contract, to_status: str) -> bool:
    """Status changes need change_contract_status, except that whoever may mark contracts
    installed (Técnico) may move a pending installation to active."""
    from ispgest.contracts.models import ContractStatus

    if user.has_perm("contracts.change_contract_status"):
        return True
    return (
        to_status == ContractStatus.ACTIVE
        and contract.status == ContractStatus.PENDING_INSTALLATION
        and user.has_perm("contracts.install_contract")
    )

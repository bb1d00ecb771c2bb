"""What each role may do with clients (Administrador has every permission).

| role        | see clients                 | create/edit | export          | mass update | reactivate |
|-------------|-----------------------------|-------------|-----------------|-------------|------------|
| Facturación | all                         | yes         | all             | no          | no         |
| Vendedor    | only those of its seller    | yes         | only its own    | no          | no         |
| Recaudador  | all (to take payments)      | no          | no              | no          | no         |
| Técnico     | all (to install and repair) | no          | no              | no          | no         |

A Vendedor user that is not linked to a Seller entry sees no clients (clients/scoping.py).
Bank mandates: a Técnico sees none; Facturación (who manages direct debits) reads the whole
IBAN, Vendedor and Recaudador read it masked to its last four characters (core.country).
"""

from ispgest.accounts.roles import BILLING, COLLECTOR, SELLER, TECHNICIAN

_VIEW = [
    "clients.view_client",
    "clients.view_contact",
    "clients.view_gatewayaccount",
    "clients.view_extrafieldvalue",
    "clients.view_clientevent",
]
# Bank data: a Técnico sees none; the whole IBAN is for those who manage mandates
# (clients.change_bankmandate: Facturación), everyone else reads it masked (core.country).
_BANK = ["clients.view_bankmandate"]
_EDIT = [
    "clients.add_client",
    "clients.change_client",
    "clients.add_contact",
    "clients.change_contact",
    "clients.add_extrafieldvalue",
    "clients.change_extrafieldvalue",
    "clients.add_clientevent",
    "clients.change_clientevent",
    "clients.delete_clientevent",
]
_FINANCIAL = [
    "clients.add_bankmandate",
    "clients.change_bankmandate",
    "clients.add_gatewayaccount",
    "clients.change_gatewayaccount",
]

ROLE_PERMISSIONS = {
    BILLING: [
        *_VIEW,
        *_BANK,
        *_EDIT,
        *_FINANCIAL,
        "clients.view_all_clients",
        "clients.export_client",
    ],
    SELLER: [*_VIEW, *_BANK, *_EDIT, "clients.export_client"],
    COLLECTOR: [*_VIEW, *_BANK, "clients.view_all_clients", "clients.add_clientevent"],
    TECHNICIAN: [*_VIEW, "clients.view_all_clients", "clients.add_clientevent"],
}

"""What each role may do with clients (Administrador has every permission).

| role        | see clients                 | create/edit | export          | mass update | reactivate |
|-------------|-----------------------------|-------------|-----------------|-------------|------------|
| Facturación | all                         | yes         | all             | no          | no         |
| Vendedor    | only those of its seller    | yes         | only its own    | no          | no         |
| Recaudador  | all (to take payments)      | no          | no              | no          | no         |
| Técnico     | all (to install and repair) | no          | no              | no          | no         |

A Vendedor user that is not linked to a Seller entry sees no clients (clients/scoping.py).

Money and bank data (core.visibility):

| role        | amounts and debt (view_money) | mandates (view_bankmandate) | whole IBAN, BIC, holder |
|-------------|-------------------------------|-----------------------------|-------------------------|
| Facturación | yes                           | yes                         | yes (view_bank_details) |
| Vendedor    | yes                           | yes, IBAN masked            | no                      |
| Recaudador  | yes                           | yes, IBAN masked            | no                      |
| Técnico     | no                            | no                          | no                      |
"""

from ispgest.accounts.roles import BILLING, COLLECTOR, SELLER, TECHNICIAN

_VIEW = [
    "clients.view_client",
    "clients.view_contact",
    "clients.view_gatewayaccount",
    "clients.view_extrafieldvalue",
    "clients.view_clientevent",
]
# Amounts and debt: every role but Técnico.
_MONEY = ["clients.view_money"]
# Bank data: a Técnico sees none; the whole IBAN, BIC and holder are for those who work
# with direct debits (Facturación), everyone else reads the IBAN masked (core.visibility).
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
        *_MONEY,
        "clients.view_bank_details",
        "clients.view_all_clients",
        "clients.export_client",
    ],
    SELLER: [*_VIEW, *_BANK, *_MONEY, *_EDIT, "clients.export_client"],
    COLLECTOR: [*_VIEW, *_BANK, *_MONEY, "clients.view_all_clients", "clients.add_clientevent"],
    TECHNICIAN: [*_VIEW, "clients.view_all_clients", "clients.add_clientevent"],
}

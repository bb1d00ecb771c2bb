"""Routers: Técnico manages them; Facturación and Vendedor only see the list (for contract
forms and filters). Administrador has every permission."""

from ispgest.accounts.roles import BILLING, SELLER, TECHNICIAN

ROLE_PERMISSIONS = {
    TECHNICIAN: ["network.view_router", "network.add_router", "network.change_router"],
    BILLING: ["network.view_router"],
    SELLER: ["network.view_router"],
}

"""Network grants. Only an Administrador (every permission) manages routers; a Técnico
sees them, manages their IP pools and the clients' PPPoE secrets (and may see their
passwords); Facturación and Vendedor only see the router list and a secret's state."""

from ispgest.accounts.roles import BILLING, SELLER, TECHNICIAN

ROLE_PERMISSIONS = {
    TECHNICIAN: [
        "network.view_router",
        "network.view_ippool",
        "network.add_ippool",
        "network.change_ippool",
        "network.delete_ippool",
        "network.view_pppoeaccount",
        "network.add_pppoeaccount",
        "network.change_pppoeaccount",
        "network.delete_pppoeaccount",
        "network.view_pppoe_password",
    ],
    BILLING: ["network.view_router", "network.view_pppoeaccount"],
    SELLER: ["network.view_router", "network.view_pppoeaccount"],
}

"""Who may act on portal accounts. The portal's configuration
(`portal.change_portalsettings`) is for Administrador only, so no role lists it.

| role        | regenerate a client's portal password |
|-------------|---------------------------------------|
| Facturación | yes                                   |
| Vendedor    | yes (only its own clients)            |
| Recaudador  | no                                    |
| Técnico     | yes                                   |
"""

from ispgest.accounts.roles import BILLING, SELLER, TECHNICIAN

ROLE_PERMISSIONS = {
    BILLING: ["clients.regenerate_portal_password"],
    SELLER: ["clients.regenerate_portal_password"],
    TECHNICIAN: ["clients.regenerate_portal_password"],
}

"""What each role may do in the CRM (Administrador has every permission).

| role        | companies (Sociedades)     | prospects, opportunities, activities        |
|-------------|----------------------------|---------------------------------------------|
| Vendedor    | see                        | its own (its Seller's): create, edit, move  |
| Facturación | see, create, edit          | nothing                                      |
| Recaudador  | see                        | nothing                                      |
| Técnico     | nothing                    | nothing                                      |

Sales managers: `crm.view_all_pipeline` lets a user see and work every seller's
opportunities and prospects. Administrador has it; an administrator grants it to chosen
Vendedor users on the "Jefes de ventas" page (a per-user permission, so the role sync after
`migrate` keeps it). Without it a user sees only the rows whose seller is its own Seller
entry, and gets 404 for any other by id, in pages and API alike (crm/selectors.py).

The stage catalog and its transition map are changed by administrators only.
"""

from ispgest.accounts.roles import BILLING, COLLECTOR, SELLER

VIEW_ALL = "crm.view_all_pipeline"

_COMPANY_VIEW = ["crm.view_company"]
_COMPANY_EDIT = ["crm.add_company", "crm.change_company"]
_SALES = [
    "crm.view_prospect",
    "crm.add_prospect",
    "crm.change_prospect",
    "crm.view_prospectevent",
    "crm.view_opportunity",
    "crm.add_opportunity",
    "crm.change_opportunity",
    "crm.view_opportunitystage",
    "crm.view_opportunitystagechange",
    "crm.view_activity",
    "crm.add_activity",
    "crm.change_activity",
]

ROLE_PERMISSIONS = {
    SELLER: [*_SALES, *_COMPANY_VIEW],
    BILLING: [*_COMPANY_VIEW, *_COMPANY_EDIT],
    COLLECTOR: [*_COMPANY_VIEW],
}


def sees_all_pipeline(user) -> bool:
    return user.has_perm(VIEW_ALL)

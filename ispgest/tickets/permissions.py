"""What each role may do with tickets (Administrador has every permission).

| role        | see                          | open | reply, note, status, assign, edit |
|-------------|------------------------------|------|-----------------------------------|
| Técnico     | every client's, internal     | yes  | yes                               |
| Facturación | every client's, internal     | yes  | yes                               |
| Vendedor    | its seller's clients', internal | yes | yes                              |
| Recaudador  | every client's, internal     | yes  | no                                |

Which clients' tickets a user sees follows clients/scoping.py (tickets/selectors.py). The
category catalog and the due times by priority are changed by administrators only
(`tickets.change_ticketcategory`, `tickets.change_priorityduetime`).
"""

from ispgest.accounts.roles import BILLING, COLLECTOR, SELLER, TECHNICIAN

_VIEW = ["tickets.view_ticket", "tickets.view_ticketcategory"]
_OPEN = ["tickets.add_ticket"]
_WORK = ["tickets.change_ticket"]

ROLE_PERMISSIONS = {
    TECHNICIAN: [*_VIEW, *_OPEN, *_WORK],
    BILLING: [*_VIEW, *_OPEN, *_WORK],
    SELLER: [*_VIEW, *_OPEN, *_WORK],
    COLLECTOR: [*_VIEW, *_OPEN],
}

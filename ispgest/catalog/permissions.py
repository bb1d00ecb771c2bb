"""What each role may do with the configuration catalogs (Administrador has every permission).

Changing a catalog (create, edit, deactivate) and the /configuracion/ pages are for
administrators only. Every other role may *read* the catalogs, because its forms (client
record, payments, work orders) pick from them and the API exposes them to its integrations.
"""

from ispgest.accounts.roles import BILLING, COLLECTOR, SELLER, TECHNICIAN

_MODELS = [
    "region",
    "city",
    "neighbourhood",
    "zone",
    "seller",
    "collector",
    "billingentity",
    "pointofsale",
    "taxcondition",
    "invoicetype",
    "allowedinvoicetype",
    "tax",
    "paymentgateway",
    "paymentmethod",
    "billingcycle",
    "extrafield",
    "product",
]
_VIEW = [f"catalog.view_{name}" for name in _MODELS]

ROLE_PERMISSIONS = {BILLING: _VIEW, SELLER: _VIEW, COLLECTOR: _VIEW, TECHNICIAN: _VIEW}

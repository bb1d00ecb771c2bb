"""What each role may do in billing (Administrador: everything).

| role        | may                                                                  |
|-------------|----------------------------------------------------------------------|
| Facturación | everything in billing: runs, invoices, credit notes, payments,       |
|             | wallet, SEPA batches                                                 |
| Recaudador  | view documents; register payments and wallet deposits                |
| Vendedor    | view documents, payments and wallets                                 |
| Técnico     | nothing                                                              |
"""

from ispgest.accounts.roles import BILLING, COLLECTOR, SELLER

_MODELS = [
    "invoice",
    "creditnote",
    "quote",
    "deliverynote",
    "invoiceline",
    "payment",
    "paymentallocation",
    "receipt",
    "wallet",
    "walletmovement",
    "clientbalance",
    "sepabatch",
    "sepabatchitem",
    "numbersequence",
    "billingrun",
    "remindersettings",
]
_ALL = [f"billing.{verb}_{model}" for model in _MODELS for verb in ("view", "add", "change")] + [
    "billing.run_billing",
    "billing.issue_credit_note",
    "billing.manage_sepa",
    "billing.view_invoicereminder",
]
_VIEW = [
    "billing.view_invoice",
    "billing.view_payment",
    "billing.view_wallet",
    "billing.view_walletmovement",
]

ROLE_PERMISSIONS = {
    BILLING: _ALL,
    COLLECTOR: [*_VIEW, "billing.add_payment", "billing.add_walletmovement"],
    SELLER: _VIEW,
}

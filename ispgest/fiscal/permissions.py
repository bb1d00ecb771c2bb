"""What each role may do with the fiscal layer (Administrador: everything, including the
agency environment and the certificate).

| role        | may                                                                    |
|-------------|------------------------------------------------------------------------|
| Facturación | see issuers, records and submissions; send now; anular and subsanar    |
|             | records; export a period                                               |
| others      | nothing                                                                |
"""

from ispgest.accounts.roles import BILLING

ROLE_PERMISSIONS = {
    BILLING: [
        "fiscal.view_issuer",
        "fiscal.view_record",
        "fiscal.view_submission",
        "fiscal.submit_records",
        "fiscal.cancel_record",
        "fiscal.correct_record",
        "fiscal.export_records",
    ],
}

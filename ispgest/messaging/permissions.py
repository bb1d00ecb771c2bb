"""Who may do what with mail and files. Purging a repository file
(`delete_repositoryfile`) and configuring mailboxes (`*_mailbox`) are left to
Administrador, who holds every permission."""

from ispgest.accounts.roles import BILLING, COLLECTOR, SELLER, TECHNICIAN

_MAIL_STAFF = [
    "messaging.view_emailmessage",
    "messaging.add_emailmessage",
    # assigning a received message to a client, retrying a failed one
    "messaging.change_emailmessage",
    "messaging.view_mailtemplate",
    "messaging.view_repositoryfile",
    "messaging.add_repositoryfile",
    # hiding a file
    "messaging.change_repositoryfile",
]

ROLE_PERMISSIONS = {
    BILLING: [*_MAIL_STAFF, "messaging.add_mailtemplate", "messaging.change_mailtemplate"],
    SELLER: list(_MAIL_STAFF),
    COLLECTOR: ["messaging.view_emailmessage", "messaging.view_repositoryfile"],
    TECHNICIAN: [
        "messaging.view_emailmessage",
        "messaging.view_repositoryfile",
        "messaging.add_repositoryfile",
    ],
}

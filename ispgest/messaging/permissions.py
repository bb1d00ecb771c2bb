from ispgest.accounts.roles import BILLING, COLLECTOR, SELLER, TECHNICIAN

ROLE_PERMISSIONS = {
    BILLING: ["messaging.view_emailmessage", "messaging.add_emailmessage"],
    SELLER: ["messaging.view_emailmessage", "messaging.add_emailmessage"],
    COLLECTOR: ["messaging.view_emailmessage"],
    TECHNICIAN: ["messaging.view_emailmessage"],
}

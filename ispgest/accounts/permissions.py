from ispgest.accounts.roles import BILLING, COLLECTOR, SELLER, TECHNICIAN

# Every staff user may manage their own API tokens.
_SELF = ["accounts.add_apitoken", "accounts.view_apitoken"]
ROLE_PERMISSIONS = {BILLING: _SELF, SELLER: _SELF, COLLECTOR: _SELF, TECHNICIAN: _SELF}

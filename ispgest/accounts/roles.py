"""Staff roles as groups with permissions.

Each domain app declares what each role may do in `<app>/permissions.py` as
ROLE_PERMISSIONS = {"Facturación": ["billing.view_invoice", ...]}; this module merges them.
Administrador gets every permission. Groups are synced after every migrate.
"""

from django.contrib.auth.models import Group, Permission

from ispgest.core.modules import app_modules

ADMIN = "Administrador"
BILLING = "Facturación"
SELLER = "Vendedor"
COLLECTOR = "Recaudador"
TECHNICIAN = "Técnico"
ROLES = [ADMIN, BILLING, SELLER, COLLECTOR, TECHNICIAN]


def role_permissions() -> dict[str, set[str]]:
    merged: dict[str, set[str]] = {role: set() for role in ROLES if role != ADMIN}
    for module in app_modules("permissions"):
        for role, perms in getattr(module, "ROLE_PERMISSIONS", {}).items():
            merged.setdefault(role, set()).update(perms)
    return merged


def sync_roles() -> None:
    """Create the role groups and give each exactly its declared permissions."""
    all_perms = {
        f"{p.content_type.app_label}.{p.codename}": p
        for p in Permission.objects.select_related("content_type")
    }
    admin, _ = Group.objects.get_or_create(name=ADMIN)
    admin.permissions.set(all_perms.values())
    for role, names in role_permissions().items():
        group, _ = Group.objects.get_or_create(name=role)
        missing = sorted(n for n in names if n not in all_perms)
        if missing:
            raise LookupError(f"Role {role} names unknown permissions: {missing}")
        group.permissions.set(all_perms[n] for n in names)

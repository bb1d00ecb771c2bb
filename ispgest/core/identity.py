"""The ISP's identity (name, logo, colours, contact data) for e-mails, the portal and PDFs."""

from __future__ import annotations

from ispgest.core.models import IspIdentity


def isp_identity() -> IspIdentity:
    """The one identity row, created with defaults the first time it is read."""
    identity, _ = IspIdentity.objects.get_or_create(pk=1)
    return identity


IDENTITY_FIELDS = ("name", "logo", "primary_color", "accent_color")


def identity_update(*, actor, data: dict) -> dict:
    """Change the ISP's identity (`data` holds some of its fields; a `logo` is the storage
    name of a file the caller checked and stored (core/uploads.py), or False to remove it). Returns {label: [old, new]}
    and writes the audit entry; call inside the caller's transaction."""
    import re

    from django.db import transaction

    from ispgest.core.audit import audit
    from ispgest.core.exceptions import DomainError
    from ispgest.core.models import IspIdentity

    with transaction.atomic():
        identity = IspIdentity.objects.select_for_update().get_or_create(pk=1)[0]
        for name in ("primary_color", "accent_color"):
            if name in data and not re.fullmatch(r"#[0-9a-fA-F]{6}", data[name] or ""):
                label = identity._meta.get_field(name).verbose_name
                raise DomainError(f"{label}: use un color como #0d6efd.", field=name)
        if "name" in data and not (data["name"] or "").strip():
            raise DomainError("Nombre del ISP: este campo es obligatorio.", field="name")
        changes: dict = {}
        for name, value in data.items():
            label = str(identity._meta.get_field(name).verbose_name)
            if name == "logo":
                if value is False and identity.logo:
                    changes[label] = [identity.logo.name, ""]
                    identity.logo.delete(save=False)
                    identity.logo = ""
                elif value:
                    changes[label] = [identity.logo.name or "", value]
                    identity.logo.name = value
                continue
            if getattr(identity, name) != value:
                changes[label] = [str(getattr(identity, name)), str(value)]
                setattr(identity, name, value)
        if changes:
            identity.save()
            audit(actor=actor, action="core.identity_updated", obj=identity, changes=changes)
    return changes

"""The ISP's identity (name, logo, colours, contact data) for e-mails, the portal and PDFs."""

from __future__ import annotations

from ispgest.core.models import IspIdentity


def isp_identity() -> IspIdentity:
    """The one identity row, created with defaults the first time it is read."""
    identity, _ = IspIdentity.objects.get_or_create(pk=1)
    return identity

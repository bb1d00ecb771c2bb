"""Reads of staff users."""

from __future__ import annotations

from django.db.models import QuerySet

from ispgest.accounts.models import User
from ispgest.accounts.roles import TECHNICIAN


def users_with_role(role: str) -> QuerySet[User]:
    """Active staff users holding `role`, by name."""
    return (
        User.objects.filter(is_active=True, groups__name=role)
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


def technicians() -> QuerySet[User]:
    """Who may be named as the technician of an installation."""
    return users_with_role(TECHNICIAN)

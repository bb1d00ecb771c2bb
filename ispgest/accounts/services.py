from django.db import transaction

from ispgest.accounts.models import ApiToken, User


@transaction.atomic
def api_token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """Issue a token for `user`; the raw value is returned once and never stored."""
    return ApiToken.issue(user=user, name=name.strip() or "API")


@transaction.atomic
def api_token_revoke(*, actor: User, token: ApiToken) -> None:
    if token.user_id != actor.pk and not actor.is_superuser:
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied
    if token.revoked_at is None:
        token.revoke()


@transaction.atomic
def user_set_language(*, user: User, language: str) -> None:
    user.language = language
    user.save(update_fields=["language"])

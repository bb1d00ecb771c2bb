"""The portal's own session: a key of its own in the session, never Django's staff login.

A portal login flushes the session (a staff login in the same browser ends) and stores the
account's id plus a hash bound to its password, so changing or regenerating the password
ends every other portal session. A staff login drops the portal keys. Portal pages refuse
staff sessions, and staff pages never see a portal session as logged in.
"""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.signals import user_logged_in
from django.core.exceptions import PermissionDenied
from django.dispatch import receiver
from django.shortcuts import redirect, render
from django.utils.crypto import constant_time_compare
from django.utils.http import url_has_allowed_host_and_scheme

SESSION_KEY = "_portal_account_id"
HASH_KEY = "_portal_account_hash"


def login(request, account) -> None:
    from ispgest.portal.services import session_hash

    request.session.flush()
    request.session[SESSION_KEY] = account.pk
    request.session[HASH_KEY] = session_hash(account)


def logout(request) -> None:
    request.session.flush()


def refresh_session(request, account) -> None:
    """Keep this session after its own password change (the others end)."""
    from ispgest.portal.services import session_hash

    request.session.cycle_key()
    request.session[HASH_KEY] = session_hash(account)


def current_account(request):
    """The portal account of this session, or None (unknown, password changed, client
    deactivated)."""
    from ispgest.portal.selectors import account_for_session
    from ispgest.portal.services import session_hash

    account = account_for_session(request.session.get(SESSION_KEY))
    if account is None or not account.client.is_active:
        return None
    if not constant_time_compare(request.session.get(HASH_KEY, ""), session_hash(account)):
        return None
    return account


def safe_next(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target.startswith("/portal/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def portal_required(section: str = ""):
    """A portal page: a portal session (anonymous -> the portal login, a staff session ->
    403), the portal switched on, and `section` among the sections shown (else 404).
    Sets `request.portal_account`, `request.portal_client` and `request.portal_settings`."""
    from django.http import Http404

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            from ispgest.portal.selectors import portal_settings

            conf = portal_settings()
            if not conf.enabled:
                return render(request, "portal/off.html", {"conf": conf}, status=503)
            if request.user.is_authenticated:
                raise PermissionDenied
            account = current_account(request)
            if account is None:
                from urllib.parse import urlencode

                from django.urls import reverse

                query = urlencode({"next": request.get_full_path()})
                return redirect(f"{reverse('portal:login')}?{query}")
            if section and not conf.shows(section):
                raise Http404
            request.portal_account = account
            request.portal_client = account.client
            request.portal_settings = conf
            return view(request, *args, **kwargs)

        wrapper.portal_view = True
        wrapper.portal_section = section
        return wrapper

    return decorator


def portal_public(view):
    """A portal page without a login (login, reset): still off when the portal is off."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        from ispgest.portal.selectors import portal_settings

        conf = portal_settings()
        if not conf.enabled:
            return render(request, "portal/off.html", {"conf": conf}, status=503)
        request.portal_settings = conf
        return view(request, *args, **kwargs)

    wrapper.portal_public = True
    return wrapper


@receiver(user_logged_in)
def _drop_portal_session(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        request.session.pop(SESSION_KEY, None)
        request.session.pop(HASH_KEY, None)

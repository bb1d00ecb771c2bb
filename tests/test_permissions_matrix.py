"""The role-by-view matrix, walked from the URL resolver so every new view is covered.

Every page view must declare its permissions (`staff_required(...)` sets
`required_permissions`; class views use StaffRequiredMixin/PermissionRequiredMixin), except
the explicit allow-lists below. For each role, a request to a view whose permissions the role
lacks must be refused with 403 (URL arguments are dummies: the check comes before any
lookup), and anonymous users must be sent to the login page. The API's GET operations are
walked the same way with a token of a user without any role.
"""

import re
import uuid

import pytest
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.contrib.auth.models import Permission
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from ispgest.accounts.decorators import StaffRequiredMixin
from ispgest.accounts.models import ApiToken
from ispgest.accounts.roles import ROLES

pytestmark = pytest.mark.django_db

# Views anyone may open (no login): the login itself, health probes, the language switch.
PUBLIC = {"accounts:login", "accounts:logout", "healthz", "set_language"}
# Views any logged-in staff user may open (they show only the user's own data).
LOGIN_ONLY = {"home"}
# Namespaces with their own walk: the API (below, and per domain) and the subscriber portal
# (its own sessions, walked below with portal, staff and anonymous requests).
OTHER_NAMESPACES = {"api", "portal"}

DUMMY = {
    "int": "999999",
    "str": "x",
    "slug": "x",
    "path": "x",
    "uuid": str(uuid.UUID(int=0)),
}


def _walk(patterns, prefix="", namespace=None):
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = p.namespace if p.namespace else None
            full_ns = ":".join(x for x in (namespace, ns) if x) or None
            yield from _walk(p.url_patterns, prefix + str(p.pattern), full_ns)
        elif isinstance(p, URLPattern):
            name = f"{namespace}:{p.name}" if namespace and p.name else p.name
            yield prefix + str(p.pattern), namespace, name, p.callback


def _dummy_url(route: str) -> str | None:
    if route.startswith("^") or "(?P" in route:
        return None  # regex routes: static files only
    return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", lambda m: DUMMY.get(m.group(1) or "str", "x"), route)


def _required(callback):
    """The view's declared permissions, or None when it declares nothing."""
    if hasattr(callback, "required_permissions"):
        return tuple(callback.required_permissions)
    view_class = getattr(callback, "view_class", None)
    if view_class is not None and issubclass(
        view_class, StaffRequiredMixin | PermissionRequiredMixin
    ):
        perms = view_class.permission_required
        return (perms,) if isinstance(perms, str) else tuple(perms)
    return None


def _staff_views():
    views = []
    for route, namespace, name, callback in _walk(get_resolver().url_patterns):
        top = (namespace or "").split(":")[0]
        if top in OTHER_NAMESPACES or name in PUBLIC or route.startswith(("static/", "media/")):
            continue
        url = _dummy_url(route)
        if url is None:
            continue
        views.append((name or route, url, _required(callback)))
    return views


def test_every_staff_view_declares_its_permissions():
    unprotected = [
        name for name, _url, perms in _staff_views() if perms is None and name not in LOGIN_ONLY
    ]
    assert unprotected == [], f"Vistas sin permisos declarados: {unprotected}"


def test_every_declared_permission_exists():
    known = {
        f"{app}.{code}"
        for app, code in Permission.objects.values_list("content_type__app_label", "codename")
    }
    unknown = sorted(
        {(name, p) for name, _url, perms in _staff_views() for p in perms or () if p not in known}
    )
    assert unknown == []


def _get_or_post(client, url):
    response = client.get(url)
    if response.status_code == 405:
        response = client.post(url)
    return response


def test_anonymous_users_are_sent_to_login():
    from django.test import Client

    client = Client()
    login = reverse("accounts:login")
    wrong = []
    for name, url, _perms in _staff_views():
        response = _get_or_post(client, url)
        if response.status_code != 302 or not response.url.startswith(login):
            wrong.append((name, url, response.status_code))
    assert wrong == []


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_403_where_it_lacks_the_permission(client, make_user, role):
    user = make_user(role)
    client.force_login(user)
    granted = user.get_all_permissions()
    checked, wrong = 0, []
    for name, url, perms in _staff_views():
        if not perms or set(perms) <= granted:
            continue
        checked += 1
        response = _get_or_post(client, url)
        if response.status_code != 403:
            wrong.append((name, url, response.status_code))
    assert wrong == []
    if role == "Administrador":
        assert checked == 0
    else:
        assert checked > 0


def test_a_seller_gets_403_on_every_catalog_page(client, make_user):
    client.force_login(make_user("Vendedor"))
    catalog = [(n, u) for n, u, _p in _staff_views() if n and n.startswith("catalog:")]
    assert len(catalog) > 75
    assert {n: _get_or_post(client, u).status_code for n, u in catalog} == {
        n: 403 for n, _u in catalog
    }


def _api_get_operations():
    from ispgest.api.base import api

    ops = []
    for prefix, router in api._routers:
        for path, path_view in router.path_operations.items():
            for op in path_view.operations:
                if "GET" not in op.methods:
                    continue
                url = "/api/v1" + (prefix + path).replace("//", "/")
                url = re.sub(r"\{(?:(\w+):)?(\w+)\}", lambda m: DUMMY["int"], url)
                ops.append((op.view_func.__name__, url, _required_query(op)))
    return ops


def _required_query(op) -> dict:
    """Dummy values for required query parameters, so validation does not answer first."""
    values = {}
    for model in op.signature.models:
        if getattr(model, "__ninja_param_source__", "") != "query":
            continue
        for name, field in model.model_fields.items():
            if field.is_required():
                annotation = str(field.annotation)
                values[field.alias or name] = (
                    "1" if "int" in annotation else "2026-01-01" if "date" in annotation else "x"
                )
    return values


def test_every_api_get_refuses_a_user_without_role_and_requests_without_token(client, make_user):
    user = make_user(None)
    _token, raw = ApiToken.issue(user=user, name="matriz")
    ops = _api_get_operations()
    assert len(ops) > 30
    wrong = []
    for name, url, query in ops:
        anonymous = client.get(url, query)
        with_token = client.get(url, query, HTTP_AUTHORIZATION=f"Bearer {raw}")
        if anonymous.status_code != 401 or with_token.status_code != 403:
            wrong.append((name, url, anonymous.status_code, with_token.status_code))
    assert wrong == []


def _portal_views():
    views = []
    for route, namespace, name, callback in _walk(get_resolver().url_patterns):
        if (namespace or "").split(":")[0] != "portal":
            continue
        url = _dummy_url(route)
        if url is not None:
            kind = (
                "portal"
                if getattr(callback, "portal_view", False)
                else "public"
                if getattr(callback, "portal_public", False)
                else None
            )
            views.append((name, url, kind))
    return views


def test_every_portal_view_declares_its_guard():
    views = _portal_views()
    assert len([v for v in views if v[2] == "portal"]) >= 9
    assert [name for name, _url, kind in views if kind is None] == []


def _portal_session(client):
    from ispgest.clients.models import Client
    from ispgest.portal.auth import HASH_KEY, SESSION_KEY
    from ispgest.portal.models import PortalAccount
    from ispgest.portal.services import session_hash

    subscriber = Client.objects.create(name="Abonada", email="abonada@example.test")
    account = PortalAccount.objects.create(client=subscriber, password="argon2$x")
    session = client.session
    session[SESSION_KEY] = account.pk
    session[HASH_KEY] = session_hash(account)
    session.save()
    return client


def test_portal_pages_send_anonymous_requests_to_the_portal_login(client):
    login = reverse("portal:login")
    wrong = []
    for name, url, kind in _portal_views():
        if kind != "portal":
            continue
        response = _get_or_post(client, url)
        if response.status_code != 302 or not response.url.startswith(login):
            wrong.append((name, url, response.status_code))
    assert wrong == []


@pytest.mark.parametrize("role", ROLES)
def test_staff_sessions_get_403_on_every_portal_page(client, make_user, role):
    client.force_login(make_user(role))
    wrong = [
        (name, url, code)
        for name, url, kind in _portal_views()
        if kind == "portal" and (code := _get_or_post(client, url).status_code) != 403
    ]
    assert wrong == []


def test_a_portal_session_opens_portal_pages_and_no_staff_page(client):
    _portal_session(client)
    wrong = []
    for name, url, kind in _portal_views():
        if kind != "portal":
            continue
        code = _get_or_post(client, url).status_code
        # Dummy ids are nobody's: 404; pages without ids answer.
        if code not in (200, 302, 404):
            wrong.append((name, url, code))
    login = reverse("accounts:login")
    for name, url, _perms in _staff_views():
        response = _get_or_post(client, url)
        if response.status_code != 302 or not response.url.startswith(login):
            wrong.append((name, url, response.status_code))
    assert wrong == []


def test_the_walk_notices_an_unprotected_view():
    """The checks above can fail: a bare view or a plain class view declares nothing."""
    from django.views.generic import TemplateView

    from ispgest.accounts.decorators import staff_required

    def bare(request):
        return None

    class Plain(TemplateView):
        pass

    class Guarded(StaffRequiredMixin, TemplateView):
        permission_required = ("catalog.change_zone",)

    assert _required(bare) is None
    assert _required(Plain.as_view()) is None
    assert _required(staff_required("catalog.view_zone")(bare)) == ("catalog.view_zone",)
    assert _required(Guarded.as_view()) == ("catalog.change_zone",)
    assert (
        _dummy_url("configuracion/zonas/<int:pk>/editar/") == "/configuracion/zonas/999999/editar/"
    )

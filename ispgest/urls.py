from importlib.util import find_spec

from django.urls import include, path

from ispgest.api.base import api
from ispgest.core import views as core_views

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("cuenta/", include("ispgest.accounts.urls")),
    path("api/v1/", api.urls),
]
# Staff pages of apps whose own prefix is not for staff (the portal's is for clients).
if find_spec("ispgest.portal.staff_urls"):
    urlpatterns.append(path("", include("ispgest.portal.staff_urls")))

# Each domain app mounts its pages under its Spanish prefix when it has a urls module.
_APP_PREFIXES = {
    "catalog": "configuracion/",
    "clients": "clientes/",
    "contracts": "contratos/",
    "billing": "facturacion/",
    "network": "red/",
    "crm": "crm/",
    "messaging": "correo/",
    "tickets": "tickets/",
    "fiscal": "fiscal/",
    "webhooks": "webhooks/",
    "ops": "operaciones/",
    "portal": "portal/",
}
for _app, _prefix in _APP_PREFIXES.items():
    if find_spec(f"ispgest.{_app}.urls"):
        urlpatterns.append(path(_prefix, include(f"ispgest.{_app}.urls")))

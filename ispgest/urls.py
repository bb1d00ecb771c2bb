from django.urls import include, path

from ispgest.api.base import api
from ispgest.core import views as core_views

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("cuenta/", include("ispgest.accounts.urls")),
    path("api/v1/", api.urls),
    # Staff pages of apps whose own prefix is not for staff (the portal's is for clients).
    path("", include("ispgest.portal.staff_urls")),
    # Each domain app's pages under its Spanish prefix.
    path("configuracion/", include("ispgest.catalog.urls")),
    path("clientes/", include("ispgest.clients.urls")),
    path("contratos/", include("ispgest.contracts.urls")),
    path("facturacion/", include("ispgest.billing.urls")),
    path("red/", include("ispgest.network.urls")),
    path("crm/", include("ispgest.crm.urls")),
    path("correo/", include("ispgest.messaging.urls")),
    path("tickets/", include("ispgest.tickets.urls")),
    path("fiscal/", include("ispgest.fiscal.urls")),
    path("webhooks/", include("ispgest.webhooks.urls")),
    path("operaciones/", include("ispgest.ops.urls")),
    path("portal/", include("ispgest.portal.urls")),
]

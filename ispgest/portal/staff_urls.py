"""Staff pages of the portal app, mounted at the site root beside the other apps' pages."""

from django.urls import path

from ispgest.portal import staff_views

app_name = "portal_staff"
urlpatterns = [
    path(
        "clientes/<int:pk>/regenerar-contrasena/",
        staff_views.regenerate_password,
        name="regenerate_password",
    ),
    path("configuracion/portal/", staff_views.settings_page, name="settings"),
]

from django.urls import path

from ispgest.portal import views, views_auth, views_tickets

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("entrar/", views_auth.login, name="login"),
    path("salir/", views_auth.logout, name="logout"),
    path("olvide-contrasena/", views_auth.reset_request, name="reset_request"),
    path("restablecer/<str:token>/", views_auth.reset_confirm, name="reset_confirm"),
    path("logo/", views_auth.logo, name="logo"),
    path("facturas/", views.invoices, name="invoices"),
    path("facturas/<int:pk>/pdf/", views.invoice_pdf, name="invoice_pdf"),
    path("pagos/", views.payments, name="payments"),
    path("pagos/<int:pk>/recibo/", views.receipt_pdf, name="receipt_pdf"),
    path("monedero/", views.wallet, name="wallet"),
    path("contratos/", views.contract_list, name="contracts"),
    path("consumo/", views.usage, name="usage"),
    path("tickets/", views_tickets.ticket_list, name="tickets"),
    path("tickets/nuevo/", views_tickets.ticket_new, name="ticket_new"),
    path("tickets/<int:pk>/", views_tickets.ticket_detail, name="ticket_detail"),
    path("tickets/adjuntos/<int:pk>/", views_tickets.ticket_attachment, name="ticket_attachment"),
    path("pasarelas/", views.gateways, name="gateways"),
    path("perfil/", views.profile, name="profile"),
]

from django.urls import path

from ispgest.billing import views

app_name = "billing"
urlpatterns = [
    path("", views.home, name="home"),
    path("documentos/", views.invoice_list, name="invoice_list"),
    path("documentos/<int:pk>/", views.invoice_detail, name="invoice_detail"),
    path("documentos/<int:pk>/pdf/", views.invoice_pdf, name="invoice_pdf"),
    path(
        "documentos/<int:pk>/nota-de-credito/", views.credit_note_create, name="credit_note_create"
    ),
    path("pagos/", views.payment_list, name="payment_list"),
    path("recordatorios/", views.reminder_settings, name="reminder_settings"),
    path("pagos/<int:pk>/recibo.pdf", views.receipt_pdf_view, name="receipt_pdf"),
    path("facturacion-periodica/nueva/", views.run_start, name="run_start"),
    path("facturacion-periodica/<int:pk>/", views.run_detail, name="run_detail"),
    path("facturacion-periodica/<int:pk>/progreso/", views.run_progress, name="run_progress"),
    path("clientes/<int:client_pk>/crear-factura/", views.invoice_create, name="invoice_create"),
    path("clientes/<int:client_pk>/pagos/nuevo/", views.payment_create, name="payment_create"),
    path("clientes/<int:client_pk>/monedero/", views.wallet, name="wallet"),
    path(
        "clientes/<int:client_pk>/monedero/<int:movement_pk>/corregir/",
        views.wallet_reverse,
        name="wallet_reverse",
    ),
    path("clientes/<int:client_pk>/proximo-previo/", views.preview, name="preview"),
    path(
        "paquetes/<int:pk>/documento/<str:kind>/",
        views.document_from_package,
        name="document_from_package",
    ),
    path("sepa/nueva/", views.sepa_new, name="sepa_new"),
    path("sepa/devoluciones/", views.sepa_returns_import, name="sepa_returns_import"),
    path("sepa/<int:pk>/", views.sepa_detail, name="sepa_detail"),
    path("sepa/<int:pk>/xml/", views.sepa_xml, name="sepa_xml"),
    path("sepa/adeudos/<int:item_pk>/devolucion/", views.sepa_return, name="sepa_return"),
]

from django.urls import path

from ispgest.fiscal import views

app_name = "fiscal"
urlpatterns = [
    path("", views.home, name="home"),
    path("emisores/<int:pk>/", views.issuer_detail, name="issuer_detail"),
    path("emisores/<int:pk>/configuracion/", views.issuer_settings, name="issuer_settings"),
    path("emisores/<int:pk>/certificado/", views.issuer_certificate, name="issuer_certificate"),
    path("emisores/<int:pk>/enviar/", views.issuer_submit, name="issuer_submit"),
    path("emisores/<int:pk>/verificar/", views.issuer_verify, name="issuer_verify"),
    path("registros/<int:pk>/", views.record_detail, name="record_detail"),
    path("registros/<int:pk>/xml/", views.record_xml, name="record_xml"),
    path("registros/<int:pk>/subsanar/", views.record_correct, name="record_correct"),
    path("documentos/<int:invoice_pk>/anular/", views.record_cancel, name="record_cancel"),
    path("envios/<int:pk>/", views.submission_detail, name="submission_detail"),
    path("exportar/", views.export_period, name="export"),
]

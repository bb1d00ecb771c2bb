from django.urls import path

from ispgest.messaging import views

app_name = "messaging"

urlpatterns = [
    path(
        "clientes/<int:client_id>/repositorio/subir/",
        views.repository_upload,
        name="repository_upload",
    ),
    path("repositorio/<int:pk>/descargar/", views.repository_download, name="repository_download"),
    path("repositorio/<int:pk>/quitar/", views.repository_hide, name="repository_hide"),
    path("repositorio/<int:pk>/eliminar/", views.repository_purge, name="repository_purge"),
    path("clientes/<int:client_id>/enviar/", views.client_mail_send, name="client_send"),
    path("mensajes/<int:pk>/", views.message_detail, name="message_detail"),
    path("mensajes/<int:pk>/reintentar/", views.message_retry, name="message_retry"),
    path("mensajes/<int:pk>/responder/", views.message_reply, name="message_reply"),
    path("adjuntos/<int:pk>/", views.attachment_download, name="attachment_download"),
    path("sin-asignar/", views.unassigned_list, name="unassigned_list"),
    path("sin-asignar/<int:pk>/", views.unassigned_detail, name="unassigned_detail"),
    path("buzones/", views.mailbox_list, name="mailbox_list"),
    path("buzones/nuevo/", views.mailbox_create, name="mailbox_create"),
    path("buzones/<int:pk>/", views.mailbox_edit, name="mailbox_edit"),
    path("buzones/<int:pk>/consultar/", views.mailbox_poll, name="mailbox_poll"),
    path("plantillas/", views.template_list, name="template_list"),
    path("plantillas/nueva/", views.template_create, name="template_create"),
    path("plantillas/<int:pk>/", views.template_edit, name="template_edit"),
]

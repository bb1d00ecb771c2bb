"""URLs of the client list: search, mass update, export, job progress, export download."""

from django.urls import path

from ispgest.clients import views_list

urlpatterns = [
    path("", views_list.client_list, name="list"),
    path("actualizacion-masiva/", views_list.mass_update, name="mass_update"),
    path("exportar/", views_list.export, name="export"),
    path("trabajos/<int:pk>/", views_list.job_status, name="job"),
    path("exportaciones/<int:pk>/descargar/", views_list.export_download, name="export_download"),
]

"""URLs of the client list: search, mass update, export, job progress, export download."""

from django.urls import path

from ispgest.clients import views_import, views_list

urlpatterns = [
    path("", views_list.client_list, name="list"),
    path("actualizacion-masiva/", views_list.mass_update, name="mass_update"),
    path("exportar/", views_list.export, name="export"),
    path("trabajos/<int:pk>/", views_list.job_status, name="job"),
    path("importar/", views_import.import_start, name="import"),
    path("importar/<int:pk>/", views_import.import_detail, name="import_detail"),
    path("importar/<int:pk>/deshacer/", views_import.import_undo, name="import_undo"),
    path("exportaciones/<int:pk>/descargar/", views_list.export_download, name="export_download"),
]

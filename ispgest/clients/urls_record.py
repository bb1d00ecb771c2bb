"""URLs of one client's record (the list, search, mass update and export are in urls_list)."""

from django.urls import path

from ispgest.clients import views

urlpatterns = [
    path("nuevo/", views.client_create, name="create"),
    path("campos-nombre/", views.client_name_fields, name="name_fields"),
    path("<int:pk>/", views.client_detail, name="detail"),
    path("<int:pk>/seccion/<slug:section>/", views.client_section, name="section"),
    path("buscar-cliente/", views.client_jump, name="jump"),
    path("opciones/", views.client_choices, name="choices"),
    path("<int:pk>/editar/", views.client_edit, name="edit"),
    path("<int:pk>/desactivar/", views.client_deactivate, name="deactivate"),
    path("<int:pk>/reactivar/", views.client_reactivate, name="reactivate"),
    path("<int:pk>/historial/nuevo/", views.event_create, name="event_create"),
    path("<int:pk>/historial/<int:event_id>/editar/", views.event_edit, name="event_edit"),
    path("<int:pk>/historial/<int:event_id>/borrar/", views.event_delete, name="event_delete"),
]

"""Staff user management, mounted by catalog/urls.py under /configuracion/usuarios/."""

from django.urls import path

from ispgest.catalog import staff_views

urlpatterns = [
    path("", staff_views.user_list, name="user_list"),
    path("nuevo/", staff_views.user_create, name="user_create"),
    path("<int:pk>/editar/", staff_views.user_update, name="user_update"),
    path("<int:pk>/desactivar/", staff_views.user_deactivate, name="user_deactivate"),
    path("<int:pk>/reactivar/", staff_views.user_reactivate, name="user_reactivate"),
]

from django.urls import path

from ispgest.network import views

app_name = "network"
urlpatterns = [
    path("", views.router_list, name="home"),
    path("routers/nuevo/", views.router_create, name="router_create"),
    path("routers/<int:pk>/editar/", views.router_edit, name="router_edit"),
    path("routers/<int:pk>/desactivar/", views.router_deactivate, name="router_deactivate"),
]

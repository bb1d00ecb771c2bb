from django.urls import path

from ispgest.network import views

app_name = "network"
urlpatterns = [
    path("", views.router_list, name="home"),
    path("routers/nuevo/", views.router_create, name="router_create"),
    path("routers/<int:pk>/editar/", views.router_edit, name="router_edit"),
    path("routers/<int:pk>/desactivar/", views.router_deactivate, name="router_deactivate"),
    path("routers/<int:pk>/", views.router_detail, name="router_detail"),
    path("routers/<int:pk>/probar/", views.router_probe, name="router_probe"),
    path("routers/<int:pk>/sincronizar/", views.router_sync_now, name="router_sync"),
    path("routers/<int:pk>/pools/nuevo/", views.pool_create, name="pool_create"),
    path("pools/<int:pk>/editar/", views.pool_edit, name="pool_edit"),
    path("pools/<int:pk>/borrar/", views.pool_delete, name="pool_delete"),
]

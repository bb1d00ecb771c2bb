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
    path("routers/<int:pk>/conciliacion/", views.reconcile, name="reconcile"),
    path("contratos/<int:pk>/pppoe/", views.pppoe_save, name="pppoe_save"),
    path("pppoe/<int:pk>/estado/", views.pppoe_status, name="pppoe_status"),
    path("pppoe/<int:pk>/ping/", views.pppoe_ping, name="pppoe_ping"),
    path("pppoe/<int:pk>/reiniciar/", views.pppoe_kick, name="pppoe_kick"),
    path("pppoe/<int:pk>/sin-conexion/", views.pppoe_suspend, name="pppoe_suspend"),
    path("pppoe/<int:pk>/con-conexion/", views.pppoe_restore, name="pppoe_restore"),
    path("pppoe/<int:pk>/eliminar/", views.pppoe_delete, name="pppoe_delete"),
    path("pppoe/<int:pk>/adoptar/", views.pppoe_adopt, name="pppoe_adopt"),
    path("pppoe/<int:pk>/reintentar/", views.pppoe_retry, name="pppoe_retry"),
    path("cortes/", views.cutoff_list, name="cutoff_list"),
    path("cortes/nueva/", views.cutoff_create, name="cutoff_create"),
    path("cortes/<int:pk>/editar/", views.cutoff_edit, name="cutoff_edit"),
    path("cortes/<int:pk>/desactivar/", views.cutoff_deactivate, name="cutoff_deactivate"),
]

from django.urls import path

from ispgest.contracts import views

app_name = "contracts"
urlpatterns = [
    path("", views.contract_list, name="list"),
    path("<int:pk>/", views.contract_detail, name="detail"),
    path("<int:pk>/editar/", views.contract_edit, name="edit"),
    path("<int:pk>/estado/", views.contract_transition, name="transition"),
    path("<int:pk>/tarifa/", views.contract_assign_plan, name="assign_plan"),
    path("cliente/<int:client_id>/", views.client_contracts_page, name="client"),
    path("cliente/<int:client_id>/nuevo/", views.contract_create, name="create"),
    path("cliente/<int:client_id>/tarifa/", views.client_assign_plan, name="client_assign_plan"),
    path("cliente/<int:client_id>/equipos/nuevo/", views.equipment_create, name="equipment_create"),
    path(
        "cliente/<int:client_id>/renovaciones/asignar/",
        views.package_assign,
        name="package_assign",
    ),
    path(
        "cliente/<int:client_id>/documentos/subir/",
        views.document_upload,
        name="document_upload",
    ),
    path("equipos/<int:pk>/editar/", views.equipment_edit, name="equipment_edit"),
    path("equipos/<int:pk>/estado/", views.equipment_status, name="equipment_status"),
    path(
        "renovaciones/<int:pk>/imprimir/",
        views.package_assignment_print,
        name="package_assignment_print",
    ),
    path(
        "renovaciones/<int:pk>/configurar/",
        views.package_assignment_configure,
        name="package_assignment_configure",
    ),
    path(
        "renovaciones/<int:pk>/editar/",
        views.package_assignment_edit,
        name="package_assignment_edit",
    ),
    path(
        "renovaciones/<int:pk>/eliminar/",
        views.package_assignment_remove,
        name="package_assignment_remove",
    ),
    path("documentos/<int:pk>/descargar/", views.document_download, name="document_download"),
    path("tarifas/", views.plan_list, name="plan_list"),
    path("tarifas/nueva/", views.plan_create, name="plan_create"),
    path("tarifas/<int:pk>/editar/", views.plan_edit, name="plan_edit"),
    path("tarifas/<int:pk>/baja/", views.plan_deactivate, name="plan_deactivate"),
    path("paquetes/", views.package_list, name="package_list"),
    path("paquetes/nuevo/", views.package_create, name="package_create"),
    path("paquetes/<int:pk>/editar/", views.package_edit, name="package_edit"),
]

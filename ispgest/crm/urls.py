from django.urls import path

from ispgest.crm import views

app_name = "crm"
urlpatterns = [
    path("", views.pipeline, name="home"),
    path("embudo/", views.pipeline, name="pipeline"),
    path("oportunidades/nueva/", views.opportunity_create, name="opportunity_create"),
    path("oportunidades/<int:pk>/", views.opportunity_detail, name="opportunity_detail"),
    path("oportunidades/<int:pk>/editar/", views.opportunity_edit, name="opportunity_edit"),
    path("oportunidades/<int:pk>/mover/", views.opportunity_move, name="opportunity_move"),
    path(
        "oportunidades/<int:pk>/contrato/", views.opportunity_contract, name="opportunity_contract"
    ),
    path("actuaciones/nueva/<str:kind>/<int:pk>/", views.activity_create, name="activity_create"),
    path("actuaciones/<int:pk>/editar/", views.activity_edit, name="activity_edit"),
    path("actuaciones/<int:pk>/hecha/", views.activity_done, name="activity_done"),
    path("actuaciones/mias/", views.my_activities, name="my_activities"),
    path("prospectos/", views.prospect_list, name="prospect_list"),
    path("prospectos/nuevo/", views.prospect_create, name="prospect_create"),
    path("prospectos/<int:pk>/", views.prospect_detail, name="prospect_detail"),
    path("prospectos/<int:pk>/editar/", views.prospect_edit, name="prospect_edit"),
    path("prospectos/<int:pk>/descartar/", views.prospect_discard, name="prospect_discard"),
    path("prospectos/<int:pk>/reabrir/", views.prospect_reopen, name="prospect_reopen"),
    path("sociedades/cliente/<int:client_id>/nueva/", views.company_create, name="company_create"),
    path("sociedades/<int:pk>/", views.company_detail, name="company_detail"),
    path(
        "sociedades/<int:pk>/seccion/<str:section>/",
        views.company_section_save,
        name="company_section_save",
    ),
    path("sociedades/<int:pk>/baja/", views.company_deactivate, name="company_deactivate"),
    path(
        "sociedades/<int:pk>/<str:kind>/nuevo/", views.company_child_add, name="company_child_add"
    ),
    path(
        "sociedades/<int:pk>/<str:kind>/<int:child_id>/quitar/",
        views.company_child_remove,
        name="company_child_remove",
    ),
    path("etapas/", views.stage_list, name="stage_list"),
    path("etapas/nueva/", views.stage_create, name="stage_create"),
    path("etapas/<int:pk>/editar/", views.stage_edit, name="stage_edit"),
    path("jefes-de-ventas/", views.managers, name="managers"),
]

from django.urls import include, path

from ispgest.accounts import audit_views
from ispgest.catalog import views
from ispgest.catalog.registry import CATALOGS

app_name = "catalog"

urlpatterns = [path("", views.index, name="index")]
for _config in CATALOGS:
    _views = views.make_views(_config)
    urlpatterns += [
        path(f"{_config.slug}/", _views["list"], name=f"{_config.key}_list"),
        path(f"{_config.slug}/nuevo/", _views["create"], name=f"{_config.key}_create"),
        path(f"{_config.slug}/<int:pk>/editar/", _views["update"], name=f"{_config.key}_update"),
        path(
            f"{_config.slug}/<int:pk>/desactivar/",
            _views["deactivate"],
            name=f"{_config.key}_deactivate",
        ),
        path(
            f"{_config.slug}/<int:pk>/reactivar/",
            _views["reactivate"],
            name=f"{_config.key}_reactivate",
        ),
    ]
urlpatterns += [
    path("razones-sociales/<int:pk>/", views.billing_entity_detail, name="billingentity_detail"),
    path(
        "razones-sociales/<int:pk>/puntos-de-venta/nuevo/",
        views.point_of_sale_create,
        name="pointofsale_create",
    ),
    path(
        "razones-sociales/<int:pk>/puntos-de-venta/<int:pos_pk>/editar/",
        views.point_of_sale_update,
        name="pointofsale_update",
    ),
    path(
        "razones-sociales/<int:pk>/puntos-de-venta/<int:pos_pk>/activar/",
        views.point_of_sale_toggle,
        name="pointofsale_toggle",
    ),
    path(
        "razones-sociales/<int:pk>/tipos-permitidos/",
        views.allowed_invoice_types,
        name="allowed_invoice_types",
    ),
    path("usuarios/", include("ispgest.catalog.staff_urls")),
    path("auditoria/", audit_views.audit_list, name="audit"),
]

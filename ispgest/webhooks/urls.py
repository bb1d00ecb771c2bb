from django.urls import path

from ispgest.webhooks import views

app_name = "webhooks"
urlpatterns = [
    path("", views.subscription_list, name="list"),
    path("nuevo/", views.subscription_create, name="create"),
    path("<int:pk>/", views.subscription_detail, name="detail"),
    path("<int:pk>/editar/", views.subscription_edit, name="edit"),
    path("<int:pk>/prueba/", views.subscription_test, name="test"),
    path("entregas/<int:pk>/reenviar/", views.delivery_redeliver, name="redeliver"),
]

from django.contrib.auth import views as auth_views
from django.urls import path

from ispgest.accounts import views

app_name = "accounts"
urlpatterns = [
    path(
        "entrar/",
        auth_views.LoginView.as_view(
            template_name="accounts/login.html", redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("salir/", auth_views.LogoutView.as_view(), name="logout"),
    path("perfil/", views.profile, name="profile"),
    path("perfil/tokens/<int:pk>/revocar/", views.token_revoke, name="token_revoke"),
]

from django.urls import path

from . import views

app_name = "grids"
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("password/set/<uidb64>/<token>/", views.PasswordSetView.as_view(), name="password_set"),
    path("login/otp/setup/", views.otp_setup, name="otp_setup"),
    path("login/otp/", views.otp_verify, name="otp_verify"),
    path("session/keepalive/", views.keepalive, name="keepalive"),
]

from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/login/", views.RateLimitedLoginView.as_view(), name="login"),
    path("dashboard/", views.dashboard, name="dashboard"),
]

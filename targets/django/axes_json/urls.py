from django.urls import path

from . import views

urlpatterns = [
    path("", views.index),
    path("api/v1/auth/login/", views.login_view),
    path("api/v1/stock/", views.stock),
]

from django.urls import path
from rest_framework.authtoken import views as authtoken_views

from . import views

urlpatterns = [
    path("", views.api_root),
    path("api/auth/token/", authtoken_views.obtain_auth_token),
    path("api/jobs/", views.JobList.as_view()),
]

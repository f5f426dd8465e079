"""Warehouse API: a plain-Django JSON sign-in guarded by django-axes, per username only.

Models a small JSON API written with plain Django views: POST
/api/v1/auth/login/ reads ``{"username", "password"}``, calls
``django.contrib.auth.authenticate(request, ...)`` and logs the user in
(session cookie). django-axes is installed following its docs (AxesMiddleware
last, AxesStandaloneBackend first) with ``AXES_LOCKOUT_PARAMETERS =
["username"]`` and ``AXES_FAILURE_LIMIT = 5``: a username is locked for 30
minutes after 5 failures from anyone, existing or not. Axes answers a locked
username with its stock 429 "Account locked: too many login attempts. Contact
an admin to unlock your account." and no Retry-After. Nothing counts failures
per client, so one password tried across many usernames is never slowed: the
protection is per account only, exactly what password spraying walks around.

Credential failures get one generic 401 ``{"error": "Invalid username or
password"}``; ModelBackend hashes the password for unknown users too.

A correct keyhole scan must report: ``rate-limit.spraying-unthrottled`` and
``rate-limit.no-retry-after``.
"""

import json

from django.contrib.auth import authenticate, login
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST


@require_GET
def index(request):
    return JsonResponse({"service": "warehouse", "version": "0.9.3"})


@csrf_exempt
@require_POST
def login_view(request):
    try:
        data = json.loads(request.body or b"{}")
    except ValueError:
        return JsonResponse({"error": "Request body must be JSON"}, status=400)
    if not isinstance(data, dict):
        return JsonResponse({"error": "Request body must be a JSON object"}, status=400)
    username = data.get("username")
    password = data.get("password")
    if not isinstance(username, str) or not isinstance(password, str) or not username or not password:
        return JsonResponse({"error": "username and password are required"}, status=400)
    user = authenticate(request, username=username, password=password)
    if user is None:
        return JsonResponse({"error": "Invalid username or password"}, status=401)
    login(request, user)
    return JsonResponse({"username": user.get_username()})


@require_GET
def stock(request):
    if not request.user.is_authenticated:
        return JsonResponse({"error": "Authentication required"}, status=401)
    return JsonResponse({"items": [{"sku": "A-100", "qty": 12}]})

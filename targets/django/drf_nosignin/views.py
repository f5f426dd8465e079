"""Catalogue API: Django REST framework with token authentication and no sign-in at all.

Models a machine-to-machine DRF API: every resource under /api/ requires
``TokenAuthentication`` (tokens are issued out of band, by an operator running
``manage.py drf_create_token``), so the router's endpoints answer 401
``{"detail": "Authentication credentials were not provided."}`` with
``WWW-Authenticate: Token``, and a bad token gets 401 "Invalid token.". There is
no endpoint that takes a username and a password: no token-obtain view, no
login page, no Basic or Digest challenge (``Token`` is not one), no OpenAPI
document. Credential-flavoured 401s everywhere, but nothing to spray.

A correct keyhole scan must find no sign-in surface, report no findings, and
say plainly that the checks were not applicable.
"""

from rest_framework import viewsets
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

PRODUCTS = [
    {"id": 1, "sku": "KB-01", "name": "Keyboard", "price": "49.00"},
    {"id": 2, "sku": "MS-02", "name": "Mouse", "price": "19.00"},
]


@api_view(["GET"])
@permission_classes([AllowAny])
def index(request):
    return Response({"service": "catalogue", "api": "/api/", "auth": "Token"})


@api_view(["GET"])
@permission_classes([AllowAny])
def health(request):
    return Response({"status": "ok"})


class ProductViewSet(viewsets.ViewSet):
    def list(self, request):
        return Response(PRODUCTS)

    def retrieve(self, request, pk=None):
        return Response(next((p for p in PRODUCTS if str(p["id"]) == pk), {}))


class OrderViewSet(viewsets.ViewSet):
    def list(self, request):
        return Response([])

    def create(self, request):
        return Response({"id": 1, **request.data}, status=201)

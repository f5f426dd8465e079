"""Field-service API: DRF token sign-in with django-axes, whose lockout never shows.

Models a Django REST framework API that issues tokens with DRF's stock
``obtain_auth_token`` at POST /api/auth/token/ (form or JSON ``username`` and
``password``) and installs django-axes following its docs (AxesMiddleware last,
AxesStandaloneBackend first), configured with ``AXES_LOCKOUT_PARAMETERS =
["username"]`` and ``AXES_FAILURE_LIMIT = 5``. Axes does lock a username after
5 failures, but DRF hands ``authenticate()`` its own Request wrapper, so the
``axes_locked_out`` flag lands on the wrapper and AxesMiddleware never swaps in
its lockout response (the behaviour reported in django-axes issue #1011): a
locked account, even with the right password, gets the same 400 as any other
failure. To a client nothing is ever slowed or refused differently, whatever
it tries, so there is no throttling to see, and spraying one password across
many accounts is not even counted.

Credential failures are DRF's generic 400 ``{"non_field_errors": ["Unable to
log in with provided credentials."]}``; ModelBackend hashes the password for
unknown users too (no timing leak).

A correct keyhole scan must report exactly: ``rate-limit.missing``.
"""

from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView


@api_view(["GET"])
@permission_classes([AllowAny])
def api_root(request):
    return Response({"service": "field-service", "version": "1.8.0"})


class JobList(APIView):
    def get(self, request):
        return Response([{"id": 17, "site": "Depot 4", "assignee": request.user.username}])

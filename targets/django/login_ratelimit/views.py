"""Staff portal: Django's LoginView behind django-ratelimit, with block=False.

Models django-ratelimit's documented "handle it in the view" pattern:
``@ratelimit(key="ip", rate="5/m", method="POST", block=False)`` on the login
view, which then checks ``request.limited`` and re-renders the sign-in page
with a form error "Too many failed sign-in attempts..." and status 200. The
throttle never answers 429, 423 or 503: it is a 200 HTML page. The form is
django.contrib.auth's AuthenticationForm at /accounts/login/ with Django's
per-request masked CSRF token (hidden ``csrfmiddlewaretoken`` plus the
``csrftoken`` cookie), so two sign-in pages differ only by that token. Every
credential failure gets AuthenticationForm's generic "Please enter a correct
username and password" at 200, and ModelBackend hashes the password for unknown
users too (no timing leak).

A correct keyhole scan must report no findings (it should observe the 200
"too many attempts" throttle).
"""

from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils.decorators import method_decorator
from django_ratelimit.decorators import ratelimit


def home(request):
    if request.user.is_authenticated:
        return redirect("dashboard")
    return redirect("login")


@method_decorator(ratelimit(key="ip", rate="5/m", method="POST", block=False), name="post")
class RateLimitedLoginView(LoginView):
    def post(self, request, *args, **kwargs):
        if getattr(request, "limited", False):
            form = self.get_form()
            form.errors.clear()
            form.add_error(None, "Too many failed sign-in attempts. Please wait a minute before trying again.")
            return self.render_to_response(self.get_context_data(form=form))
        return super().post(request, *args, **kwargs)


@login_required
def dashboard(request):
    return HttpResponse(f"<h1>Dashboard</h1><p>Signed in as {request.user.get_username()}</p>")

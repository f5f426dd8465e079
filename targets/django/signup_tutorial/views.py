"""Local library: the Django tutorial's accounts, exactly as the tutorials write them.

Models the site most Django tutorials build (MDN's "LocalLibrary", LearnDjango's
"signup"): ``path("accounts/", include("django.contrib.auth.urls"))`` for
LoginView and PasswordResetView, plus a sign-up page that is a ``CreateView``
with ``UserCreationForm``. Every template is the tutorial's; nothing is
throttled; mail is sent synchronously in the request, as Django does (mail.py
stands in for the SMTP server with a 250 ms round trip).

* Sign-in, POST /accounts/login/ (AuthenticationForm: username, password, the
  per-request CSRF token): every failure re-renders the page with 200 and
  "Please enter a correct username and password"; ModelBackend hashes the
  password for unknown users too (no timing difference). Never throttled.
* Password reset, POST /accounts/password_reset/ (PasswordResetForm: email, CSRF
  token), linked from the sign-in page as "Forgot your password?": a 302 to
  /accounts/password_reset/done/ for every address, as Django intends. But for
  an address of an active account with a usable password Django renders and
  sends the reset mail before answering: about 250 ms more. Never throttled.
* Sign-up, POST /accounts/signup/ (UserCreationForm: username, password1,
  password2, CSRF token), linked as "Sign up": the form validates every field,
  and its ``clean_username`` rejects a taken username ("A user with that
  username already exists.") whatever the password fields hold, so the form
  re-rendered for an empty password shows that error beside "This field is
  required." for a taken username only. A valid form creates the account and
  redirects to the sign-in page.

Seeded accounts: ``admin`` (keyhole's first guessed candidate), ``maya``,
``librarian``. In owned mode (KEYHOLE_LAB_USER / KEYHOLE_LAB_PASSWORD set) the
first request creates the tester's account, username KEYHOLE_LAB_USER, e-mail
``<user>@example.com`` or, when the username is itself an e-mail address (Django
allows ``@`` in usernames), that address (LabAccountMiddleware: the seeded
database is a cached template, so the account cannot be part of it). The lab
scans this project under two names: ``flows_django_signup`` with the owned
username ``tester`` and ``flows_django_signup_email_user`` with the owned
username ``tester@example.com``.

A correct keyhole scan must report:

* sign-in POST /accounts/login/: ``rate-limit.missing``, in both modes (with
  --password-env the account never locks and nothing throttles, so no
  ``auth.lockout-denial``);
* password-reset POST /accounts/password_reset/: ``rate-limit.reset-missing``
  in both modes (never throttled). In owned mode:
  - owned username ``tester``: nothing more. The reset form asks for an e-mail
    address and keyhole does not know the account's, so it cannot compare the
    owned account. Sending the username ``tester`` as the address only gets
    PasswordResetForm's "Enter a valid email address." (the form re-rendered,
    200, where random addresses get the 302): a validation error about the
    input's shape, not a sign that the account exists, so reporting
    ``auth.user-enumeration.reset`` from it is a false finding;
  - owned username ``tester@example.com``: ``auth.user-enumeration.reset``
    (the owned address answers about 250 ms later than random addresses:
    timing; status and body are the same 302);
* registration POST /accounts/signup/: ``auth.user-enumeration.registration``
  in both modes (plain: the guessed ``admin``, one probe with the password
  fields empty, gets "A user with that username already exists."; owned: the
  tester's username too). The page also says "Already have an account? Log in"
  to everyone, which is no sign of anything. No probe may create an account:
  the password fields must stay empty.
"""

import os
import threading

from django.contrib.auth.forms import UserCreationForm
from django.contrib.auth.models import User
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse_lazy
from django.utils.html import escape
from django.views.generic import CreateView


def home(request):
    if request.user.is_authenticated:
        return HttpResponse(
            f"<h1>Local library</h1><p>Signed in as {escape(request.user.get_username())}.</p>"
        )
    return HttpResponse(
        '<!doctype html><title>Local library</title><h1>Local library</h1>'
        '<p><a href="/accounts/login/">Sign in</a> or <a href="/accounts/signup/">Sign up</a> to borrow books.</p>'
    )


class SignUpView(CreateView):
    form_class = UserCreationForm
    success_url = reverse_lazy("login")
    template_name = "registration/signup.html"


class LabAccountMiddleware:
    """Creates the lab's owned account (KEYHOLE_LAB_USER / KEYHOLE_LAB_PASSWORD) on the first request."""

    _lock = threading.Lock()
    _done = False

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not LabAccountMiddleware._done:
            with LabAccountMiddleware._lock:
                if not LabAccountMiddleware._done:
                    user = os.environ.get("KEYHOLE_LAB_USER", "").strip()
                    password = os.environ.get("KEYHOLE_LAB_PASSWORD", "")
                    if user and password and not User.objects.filter(username=user).exists():
                        email = user if "@" in user else f"{user}@example.com"
                        User.objects.create_user(user, email.lower(), password)
                    LabAccountMiddleware._done = True
        return self.get_response(request)

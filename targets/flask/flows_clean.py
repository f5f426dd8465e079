"""Clean control for the account flows: sign-in, password reset and sign-up all done right.

Models a server-rendered Flask site that follows the OWASP advice for every
flow. GET / links to "Sign in" (/login), "Forgot your password?"
(/password/forgot) and "Create an account" (/register); each is an HTML form.

* Sign-in, POST /login (email, password; urlencoded): the same 200 re-rendered
  page with "Invalid email or password." for every failure, constant-time
  comparison of plaintext passwords (no timing difference), Flask-Limiter at 5
  POSTs per minute per client address (429 page with Retry-After); a success is
  a 303 to /account with the session cookie.
* Password reset, POST /password/forgot (email): for every plausible address,
  known or not, the same 200 page "If an account exists for ADDRESS, you will
  receive a password reset link shortly." (the address is echoed back, so the
  page differs from one request to the next only by the address sent); the mail
  is sent from a background thread after the answer (no timing difference). An
  implausible address re-renders the form with "Enter a valid email address."
  Limited by Flask-Limiter to 5 POSTs per minute per client address (429 with
  Retry-After).
* Sign-up, POST /register (email, password, password_confirm): validation
  errors concern the password only ("Choose a password.", "Use at least 10
  characters.", "The passwords do not match.") or a malformed address, never
  whether the address is taken; they re-render the form with 200. A complete
  valid body gets the same "Check your inbox: we sent a link to ADDRESS to
  finish creating your account." whether or not the address has an account
  (a taken address gets a "you already have an account" mail instead): the
  e-mail confirmation step comes before anything is revealed, and nothing is
  created before it.

In owned mode (KEYHOLE_LAB_USER / KEYHOLE_LAB_PASSWORD set, see
``_common.lab_account``) the tester's account is created too; sign-in is by
e-mail address, so the lab's owned username is an e-mail address.

A correct keyhole scan must report no findings, in both modes:

* sign-in POST /login: nothing (and it should observe the 429). With
  --password-env the account never locks: the 429 that a fresh client meets
  after keyhole's failures is the per-client-address limit (random accounts get
  it too), not a lockout of the account, so no ``auth.lockout-denial``.
* password-reset POST /password/forgot: nothing. Random addresses get one page
  (after normalising the echoed address), and the 6th request is throttled, so
  not ``rate-limit.reset-missing``. In owned mode the throttle ends the sample
  long before the owned address could be compared with enough random ones:
  keyhole must say it could not decide, not guess.
* registration POST /register: nothing. The safe probe (the password left
  empty) gets "Choose a password." for every address, the owned one included.
"""

import hmac
import re
import sys
import threading

from flask import Flask, redirect, render_template_string, request, session
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from _common import lab_account, serve

app = Flask(__name__)
app.secret_key = "flows-clean-dev-secret"
limiter = Limiter(get_remote_address, app=app, storage_uri="memory://", headers_enabled=True)

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
USERS = {
    "admin@example.com": "Adm1n-Clean-Flows",
    "rosa@example.com": "rosa-clean-pw-1",
    "accounts@example.com": "Acc0unts-Team-pw",
}
owned = lab_account()
if owned:
    USERS[owned[1]] = owned[2]
PENDING = {}


def send_mail(to, subject):
    threading.Thread(
        target=lambda: print(f"flows_clean: mail to {to}: {subject}", file=sys.stderr, flush=True),
        daemon=True,
    ).start()


PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ title }} · Ledgerly</title></head>
<body>
  <nav><a href="/">Ledgerly</a></nav>
  <h1>{{ title }}</h1>
  {% for e in errors %}<p class="error">{{ e }}</p>{% endfor %}
  {% if notice %}<p class="notice">{{ notice }}</p>{% endif %}
  {% if form == "home" %}
  <p>Bookkeeping for small teams.</p>
  <p><a href="/login">Sign in</a> · <a href="/register">Create an account</a> · <a href="/password/forgot">Forgot your password?</a></p>
  {% elif form == "login" %}
  <form method="post" action="/login">
    <label>Email <input type="email" name="email" autocomplete="username"></label>
    <label>Password <input type="password" name="password" autocomplete="current-password"></label>
    <button type="submit">Sign in</button>
  </form>
  <p><a href="/password/forgot">Forgot your password?</a> · <a href="/register">Create an account</a></p>
  {% elif form == "forgot" %}
  <form method="post" action="/password/forgot">
    <label>Email <input type="email" name="email" autocomplete="email"></label>
    <button type="submit">Send me a reset link</button>
  </form>
  {% elif form == "register" %}
  <form method="post" action="/register">
    <label>Email <input type="email" name="email" autocomplete="email"></label>
    <label>Password <input type="password" name="password" autocomplete="new-password"></label>
    <label>Confirm password <input type="password" name="password_confirm" autocomplete="new-password"></label>
    <button type="submit">Create account</button>
  </form>
  {% endif %}
</body></html>
"""


def page(title, form=None, errors=(), notice=None, status=200):
    return render_template_string(PAGE, title=title, form=form, errors=list(errors), notice=notice), status


@app.route("/")
def index():
    return page("Ledgerly", "home")


@app.route("/login", methods=["GET", "POST"])
@limiter.limit("5 per minute", methods=["POST"])
def login():
    if request.method == "GET":
        return page("Sign in", "login")
    email = request.form.get("email", "").strip().lower()
    password = request.form.get("password", "")
    if not email or not password:
        return page("Sign in", "login", ["Please enter your email and password."], status=400)
    stored = USERS.get(email, "\x00not-an-account\x00")
    if hmac.compare_digest(stored.encode(), password.encode()) and email in USERS:
        session["user"] = email
        return redirect("/account", code=303)
    return page("Sign in", "login", ["Invalid email or password."])


@app.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit("5 per minute", methods=["POST"])
def forgot():
    if request.method == "GET":
        return page("Reset your password", "forgot")
    email = request.form.get("email", "").strip().lower()
    if not EMAIL.match(email):
        return page("Reset your password", "forgot", ["Enter a valid email address."])
    if email in USERS:
        send_mail(email, "Reset your Ledgerly password")
    return page("Reset your password", notice=f"If an account exists for {email}, you will receive a password reset link shortly.")


@app.route("/register", methods=["GET", "POST"])
def register():
    if request.method == "GET":
        return page("Create an account", "register")
    email = request.form.get("email", "").strip().lower()
    password = request.form.get("password", "")
    confirm = request.form.get("password_confirm", "")
    errors = []
    if not EMAIL.match(email):
        errors.append("Enter a valid email address.")
    if not password:
        errors.append("Choose a password.")
    elif len(password) < 10:
        errors.append("Use at least 10 characters.")
    elif password != confirm:
        errors.append("The passwords do not match.")
    if errors:
        return page("Create an account", "register", errors)
    if email in USERS:
        send_mail(email, "You already have a Ledgerly account")
    else:
        PENDING[email] = password
        send_mail(email, "Confirm your address to finish creating your Ledgerly account")
    return page("Create an account", notice=f"Check your inbox: we sent a link to {email} to finish creating your account.")


@app.route("/account")
def account():
    if "user" not in session:
        return redirect("/login", code=303)
    return page("Your account", notice=f"Signed in as {session['user']}.")


@app.errorhandler(429)
def too_many(e):
    return page("Slow down", errors=["Too many requests. Please wait a minute and try again."], status=429)


if __name__ == "__main__":
    serve(app)

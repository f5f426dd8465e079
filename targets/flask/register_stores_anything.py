"""A sign-up that stores whatever it is sent: any body with an e-mail address creates an account.

Models a "passwordless-friendly" Flask sign-up: GET /signup renders an HTML
form (email, and a password marked optional: "leave empty to sign in with a
link"), POST /signup (the form, or JSON ``{"email", "password"}``) creates an
account for any new, plausible e-mail address, with or without a password (an
empty or missing password is stored as "none yet"). A form post then gets a
303 to /welcome with the Flask session cookie (signed in as the new account); a
JSON post gets 201 ``{"id", "email"}`` and the same cookie. Only a missing or
malformed address is refused (400, "Please enter a valid email address."),
and an address that already has an account gets 409 "An account with that
email already exists." Every created account is logged on stderr
("ACCOUNT CREATED ...").

So there is no probe shape that fails for a reason other than the identifier:
the first registration probe keyhole sends (the identifier, the password left
out or empty) creates an account. The sign-in is done right: an HTML form at
GET/POST /login (email, password), the same 200 re-rendered page with
"Invalid email or password." for every failure, constant-time comparison of
plaintext passwords, and Flask-Limiter at 5 POSTs per minute per client address
(429 with Retry-After). GET / links to both ("Sign in", "Create account").

In owned mode (KEYHOLE_LAB_USER / KEYHOLE_LAB_PASSWORD set, see
``_common.lab_account``) the tester's account is created too; sign-in is by
e-mail address, so the lab's owned username is an e-mail address.

A correct keyhole scan must report, in both modes:

* sign-in POST /login: nothing (with --password-env the account never locks:
  the limit is per client address);
* registration POST /signup: no finding. keyhole must notice that its probe
  created an account (the 303 into /welcome with a session cookie, or the 201
  with an id and a cookie), stop probing the endpoint at once, name the created
  identifier in an ``account-created`` observation (so the tester can delete
  it) and list ``auth.user-enumeration.registration`` in ``incomplete``.
  Reporting that finding would mean it kept probing after the account was
  created (the 409 for a taken address is only reachable that way), so it is
  a false finding here.
"""

import hmac
import re
import sys
import threading

from flask import Flask, jsonify, redirect, render_template_string, request, session
from markupsafe import escape
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from _common import lab_account, serve

app = Flask(__name__)
app.secret_key = "snippets-dev-secret"
limiter = Limiter(get_remote_address, app=app, storage_uri="memory://", headers_enabled=True)

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
lock = threading.Lock()
USERS = {
    "admin@example.com": {"id": 1, "password": "Adm1n-Snippets-24"},
    "pat@example.com": {"id": 2, "password": "pat-snippets-pw"},
}
owned = lab_account()
if owned:
    USERS[owned[1]] = {"id": 3, "password": owned[2]}

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ title }} · Snippets</title></head>
<body>
  <nav><a href="/">Snippets</a> · <a href="/login">Sign in</a> · <a href="/signup">Create account</a></nav>
  <h1>{{ title }}</h1>
  {% if error %}<p class="error">{{ error }}</p>{% endif %}
  {{ body|safe }}
</body></html>
"""

LOGIN_FORM = """<form method="post" action="/login">
  <label>Email <input type="email" name="email" autocomplete="username"></label>
  <label>Password <input type="password" name="password" autocomplete="current-password"></label>
  <button type="submit">Sign in</button>
</form>
<p>New here? <a href="/signup">Create account</a></p>"""

SIGNUP_FORM = """<form method="post" action="/signup">
  <label>Email <input type="email" name="email" autocomplete="email"></label>
  <label>Password (optional: leave empty to sign in with a link)
    <input type="password" name="password" autocomplete="new-password"></label>
  <button type="submit">Create account</button>
</form>"""


def page(title, body, error=None, status=200):
    return render_template_string(PAGE, title=title, body=body, error=error), status


@app.route("/")
def index():
    return page("Snippets", '<p>Share code snippets with your team. <a href="/login">Sign in</a> or <a href="/signup">Create account</a>.</p>')


@app.route("/login", methods=["GET", "POST"])
@limiter.limit("5 per minute", methods=["POST"])
def login():
    if request.method == "GET":
        return page("Sign in", LOGIN_FORM)
    email = request.form.get("email", "").strip().lower()
    password = request.form.get("password", "")
    if not email or not password:
        return page("Sign in", LOGIN_FORM, "Please enter your email and password.", 400)
    user = USERS.get(email)
    stored = (user or {}).get("password") or "\x00no-password\x00"
    if user and hmac.compare_digest(stored.encode(), password.encode()):
        session["uid"] = user["id"]
        return redirect("/welcome", code=303)
    return page("Sign in", LOGIN_FORM, "Invalid email or password.")


@app.route("/signup", methods=["GET", "POST"])
def signup():
    if request.method == "GET":
        return page("Create account", SIGNUP_FORM)
    data = request.get_json(silent=True) if request.is_json else request.form
    as_json = request.is_json
    if not isinstance(data, dict) and not hasattr(data, "get"):
        data = {}
    email = str(data.get("email") or "").strip().lower()
    password = data.get("password") or None
    if not EMAIL.match(email):
        if as_json:
            return jsonify({"error": "Please enter a valid email address."}), 400
        return page("Create account", SIGNUP_FORM, "Please enter a valid email address.", 400)
    with lock:
        if email in USERS:
            if as_json:
                return jsonify({"error": "An account with that email already exists."}), 409
            return page("Create account", SIGNUP_FORM, "An account with that email already exists.", 409)
        uid = len(USERS) + 1
        USERS[email] = {"id": uid, "password": str(password) if password else None}
    print(f"register_stores_anything: ACCOUNT CREATED for {email} (id {uid}, password {'set' if password else 'none'})", file=sys.stderr, flush=True)
    session["uid"] = uid
    if as_json:
        return jsonify({"id": uid, "email": email}), 201
    return redirect("/welcome", code=303)


@app.route("/welcome")
def welcome():
    uid = session.get("uid")
    who = next((e for e, u in USERS.items() if u["id"] == uid), None)
    if who is None:
        return redirect("/login")
    return page("Welcome", f"<p>You are signed in as {escape(who)}. Check your inbox for a sign-in link.</p>")


@app.errorhandler(429)
def ratelimit_handler(e):
    return page("Sign in", LOGIN_FORM, "Too many sign-in attempts. Please wait a minute.", 429)


if __name__ == "__main__":
    serve(app)

"""A forgot-password endpoint that says which addresses have accounts, and never slows down.

Models the JSON API of a small Flask app, the way forgot-password is most often
hand-written: POST /forgot-password takes ``{"email": ...}`` and looks the
address up first. An unknown address gets 404 ``{"error": "No account with
that email"}``; a known one gets 200 ``{"message": "Reset link sent"}`` (the
mail goes to an outbox, logged on stderr). A body without a plausible address
gets 400 ``{"error": "A valid email address is required"}``. Nothing limits
the reset requests.

The sign-in itself is done right: POST /api/auth/login (JSON ``{"email",
"password"}``) answers every credential failure with the same 401 ``{"error":
"Invalid email or password"}`` (a malformed body: 400 ``{"error": "Email and
password are required"}``), compares passwords in constant time (no hashing, so
no timing difference) and is limited by Flask-Limiter to 5 attempts per minute
per client address, with Retry-After on the 429. GET / lists both paths.

In owned mode (KEYHOLE_LAB_USER / KEYHOLE_LAB_PASSWORD set, see
``_common.lab_account``) the tester's account is created too; sign-in is by
e-mail address, so the lab's owned username is an e-mail address.

A correct keyhole scan must report:

* sign-in POST /api/auth/login: nothing (generic, constant-time, throttled at 5
  per minute with Retry-After), in both modes. With --password-env the account
  never locks (the limit is per client address: a fresh client from elsewhere
  could sign in), so no ``auth.lockout-denial``.
* password-reset POST /forgot-password, both modes:
  ``auth.user-enumeration.reset`` (random addresses alone get "No account with
  that email" and a 404: the endpoint says outright that the account does not
  exist) and ``rate-limit.reset-missing`` (the ~30 reset requests of one client
  for random addresses are never throttled).
"""

import hmac
import re
import sys

from flask import Flask, jsonify, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from _common import lab_account, serve

app = Flask(__name__)
app.secret_key = "reset-leak-dev-secret"
limiter = Limiter(get_remote_address, app=app, storage_uri="memory://", headers_enabled=True)

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

USERS = {
    "admin@example.com": "Adm1n-Reset-2024",
    "maria@example.com": "maria-pass-77",
    "ops@example.com": "0ps-team-pw!",
}
owned = lab_account()
if owned:
    USERS[owned[1]] = owned[2]

OUTBOX = []


@app.route("/")
def index():
    return jsonify(
        {
            "service": "invoicing-api",
            "version": "1.8.2",
            "links": {"sign_in": "/api/auth/login", "forgot_password": "/forgot-password"},
        }
    )


@app.route("/api/auth/login", methods=["POST"])
@limiter.limit("5 per minute")
def login():
    data = request.get_json(silent=True)
    if not isinstance(data, dict) or not data.get("email") or not data.get("password"):
        return jsonify({"error": "Email and password are required"}), 400
    email = str(data["email"]).strip().lower()
    password = str(data["password"])
    stored = USERS.get(email, "\x00not-an-account\x00")
    ok = hmac.compare_digest(stored.encode(), password.encode()) and email in USERS
    if ok:
        return jsonify({"token": "tok-" + email.split("@")[0]}), 200
    return jsonify({"error": "Invalid email or password"}), 401


@app.route("/forgot-password", methods=["POST"])
def forgot_password():
    data = request.get_json(silent=True)
    email = str(data.get("email", "")).strip().lower() if isinstance(data, dict) else ""
    if not EMAIL.match(email):
        return jsonify({"error": "A valid email address is required"}), 400
    if email not in USERS:
        return jsonify({"error": "No account with that email"}), 404
    OUTBOX.append(email)
    print(f"reset_leak: reset link mailed to {email}", file=sys.stderr, flush=True)
    return jsonify({"message": "Reset link sent"}), 200


@app.errorhandler(429)
def ratelimit_handler(e):
    return jsonify({"error": "Too many sign-in attempts", "limit": str(e.description)}), 429


if __name__ == "__main__":
    serve(app)

"""A per-client limit set high: Flask-Limiter "80 per minute" on a form login.

Some teams set the sign-in limit generously so that office NAT and password
managers never trip it. POST /session takes form fields ``login`` and
``password``; every failure gets the same 401 text; the limit counts every
attempt from one client address across all accounts (``get_remote_address``),
and the 429 carries ``Retry-After``.

The trap: a scanner that first sprays many accounts and then repeats one
account sees its first 429 during the one-account attempts, only because they
pushed the per-client count over 80. That is not "per-account only"
protection: fresh accounts are throttled just the same.

A correct keyhole scan must report no findings (it should observe the 429).
"""

import hmac

from flask import Flask, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from _common import serve

app = Flask(__name__)
limiter = Limiter(
    get_remote_address,
    app=app,
    storage_uri="memory://",
    headers_enabled=True,
)

accounts = {"admin": "c0rrect-h0rse-battery", "ops": "st4ple-gun-2026"}


@app.route("/")
def index():
    return "Ops console. Sign in with POST /session (login, password).\n"


@app.route("/session", methods=["POST"])
@limiter.limit("80 per minute")
def create_session():
    login = request.form.get("login", "")
    password = request.form.get("password", "")
    if not login or not password:
        return "login and password are required\n", 400
    expected = accounts.get(login, "")
    if expected and hmac.compare_digest(expected.encode(), password.encode()):
        return "Welcome\n", 200
    return "Sign-in failed: check your login and password\n", 401


if __name__ == "__main__":
    serve(app)

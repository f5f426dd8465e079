"""Rate limit keyed on a client-supplied header: the seed article's flawed proxy advice.

Models "If behind a proxy (e.g., nginx), configure X-Forwarded-For support via
Limiter(key_func=lambda: request.headers.get('X-Forwarded-For',
get_remote_address()))" applied with no proxy in front: POST /login (JSON) is
limited to 5 attempts per minute, with a 429 that carries Retry-After, but the
limit is keyed on whatever X-Forwarded-For the client sends, so a fresh spoofed
address per request is never throttled. Credential failures are otherwise
generic (401 ``{"error": "Invalid credentials"}``) and take the same time.

A correct keyhole scan must report: ``rate-limit.ip-header-bypass`` (and not
``rate-limit.missing``: plain requests are throttled).
"""

from flask import Flask, jsonify, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from _common import serve

app = Flask(__name__)
app.secret_key = "dev"
# "Behind a proxy": trust the X-Forwarded-For header for the client address.
limiter = Limiter(
    key_func=lambda: request.headers.get("X-Forwarded-For", get_remote_address()),
    app=app,
    storage_uri="memory://",
    headers_enabled=True,
)

users = {"alice": {"password": "s3cr3t"}, "bob": {"password": "admin"}, "admin": {"password": "P@ssw0rd!9"}}


@app.route("/")
def index():
    return jsonify({"service": "orders-api", "login": "/login"})


@app.route("/login", methods=["POST"])
@limiter.limit("5 per minute")
def login():
    data = request.get_json(silent=True)
    if not data or "username" not in data or "password" not in data:
        return jsonify({"error": "Invalid request"}), 400
    user_data = users.get(data["username"])
    if user_data and user_data["password"] == data["password"]:
        return jsonify({"message": "Logged in"}), 200
    return jsonify({"error": "Invalid credentials"}), 401


if __name__ == "__main__":
    serve(app)

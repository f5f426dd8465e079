"""Hardened JSON login: the seed article's remediation, done right.

Models "Implement Rate Limiting with Flask-Limiter": POST /api/login takes a
JSON body, is limited to 5 attempts per minute per client address
(``key_func=get_remote_address``, in-memory storage), and answers every
credential failure with the same generic ``{"error": "Invalid credentials"}`` /
401. A malformed body gets ``{"error": "Invalid request"}`` / 400. Rate-limit
headers are on, so the 429 carries ``Retry-After`` (and X-RateLimit-*).
Passwords are compared in constant time and no hashing happens, so failures
for existing and unknown users take the same time.

A correct keyhole scan must report no findings (it should observe the
throttle: 429 after 5 attempts, with Retry-After).
"""

import hmac

from flask import Flask, jsonify, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from _common import serve

app = Flask(__name__)
app.secret_key = "dev"
limiter = Limiter(
    get_remote_address,
    app=app,
    storage_uri="memory://",
    headers_enabled=True,
)

# Store users in a secure database in production
users = {
    "alice": {"password": "s3cr3t"},
    "bob": {"password": "admin"},
    "admin": {"password": "Tr0ub4dor&3"},
}


@app.route("/")
def index():
    return jsonify({"service": "accounts-api", "endpoints": ["/api/login"]})


@app.route("/api/login", methods=["POST"])
@limiter.limit("5 per minute")  # Specific limit for login
def login():
    data = request.get_json(silent=True)
    if not isinstance(data, dict) or "username" not in data or "password" not in data:
        return jsonify({"error": "Invalid request"}), 400

    username = str(data["username"])
    password = str(data["password"])
    user_data = users.get(username)

    if user_data and hmac.compare_digest(user_data["password"].encode(), password.encode()):
        # Successful login – set session, return token, etc.
        return jsonify({"message": "Logged in"}), 200

    # Generic error – no distinction between user not found and wrong password
    return jsonify({"error": "Invalid credentials"}), 401


@app.errorhandler(429)
def ratelimit_handler(e):
    return jsonify({"error": "Rate limit exceeded", "limit": str(e.description)}), 429


if __name__ == "__main__":
    serve(app)

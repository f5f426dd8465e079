"""Login whose only leak is timing: bcrypt runs for existing users only.

Models the seed article's warning about "different response times (password
hashing ...)": POST /login takes JSON ``{"username", "password"}`` and answers
every credential failure with the same 401 ``{"detail": "Invalid username or
password"}``, but it looks the user up first and calls ``bcrypt.checkpw`` (cost
10, tens of milliseconds) only when the account exists, so an unknown user is
rejected almost instantly. Nothing throttles failed attempts.

A correct keyhole scan must report: ``rate-limit.missing`` and
``auth.user-enumeration.timing`` (and no response-based enumeration: status,
body and headers are identical).
"""

import bcrypt
from flask import Flask, jsonify, request

from _common import serve

app = Flask(__name__)

# Hashes computed at start-up; in production these live in the database.
USERS = {
    name: bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=10))
    for name, password in {"admin": "correct horse battery staple", "alice": "s3cr3t"}.items()
}


@app.get("/")
def index():
    return jsonify({"app": "billing", "login": "/login"})


@app.post("/login")
def login():
    body = request.get_json(silent=True) or {}
    username = body.get("username")
    password = body.get("password")
    if not isinstance(username, str) or not isinstance(password, str):
        return jsonify({"detail": "username and password are required"}), 422

    hashed = USERS.get(username)
    if hashed is None or not bcrypt.checkpw(password.encode(), hashed):
        return jsonify({"detail": "Invalid username or password"}), 401
    return jsonify({"detail": "ok", "user": username})


if __name__ == "__main__":
    serve(app)

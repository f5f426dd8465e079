"""Chatty JSON token endpoint that tells an attacker which accounts exist.

Models the "many Flask apps inadvertently differentiate errors" case from the
seed article: POST /api/auth/login with a JSON body ``{"username", "password"}``
issues a token, but an unknown user gets 404 ``{"error": "User does not
exist"}`` while a known user with a wrong password gets 401 ``{"error":
"Incorrect password"}``. Nothing throttles failed attempts. Passwords are
plaintext and compared directly, so there is no timing difference to find.

A correct keyhole scan must report: ``rate-limit.missing``,
``auth.user-enumeration.response`` and ``auth.verbose-error``.
"""

import secrets

from flask import Flask, jsonify, request

from _common import serve

app = Flask(__name__)

USERS = {
    "admin": "Adm1n!2024",
    "alice": "s3cr3t",
    "bob": "hunter2",
    "support": "Welcome1",
}
TOKENS = {}


@app.get("/")
def index():
    return jsonify({"name": "inventory-api", "auth": "/api/auth/login"})


@app.post("/api/auth/login")
def login():
    body = request.get_json(silent=True) or {}
    username = body.get("username")
    password = body.get("password")
    if not username or not password:
        return jsonify({"error": "username and password are required"}), 400

    if username not in USERS:
        return jsonify({"error": "User does not exist"}), 404
    if USERS[username] != password:
        return jsonify({"error": "Incorrect password"}), 401

    token = secrets.token_urlsafe(24)
    TOKENS[token] = username
    return jsonify({"access_token": token, "token_type": "bearer"})


if __name__ == "__main__":
    serve(app)

"""Naive Flask form login: the seed article's vulnerable example, as written.

Models the first snippet of "Password Spraying in Flask": a form POST /login
backed by Flask-Login and an in-memory user store with plaintext passwords.
Every credential failure gets the same ``Invalid credentials`` / 401, so it does
not enumerate users, but nothing ever throttles failed sign-ins.

A correct keyhole scan must report exactly: ``rate-limit.missing``.
"""

from flask import Flask, jsonify, request
from flask_login import LoginManager, UserMixin, current_user, login_required, login_user, logout_user

from _common import serve

app = Flask(__name__)
app.secret_key = "dev"
login_manager = LoginManager(app)

# In-memory user store (example)
users = {
    "alice": {"password": "s3cr3t"},
    "bob": {"password": "admin"},
    "admin": {"password": "Tr0ub4dor&3"},
    "carol": {"password": "Summer2024!"},
}


class User(UserMixin):
    def __init__(self, username):
        self.id = username


@login_manager.user_loader
def load_user(user_id):
    return User(user_id) if user_id in users else None


@app.route("/")
def index():
    return jsonify({"service": "notes-api", "version": "1.2.0", "login": "/login"})


@app.route("/login", methods=["POST"])
def login():
    username = request.form["username"]
    password = request.form["password"]
    user_data = users.get(username)
    if user_data and user_data["password"] == password:
        user = User(username)
        login_user(user)
        return "Logged in"
    return "Invalid credentials", 401


@app.route("/me")
@login_required
def me():
    return jsonify({"username": current_user.id})


@app.route("/logout", methods=["POST"])
def logout():
    logout_user()
    return "Logged out"


if __name__ == "__main__":
    serve(app)

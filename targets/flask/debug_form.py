"""HTML form login left running with the Werkzeug debugger on.

Models a Flask app started with ``app.run(debug=True)`` in production: GET
/login renders an HTML sign-in form, POST /login reads
``request.form['username']`` and ``request.form['password']``. A malformed
request (a missing field, or a JSON body instead of a form) raises
``BadRequestKeyError``, which debug mode traps, so the client gets the
interactive Werkzeug debugger traceback page (HTTP 500, "Werkzeug Debugger",
"Traceback ...") instead of a 400. Sign-in failures are otherwise generic (401
"Invalid username or password") and POSTs are limited by Flask-Limiter to 5 per
minute per remote address, with Retry-After on the 429.

A correct keyhole scan must report exactly: ``auth.debug-exposure``.
"""

from flask import Flask, render_template_string, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from _common import serve

app = Flask(__name__)
app.secret_key = "dev-secret-change-me"
limiter = Limiter(get_remote_address, app=app, storage_uri="memory://", headers_enabled=True)

USERS = {"admin": "letmein-Adm1n", "alice": "s3cr3t", "dave": "dave1987"}

LOGIN_PAGE = """<!doctype html>
<html>
<head><title>Staff portal - Sign in</title></head>
<body>
  <h1>Staff portal</h1>
  {% if error %}<p class="error">{{ error }}</p>{% endif %}
  <form method="post" action="/login">
    <label>Username <input type="text" name="username"></label>
    <label>Password <input type="password" name="password"></label>
    <button type="submit">Sign in</button>
  </form>
</body>
</html>
"""


@app.route("/")
def index():
    return '<a href="/login">Sign in to the staff portal</a>'


@app.route("/login", methods=["GET", "POST"])
@limiter.limit("5 per minute", methods=["POST"])
def login():
    if request.method == "GET":
        return render_template_string(LOGIN_PAGE, error=None)
    username = request.form["username"]
    password = request.form["password"]
    if USERS.get(username) == password:
        return render_template_string("<p>Welcome, {{ u }}!</p>", u=username)
    return render_template_string(LOGIN_PAGE, error="Invalid username or password"), 401


if __name__ == "__main__":
    serve(app, debug=True)

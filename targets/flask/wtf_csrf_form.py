"""Flask-WTF sign-in form with a per-request CSRF token, hashing only for real accounts.

Models the sign-in of a typical Flask app built from the Flask-WTF and
Flask-Login docs: the root page links to GET /auth/signin, which renders a
``FlaskForm`` (``email``, ``password``, ``remember``) with a fresh hidden
``csrf_token`` in every page (CSRFProtect is on for the whole app, so a POST
without a valid token and its session cookie gets a 400 "The CSRF token is
missing."). A failed sign-in re-renders the page with 200 and the flash
"Invalid email or password.", so two failure pages differ only by their token.

As in most tutorials the view returns early when no user has that email and
only otherwise checks the Werkzeug password hash (scrypt, tens of
milliseconds), so a failure for an existing account takes reliably longer.
Nothing throttles failed sign-ins.

A correct keyhole scan must report: ``rate-limit.missing`` and
``auth.user-enumeration.timing``.
"""

from flask import Flask, flash, redirect, render_template_string, request, url_for
from flask_login import LoginManager, UserMixin, current_user, login_required, login_user
from flask_wtf import CSRFProtect, FlaskForm
from werkzeug.security import check_password_hash, generate_password_hash
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired

from _common import serve

app = Flask(__name__)
app.config["SECRET_KEY"] = "lab-wtf-secret-9c1f"
csrf = CSRFProtect(app)
login_manager = LoginManager(app)
login_manager.login_view = "signin"


class User(UserMixin):
    def __init__(self, uid, email, password):
        self.id = uid
        self.email = email
        self.password_hash = generate_password_hash(password)


USERS = [
    User("1", "admin@example.com", "Adm1n-Wtf-2024"),
    User("2", "alice@example.com", "alice-likes-cats"),
    User("3", "bob@example.com", "bob-the-builder"),
]
BY_EMAIL = {u.email: u for u in USERS}
BY_ID = {u.id: u for u in USERS}


@login_manager.user_loader
def load_user(user_id):
    return BY_ID.get(user_id)


class LoginForm(FlaskForm):
    email = StringField("Email", validators=[DataRequired()])
    password = PasswordField("Password", validators=[DataRequired()])
    remember = BooleanField("Remember me")


PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Sign in - Recipes</title></head>
<body>
  <h1>Sign in</h1>
  {% with messages = get_flashed_messages() %}
    {% for m in messages %}<div class="flash">{{ m }}</div>{% endfor %}
  {% endwith %}
  <form method="post" action="{{ url_for('signin') }}" novalidate>
    {{ form.hidden_tag() }}
    <p>{{ form.email.label }} {{ form.email(type="email", autocomplete="username") }}</p>
    <p>{{ form.password.label }} {{ form.password(autocomplete="current-password") }}</p>
    <p>{{ form.remember() }} {{ form.remember.label }}</p>
    <p><button type="submit">Sign in</button></p>
  </form>
</body>
</html>
"""


@app.route("/")
def index():
    return '<!doctype html><title>Recipes</title><h1>Recipes</h1><p><a href="/auth/signin">Sign in</a> to see your recipes.</p>'


@app.route("/auth/signin", methods=["GET", "POST"])
def signin():
    if current_user.is_authenticated:
        return redirect(url_for("recipes"))
    form = LoginForm()
    if form.validate_on_submit():
        user = BY_EMAIL.get(form.email.data.strip().lower())
        if user is None or not check_password_hash(user.password_hash, form.password.data):
            flash("Invalid email or password.")
            return render_template_string(PAGE, form=form)
        login_user(user, remember=form.remember.data)
        return redirect(request.args.get("next") or url_for("recipes"))
    return render_template_string(PAGE, form=form)


@app.route("/recipes")
@login_required
def recipes():
    return f"<h1>{current_user.email}'s recipes</h1>"


if __name__ == "__main__":
    serve(app)

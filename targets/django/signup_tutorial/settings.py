"""Settings of the Django tutorial-site target (see views.py for what it models)."""

import os

BASE_DIR = os.path.dirname(os.path.abspath(__file__))

SECRET_KEY = "django-insecure-lab-signup-tutorial-4q9x"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "signup_tutorial",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "signup_tutorial.views.LabAccountMiddleware",
]

ROOT_URLCONF = "signup_tutorial.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("KEYHOLE_TARGET_DB", os.path.join(BASE_DIR, "db.sqlite3")),
    }
}

# The fast hasher Django's docs suggest for test settings keeps lab scans quick;
# ModelBackend still runs it for unknown users too (constant work).
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Django sends mail synchronously, in the request. This backend stands in for the
# default SMTP backend talking to a real mail server (see mail.py).
EMAIL_BACKEND = "signup_tutorial.mail.SlowSMTPStandIn"
DEFAULT_FROM_EMAIL = "no-reply@example.com"

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

"""Start one of the Django targets: ``python targets/django/_serve.py PROJECT --port PORT``.

PROJECT is a package beside this file (``PROJECT.settings``, ``PROJECT.urls``,
optionally ``PROJECT.seed.run()`` to create its users). Each start gets a fresh
SQLite database in a temporary directory: a copy of a migrated and seeded
template kept in the system temp directory (made on first start, again whenever
the project's files or the installed packages change), so a start takes about a
second instead of a full ``migrate``. The app is served on 127.0.0.1 by
gunicorn, as Django is deployed: one process (the targets keep limiter state in
local memory) with the threaded worker and keep-alive.
"""

import argparse
import hashlib
import importlib
import os
import shutil
import signal
import sys
import tempfile

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)


def Gunicorn(wsgi_app, port):
    from gunicorn.app.base import BaseApplication

    class App(BaseApplication):
        def load_config(self):
            for key, value in {
                "bind": f"127.0.0.1:{port}",
                "workers": 1,
                "worker_class": "gthread",
                "threads": 8,
                "keepalive": 5,
                "graceful_timeout": 1,
                "loglevel": "warning",
                "accesslog": None,
            }.items():
                self.cfg.set(key, value)

        def load(self):
            return wsgi_app

    return App()


def template_path(project):
    """Where the migrated, seeded database of PROJECT is kept between starts."""
    h = hashlib.sha256()
    pdir = os.path.join(here, project)
    for root, dirs, files in sorted(os.walk(pdir)):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for f in sorted(files):
            if f.endswith((".py", ".html")):
                with open(os.path.join(root, f), "rb") as fh:
                    h.update(f.encode() + b"\0" + fh.read())
    req = os.path.join(os.path.dirname(here), "requirements.txt")
    with open(req, "rb") as fh:
        h.update(fh.read())
    cache = os.path.join(tempfile.gettempdir(), "keyhole-django-templates")
    return os.path.join(cache, f"{project}-{h.hexdigest()[:16]}.sqlite3")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("project")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()

    # Stopping the target (SIGTERM) still removes its temporary database.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    tmp = tempfile.mkdtemp(prefix=f"keyhole-{args.project}-")
    os.environ["KEYHOLE_TARGET_DB"] = os.path.join(tmp, "db.sqlite3")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", f"{args.project}.settings")
    try:
        import django
        from django.core.management import call_command

        template = template_path(args.project)
        if os.path.exists(template):
            shutil.copyfile(template, os.environ["KEYHOLE_TARGET_DB"])
            django.setup()
        else:
            django.setup()
            call_command("migrate", verbosity=0, interactive=False)
            try:
                seed = importlib.import_module(f"{args.project}.seed")
            except ModuleNotFoundError:
                seed = None
            if seed is not None:
                seed.run()
            from django.db import connections

            connections.close_all()
            os.makedirs(os.path.dirname(template), exist_ok=True)
            partial = f"{template}.{os.getpid()}"
            shutil.copyfile(os.environ["KEYHOLE_TARGET_DB"], partial)
            os.replace(partial, template)
        from django.core.wsgi import get_wsgi_application

        Gunicorn(get_wsgi_application(), args.port).run()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

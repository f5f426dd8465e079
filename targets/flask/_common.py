"""Shared start-up code for the Flask targets.

Every target is started as ``python targets/flask/NAME.py --port PORT`` (see
``targets/run-target``) and serves on 127.0.0.1 only, with Werkzeug's threaded
development server, no reloader, and the interactive debugger only when the
target itself is about debug pages.
"""

import argparse


def serve(app, *, debug=False):
    """Parse ``--port`` from argv and run *app* on 127.0.0.1 in the foreground."""
    parser = argparse.ArgumentParser(description=(app.import_name or "target"))
    parser.add_argument("--port", type=int, default=5000, help="TCP port on 127.0.0.1 (default 5000)")
    args = parser.parse_args()
    app.run(
        host="127.0.0.1",
        port=args.port,
        debug=debug,
        use_reloader=False,
        use_debugger=debug,
        threaded=True,
    )


def lab_account():
    """The tester's own account in the lab's owned mode, or None.

    lab/run scans a target with a ``[target.owned]`` table a second time with
    ``--username U --password-env KEYHOLE_LAB_PASSWORD``, and starts it with
    ``KEYHOLE_LAB_USER=U`` and ``KEYHOLE_LAB_PASSWORD=P`` in its environment; the
    target then creates that account with that password. Returns ``(username,
    email, password)``: when U is an e-mail address it is both, otherwise the
    e-mail address is ``U@example.com``.
    """
    import os

    user = os.environ.get("KEYHOLE_LAB_USER", "").strip()
    password = os.environ.get("KEYHOLE_LAB_PASSWORD", "")
    if not user or not password:
        return None
    email = user if "@" in user else f"{user}@example.com"
    return user, email.lower(), password

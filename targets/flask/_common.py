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

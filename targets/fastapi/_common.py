"""Shared start-up code for the FastAPI targets.

Every target is started as ``python targets/fastapi/NAME.py --port PORT`` (see
``targets/run-target``) and serves on 127.0.0.1 only with uvicorn (one worker,
no reload, access log off so a scan does not flood the terminal).

uvicorn trusts X-Forwarded-For from 127.0.0.1 by default (``proxy_headers=True``,
``forwarded_allow_ips="127.0.0.1"``): in the lab the scanner itself connects from
127.0.0.1, so it would be taken for a trusted reverse proxy and any limiter keyed
on the client address could be reset with a spoofed header. The targets model
an app served directly to remote clients, where that trust never applies, so
proxy headers are off.
"""

import argparse

import uvicorn


def serve(app):
    """Parse ``--port`` from argv and run *app* on 127.0.0.1 in the foreground."""
    parser = argparse.ArgumentParser(description=app.title)
    parser.add_argument("--port", type=int, default=8000, help="TCP port on 127.0.0.1 (default 8000)")
    args = parser.parse_args()
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=args.port,
        log_level="warning",
        access_log=False,
        proxy_headers=False,
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

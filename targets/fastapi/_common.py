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

"""GraphQL sign-in whose limiter counts attempts, not requests.

POST /graphql (see _graphql.py): every `login` call, alias or not, counts against 10 attempts
per 10 seconds per client address; past that each call fails with "Too many attempts, try
again later" and the answer carries Retry-After. Aliases therefore buy nothing.

A correct keyhole scan reports no finding: the throttle is seen, and batches are throttled
after about as many attempts as single requests were.
"""

import threading
import time

from flask import g
from graphql import GraphQLError

from _common import serve
from _graphql import make_app

WINDOW_S = 10
LIMIT = 10
_lock = threading.Lock()
_hits = {}


def count(addr):
    now = time.monotonic()
    with _lock:
        recent = [t for t in _hits.get(addr, []) if now - t < WINDOW_S]
        if len(recent) >= LIMIT:
            _hits[addr] = recent
            g.throttled = True
            raise GraphQLError("Too many attempts, try again later")
        recent.append(now)
        _hits[addr] = recent


def retry_after(app, view):
    @app.after_request
    def add_header(resp):
        if g.get("throttled"):
            resp.headers["Retry-After"] = str(WINDOW_S)
        return resp

    return view


app = make_app(on_attempt=count, on_request=retry_after)

if __name__ == "__main__":
    serve(app)

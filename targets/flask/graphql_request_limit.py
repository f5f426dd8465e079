"""GraphQL sign-in behind a limiter that counts HTTP requests.

POST /graphql (see _graphql.py) is limited by Flask-Limiter to 10 requests per 10 seconds per
client address, 429 with Retry-After: the usual advice for an API, applied to a GraphQL endpoint.
Aliases let one request carry many `login` calls, each checked, so the limit lets ten times more
guesses through than it means to.

A correct keyhole scan reports rate-limit.batched-attempts (and sees the 429 throttle), nothing
else: failures are generic and compared in constant time.
"""

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from _common import serve
from _graphql import make_app


def limited(app, view):
    limiter = Limiter(get_remote_address, app=app, storage_uri="memory://", headers_enabled=True)
    return limiter.limit("10 per 10 seconds")(view)


app = make_app(on_request=limited)

if __name__ == "__main__":
    serve(app)

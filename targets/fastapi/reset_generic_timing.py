"""A forgot-password answer that is word for word the same for everyone, but slower for real accounts.

Models the usual "fixed" forgot-password of a FastAPI service: POST
/auth/forgot-password (JSON ``{"email"}``, declared in the OpenAPI document)
answers 202 ``{"detail": "If the account exists, we sent a link"}`` to every
address. But for an existing account it first sends the reset mail, in the
request (an SMTP round trip, modelled as 300 ms of ``asyncio.sleep``), so real
accounts answer about 300 ms later than unknown ones. A body that is not an
e-mail address gets FastAPI's 422. Reset requests are limited per client
address: 20 per sliding minute (only well-formed requests count), then 429
``{"detail": "Too many password reset requests. Try again later."}`` with
Retry-After.

The sign-in, POST /auth/login (JSON ``{"email", "password"}``), is done right:
one generic 401 ``{"detail": "Invalid email or password"}`` for every failure,
constant-time comparison of plaintext passwords (no timing difference), and a
limit of 5 attempts per sliding minute per client address (429 with
Retry-After). GET / names both paths; /docs and /openapi.json are FastAPI's.

In owned mode (KEYHOLE_LAB_USER / KEYHOLE_LAB_PASSWORD set, see
``_common.lab_account``) the tester's account is created too; sign-in and reset
are by e-mail address, so the lab's owned username is an e-mail address.

Why the reset limit is 20 per minute. Without an account of its own, keyhole
can only send random addresses (it never resets a guessed account), and every
random address gets the same 202 at the same speed: nothing to see. Its volume
probe (fewer than 30 requests, about 30 intended) meets the 429 at request 21,
so the endpoint is throttled and ``rate-limit.reset-missing`` must not be
reported. With --username, keyhole may send the owned address 3 times and
compare it with random addresses using the sign-in timing statistics: a
two-sided exact Mann-Whitney test of 3 against n needs 2 / C(n + 3, 3) < 0.01,
so n >= 9, and the timing check wants at least 10 random samples and an A/A
control (one random address repeated 3 times). That is 3 + 10 + 3 = 16
requests, which leaves 4 for confirming the endpoint (and the confirmation's
random addresses can join the random pool) before the 21st is throttled. The
300 ms gap dwarfs every effect-size floor (Cliff's delta 1, gap far above 5 ms
and 25 % of the server time). A tighter limit (5 or 12 per minute) would end
the sample first, and then the honest report is "undecided", not a finding.

A correct keyhole scan must report:

* sign-in POST /auth/login: nothing, in both modes (with --password-env the
  account never locks: the limit is per client address).
* password-reset POST /auth/forgot-password: plain mode, nothing (no account to
  compare, and the volume probe is throttled, which it should observe); owned
  mode, ``auth.user-enumeration.reset`` (timing: the owned address answers
  about 300 ms later than random ones).
"""

import asyncio
import hmac
import math
import sys
import threading
import time
from collections import defaultdict, deque

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from _common import lab_account, serve

USERS = {
    "admin@example.com": "Adm1n-Timing-2024",
    "lena@example.com": "lena-pass-2024",
    "billing@example.com": "B1lling-Team!",
}
owned = lab_account()
if owned:
    USERS[owned[1]] = owned[2]

SIGNIN_LIMIT, RESET_LIMIT, WINDOW = 5, 20, 60.0
MAIL_SECONDS = 0.3

app = FastAPI(title="Fleet telemetry", version="3.2.0")


class SlidingWindow:
    """At most `limit` hits per `window` seconds per key; returns the Retry-After when over."""

    def __init__(self, limit: int, window: float):
        self.limit, self.window = limit, window
        self.hits: dict[str, deque] = defaultdict(deque)
        self.lock = threading.Lock()

    def hit(self, key: str) -> int | None:
        now = time.monotonic()
        with self.lock:
            q = self.hits[key]
            while q and q[0] <= now - self.window:
                q.popleft()
            if len(q) >= self.limit:
                return max(1, math.ceil(q[0] + self.window - now))
            q.append(now)
            return None


signin_limit = SlidingWindow(SIGNIN_LIMIT, WINDOW)
reset_limit = SlidingWindow(RESET_LIMIT, WINDOW)


class Credentials(BaseModel):
    email: str = Field(min_length=3, max_length=254)
    password: str = Field(min_length=1)


class ForgotPassword(BaseModel):
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254)


def client(request: Request) -> str:
    return request.client.host if request.client else "?"


@app.get("/")
def index():
    return {"app": "fleet-telemetry", "sign_in": "/auth/login", "forgot_password": "/auth/forgot-password"}


@app.post("/auth/login", summary="Sign in")
def login(creds: Credentials, request: Request):
    wait = signin_limit.hit(client(request))
    if wait is not None:
        return JSONResponse({"detail": "Too many sign-in attempts. Try again later."}, status_code=429, headers={"Retry-After": str(wait)})
    email = creds.email.strip().lower()
    stored = USERS.get(email, "\x00not-an-account\x00")
    if hmac.compare_digest(stored.encode(), creds.password.encode()) and email in USERS:
        return {"access_token": "tok-" + email.split("@")[0], "token_type": "bearer"}
    return JSONResponse({"detail": "Invalid email or password"}, status_code=401)


@app.post("/auth/forgot-password", status_code=202, summary="Request a password reset e-mail")
async def forgot_password(body: ForgotPassword, request: Request):
    wait = reset_limit.hit(client(request))
    if wait is not None:
        return JSONResponse(
            {"detail": "Too many password reset requests. Try again later."},
            status_code=429,
            headers={"Retry-After": str(wait)},
        )
    email = body.email.strip().lower()
    if email in USERS:
        await asyncio.sleep(MAIL_SECONDS)  # the SMTP round trip, in the request
        print(f"reset_generic_timing: reset link mailed to {email}", file=sys.stderr, flush=True)
    return JSONResponse({"detail": "If the account exists, we sent a link"}, status_code=202)


if __name__ == "__main__":
    serve(app)

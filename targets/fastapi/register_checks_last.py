"""A sign-up that checks whether the username is taken only after every other field is valid.

Models the order of FastAPI Users' register route, with a username: POST
/auth/register takes JSON ``{"username", "password"}`` (declared in the OpenAPI
document). First FastAPI validates the body against the pydantic model
(username 3-32 of ``[A-Za-z0-9_.-]``, password 8-128 characters): a missing or
short password is FastAPI's 422 ``{"detail": [{"type": "missing", "loc":
["body", "password"], "msg": "Field required", "input": {...}}]}`` for any
username, taken or not (the ``input`` member echoes the request body, so it
differs with the username sent). Then the handler applies the password policy
(a letter and a digit: 400 ``{"detail": {"code": "REGISTER_INVALID_PASSWORD",
...}}``). Only then does it look the username up: 400 ``{"detail":
"REGISTER_USER_ALREADY_EXISTS"}`` for a taken one, otherwise 201 ``{"id",
"username"}``: the account is created. So only a complete, valid body (one
that would create an account) can tell a taken username from a free one.

The seeded accounts include ``admin`` (keyhole's first guessed candidate) and,
in owned mode, the tester's own account (KEYHOLE_LAB_USER /
KEYHOLE_LAB_PASSWORD, see ``_common.lab_account``; a plain username here).

The sign-in is done right, as FastAPI Users' ``/auth/jwt/login``: an OAuth2
password form (``username``, ``password``, urlencoded) answering every failure
with 400 ``{"detail": "LOGIN_BAD_CREDENTIALS"}``, constant-time comparison of
plaintext passwords (no timing difference), and 5 attempts per sliding minute
per client address (429 with Retry-After). GET / names both paths.

A correct keyhole scan must report, in both modes:

* sign-in POST /auth/jwt/login: nothing (with --password-env the account never
  locks: the limit is per client address);
* registration POST /auth/register: nothing. The safe probe (the password left
  out) is refused for the password alone, whatever the username, so keyhole
  sees the same 422 for random names, for ``admin`` and for the owned account;
  the body echo in ``input`` must be normalised away, not taken for a
  difference. A probe that could see "already exists" would have to be valid,
  and would create an account for every free name.
"""

import hmac
import re
import sys
import threading
import time
import math
from collections import defaultdict, deque
from typing import Annotated

from fastapi import FastAPI, Form, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from _common import lab_account, serve

lock = threading.Lock()
USERS = {
    "admin": {"id": 1, "password": "Adm1n-Checks-Last-1"},
    "devon": {"id": 2, "password": "devon-pw-2024"},
    "ci-bot": {"id": 3, "password": "C1-bot-token-pw"},
}
owned = lab_account()
if owned:
    USERS[owned[0]] = {"id": 4, "password": owned[2]}

app = FastAPI(title="Build farm", version="0.9.4")


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


signin_limit = SlidingWindow(5, 60.0)


class UserCreate(BaseModel):
    username: str = Field(min_length=3, max_length=32, pattern=r"^[A-Za-z0-9_.-]+$")
    password: str = Field(min_length=8, max_length=128)


@app.get("/")
def index():
    return {"app": "build-farm", "sign_in": "/auth/jwt/login", "register": "/auth/register"}


@app.post("/auth/jwt/login", summary="Auth:Jwt.Login")
def login(request: Request, username: Annotated[str, Form()], password: Annotated[str, Form()]):
    wait = signin_limit.hit(request.client.host if request.client else "?")
    if wait is not None:
        return JSONResponse({"detail": "Too many sign-in attempts. Try again later."}, status_code=429, headers={"Retry-After": str(wait)})
    user = USERS.get(username)
    stored = user["password"] if user else "\x00not-an-account\x00"
    if hmac.compare_digest(stored.encode(), password.encode()) and user:
        return {"access_token": "jwt-" + username, "token_type": "bearer"}
    return JSONResponse({"detail": "LOGIN_BAD_CREDENTIALS"}, status_code=400)


@app.post("/auth/register", status_code=201, summary="Register:Register")
def register(body: UserCreate):
    if not (re.search(r"[A-Za-z]", body.password) and re.search(r"[0-9]", body.password)):
        return JSONResponse(
            {"detail": {"code": "REGISTER_INVALID_PASSWORD", "reason": "Password should contain a letter and a digit"}},
            status_code=400,
        )
    with lock:
        if body.username in USERS:
            return JSONResponse({"detail": "REGISTER_USER_ALREADY_EXISTS"}, status_code=400)
        uid = max(u["id"] for u in USERS.values()) + 1
        USERS[body.username] = {"id": uid, "password": body.password}
    print(f"register_checks_last: ACCOUNT CREATED for {body.username} (id {uid})", file=sys.stderr, flush=True)
    return {"id": uid, "username": body.username}


if __name__ == "__main__":
    serve(app)

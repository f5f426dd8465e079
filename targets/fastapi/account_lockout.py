"""Per-account lockout that only real accounts can reach, and that says so.

Models a hand-rolled lockout, as often written for FastAPI: POST /auth/signin
(JSON ``{"username", "password"}``) counts failed attempts on the user record
and locks the account for 15 minutes after 5 failures (423 "Account locked").
Before that, every failure on an existing account warns how many attempts are
left: 401 ``{"detail": "Invalid username or password. 4 attempts remaining
before your account is locked."}``. An unknown username has no record to count
on, so it always gets the plain 401 ``{"detail": "Invalid username or
password."}`` and can never be locked. Nothing limits the client itself.

The lockout message and the countdown exist only for real accounts, so the
response tells an attacker which accounts exist, while random accounts (what a
spraying attacker mostly tries) are never slowed. Passwords are compared as
plaintext (no hashing, no timing difference).

A correct keyhole scan must report: ``rate-limit.missing`` and
``auth.user-enumeration.response``. The lockout itself (5 failures) lies
beyond the 3 attempts keyhole allows itself on a guessed account.
"""

import hmac
import secrets
import time

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from _common import serve

MAX_FAILED = 5
LOCK_SECONDS = 15 * 60

USERS = {
    "admin": {"password": "Winter2024!", "failed": 0, "locked_until": 0.0},
    "root": {"password": "toor-but-longer", "failed": 0, "locked_until": 0.0},
    "test": {"password": "test1234", "failed": 0, "locked_until": 0.0},
    "maria": {"password": "m4ria-s3cret", "failed": 0, "locked_until": 0.0},
}

app = FastAPI(title="Payroll")


class Credentials(BaseModel):
    username: str
    password: str


@app.get("/")
def index():
    return {"app": "payroll", "version": "2.4.1"}


@app.post("/auth/signin")
def signin(creds: Credentials):
    user = USERS.get(creds.username)
    if user is None:
        return JSONResponse({"detail": "Invalid username or password."}, status_code=401)
    now = time.time()
    if user["locked_until"] > now:
        minutes = int((user["locked_until"] - now) // 60) + 1
        return JSONResponse(
            {"detail": f"Account locked after too many failed sign-in attempts. Try again in {minutes} minutes."},
            status_code=423,
        )
    if hmac.compare_digest(user["password"], creds.password):
        user["failed"] = 0
        return {"token": secrets.token_urlsafe(24)}
    user["failed"] += 1
    if user["failed"] >= MAX_FAILED:
        user["failed"] = 0
        user["locked_until"] = now + LOCK_SECONDS
        return JSONResponse(
            {"detail": "Account locked after too many failed sign-in attempts. Try again in 15 minutes."},
            status_code=423,
        )
    left = MAX_FAILED - user["failed"]
    return JSONResponse(
        {"detail": f"Invalid username or password. {left} attempts remaining before your account is locked."},
        status_code=401,
    )


if __name__ == "__main__":
    serve(app)

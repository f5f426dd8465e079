"""Identity service whose sign-in lives at an unusual path only its OpenAPI document names.

Models an internal "identity" microservice: POST /v3/identity/sessions takes
JSON ``{"email": ..., "password": ...}`` (the password typed as pydantic's
``SecretStr``, so the schema says ``format: password``) and opens a session.
No well-known path, no HTML page and no link lead there: only the
``/openapi.json`` FastAPI serves by default.

Passwords are bcrypt hashes and the check is constant-time in the way the
FastAPI docs recommend: an unknown email is verified against a dummy hash, so
an existing and an unknown account cost the same bcrypt work and get the same
401 ``{"detail": "Invalid email or password"}``. It is a timing control: a
correct scan must not report a timing difference here. Nothing throttles
failed attempts.

A correct keyhole scan must report exactly: ``rate-limit.missing``.
"""

import secrets
from datetime import datetime, timezone

import bcrypt
from fastapi import FastAPI, HTTPException, status
from pydantic import BaseModel, Field, SecretStr

from _common import serve

# bcrypt cost lowered from the default 12 to 8 so that lab scans stay quick.
ROUNDS = 8


def hash_password(password: str) -> bytes:
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=ROUNDS))


DUMMY_HASH = hash_password("not-a-real-password")

ACCOUNTS = {
    "admin@example.com": {"id": 1, "hash": hash_password("Sup3r-Adm1n!")},
    "alice@example.com": {"id": 2, "hash": hash_password("alice-in-chains")},
    "ops@example.com": {"id": 3, "hash": hash_password("0ps-on-call")},
}
SESSIONS: dict[str, int] = {}

app = FastAPI(
    title="Identity",
    version="3.2.0",
    description="Accounts and sessions for the Acme platform.",
)


class SessionCreate(BaseModel):
    email: str = Field(examples=["jane@example.com"])
    password: SecretStr


class SessionOut(BaseModel):
    session_id: str
    account_id: int
    created_at: datetime


@app.get("/")
def root():
    return {"service": "identity", "status": "ok"}


@app.get("/healthz")
def healthz():
    return {"ok": True}


@app.post("/v3/identity/sessions", status_code=status.HTTP_201_CREATED, response_model=SessionOut)
def create_session(body: SessionCreate):
    account = ACCOUNTS.get(body.email.strip().lower())
    hashed = account["hash"] if account else DUMMY_HASH
    password_ok = bcrypt.checkpw(body.password.get_secret_value().encode(), hashed)
    if account is None or not password_ok:
        raise HTTPException(status_code=status.HTTP_401_UNAUTHORIZED, detail="Invalid email or password")
    sid = secrets.token_urlsafe(24)
    SESSIONS[sid] = account["id"]
    return SessionOut(session_id=sid, account_id=account["id"], created_at=datetime.now(timezone.utc))


@app.delete("/v3/identity/sessions/{session_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_session(session_id: str):
    SESSIONS.pop(session_id, None)


if __name__ == "__main__":
    serve(app)

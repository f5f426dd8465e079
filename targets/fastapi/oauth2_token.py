"""FastAPI's OAuth2 password flow tutorial, with slowapi's default settings.

Models the "OAuth2 with Password (and hashing), Bearer with JWT tokens" chapter
of the FastAPI docs: ``OAuth2PasswordBearer(tokenUrl="token")`` and a POST
/token that takes ``OAuth2PasswordRequestForm`` (form fields ``username`` and
``password``), so the OpenAPI document declares an OAuth2 password flow. As in
the current tutorial, an unknown user is verified against a dummy hash, so both
kinds of failure cost one bcrypt check and answer the same 401 ``{"detail":
"Incorrect username or password"}`` with ``WWW-Authenticate: Bearer``.

/token is limited by slowapi to 5 per minute per client address
(``key_func=get_remote_address``) and uses slowapi's stock
``_rate_limit_exceeded_handler``. slowapi's ``headers_enabled`` defaults to
False, so the 429 ``{"error": "Rate limit exceeded: 5 per 1 minute"}`` carries
no Retry-After (and no X-RateLimit-* headers).

A correct keyhole scan must report exactly: ``rate-limit.no-retry-after``.
"""

import secrets
from typing import Annotated

import bcrypt
from fastapi import Depends, FastAPI, HTTPException, Request, status
from fastapi.security import OAuth2PasswordBearer, OAuth2PasswordRequestForm
from pydantic import BaseModel
from slowapi import Limiter, _rate_limit_exceeded_handler
from slowapi.errors import RateLimitExceeded
from slowapi.util import get_remote_address

from _common import serve

# bcrypt cost lowered from the default 12 to 8 so that lab scans stay quick;
# both failure paths pay it, which is what matters here.
ROUNDS = 8


def get_password_hash(password: str) -> str:
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=ROUNDS)).decode()


def verify_password(plain_password: str, hashed_password: str) -> bool:
    return bcrypt.checkpw(plain_password.encode(), hashed_password.encode())


DUMMY_HASH = get_password_hash("dummypassword")

fake_users_db = {
    "johndoe": {"username": "johndoe", "full_name": "John Doe", "hashed_password": get_password_hash("secret"), "disabled": False},
    "admin": {"username": "admin", "full_name": "Site Admin", "hashed_password": get_password_hash("Adm1n-2024!"), "disabled": False},
    "alice": {"username": "alice", "full_name": "Alice Wonderson", "hashed_password": get_password_hash("wonderland"), "disabled": False},
}
tokens: dict[str, str] = {}


class User(BaseModel):
    username: str
    full_name: str | None = None
    disabled: bool | None = None


class Token(BaseModel):
    access_token: str
    token_type: str


limiter = Limiter(key_func=get_remote_address)
app = FastAPI(title="Todo API")
app.state.limiter = limiter
app.add_exception_handler(RateLimitExceeded, _rate_limit_exceeded_handler)

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="token")


def authenticate_user(username: str, password: str):
    user = fake_users_db.get(username)
    if not user:
        verify_password(password, DUMMY_HASH)
        return False
    if not verify_password(password, user["hashed_password"]):
        return False
    return user


async def get_current_user(token: Annotated[str, Depends(oauth2_scheme)]) -> User:
    username = tokens.get(token)
    if username is None:
        raise HTTPException(
            status_code=status.HTTP_401_UNAUTHORIZED,
            detail="Could not validate credentials",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return User(**fake_users_db[username])


@app.get("/")
async def root():
    return {"message": "Todo API", "docs": "/docs"}


@app.post("/token")
@limiter.limit("5/minute")
async def login_for_access_token(
    request: Request, form_data: Annotated[OAuth2PasswordRequestForm, Depends()]
) -> Token:
    user = authenticate_user(form_data.username, form_data.password)
    if not user:
        raise HTTPException(
            status_code=status.HTTP_401_UNAUTHORIZED,
            detail="Incorrect username or password",
            headers={"WWW-Authenticate": "Bearer"},
        )
    access_token = secrets.token_urlsafe(32)
    tokens[access_token] = user["username"]
    return Token(access_token=access_token, token_type="bearer")


@app.get("/users/me")
async def read_users_me(current_user: Annotated[User, Depends(get_current_user)]) -> User:
    return current_user


@app.get("/todos")
async def read_todos(current_user: Annotated[User, Depends(get_current_user)]):
    return [{"id": 1, "title": "Write the lab", "owner": current_user.username}]


if __name__ == "__main__":
    serve(app)

"""Request dependencies: database session, who is asking, CSRF checks, login rate limiting."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from sqlalchemy.orm import Session

from immunotwin.web.security import (
    CSRF_COOKIE,
    CSRF_FIELD,
    CSRF_HEADER,
    SESSION_COOKIE,
    same,
)
from immunotwin.web.store import Principal, principal_from_session, principal_from_token


class LoginRequired(Exception):
    """A page needs a logged-in user: the handler redirects to the login page."""


def get_db(request: Request) -> Iterator[Session]:
    with request.app.state.sessions() as db:
        yield db


def optional_principal(
    request: Request, db: Annotated[Session, Depends(get_db)]
) -> Principal | None:
    """The user behind a bearer token (``Authorization: Bearer itk_...``) or a session cookie."""
    header = request.headers.get("authorization", "")
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise HTTPException(
                401, "use 'Authorization: Bearer <token>'", {"WWW-Authenticate": "Bearer"}
            )
        found = principal_from_token(db, value.strip())
        if found is None:
            raise HTTPException(401, "invalid API token", {"WWW-Authenticate": "Bearer"})
        return found
    return principal_from_session(db, request.cookies.get(SESSION_COOKIE))


def api_principal(p: Annotated[Principal | None, Depends(optional_principal)]) -> Principal:
    if p is None:
        raise HTTPException(
            401,
            "log in, or send an API token as 'Authorization: Bearer <token>'",
            {"WWW-Authenticate": "Bearer"},
        )
    return p


def api_principal_csrf(
    request: Request, p: Annotated[Principal, Depends(api_principal)]
) -> Principal:
    """For state-changing API calls: a cookie session must also send its CSRF token header."""
    if p.via == "session" and not same(request.headers.get(CSRF_HEADER), p.csrf_token):
        raise HTTPException(403, f"missing or wrong {CSRF_HEADER} header")
    return p


def page_principal(p: Annotated[Principal | None, Depends(optional_principal)]) -> Principal:
    if p is None:
        raise LoginRequired
    return p


async def page_principal_csrf(
    request: Request, p: Annotated[Principal, Depends(page_principal)]
) -> Principal:
    """For form posts of logged-in pages: the form's csrf_token must match the session's."""
    if p.via == "session":
        form = await request.form()
        sent = form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER)
        if not same(str(sent) if sent else None, p.csrf_token):
            raise HTTPException(403, "the form's CSRF token is missing or stale; reload the page")
    return p


async def anonymous_csrf(request: Request) -> None:
    """Login/register forms: double-submit check of the CSRF cookie against the form field."""
    form = await request.form()
    sent = form.get(CSRF_FIELD)
    if not same(str(sent) if sent else None, request.cookies.get(CSRF_COOKIE)):
        raise HTTPException(403, "the form's CSRF token is missing or stale; reload the page")


def client_key(request: Request) -> str:
    return f"ip:{request.client.host if request.client else 'unknown'}"

"""What a browser session holds: the signed-in staff member or portal customers, a CSRF token,
the chosen language. Starlette's signed cookie `regulars_session` carries it."""

from __future__ import annotations

import hmac
import secrets
import threading
from dataclasses import dataclass

from fastapi import Form, Request

from regulars.kit.ratelimit import RateLimiter


class LoginRequired(Exception):
    def __init__(self, next_path: str = "/customers"):
        super().__init__(next_path)
        self.next_path = next_path


class CsrfRejected(Exception):
    pass


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = request.session["csrf"] = secrets.token_urlsafe(32)
    return str(token)


def check_csrf(request: Request, csrf: str = Form("")) -> None:
    """Every POST form carries the session's token in a hidden field named `csrf`."""
    expected = request.session.get("csrf")
    if not expected or not hmac.compare_digest(str(expected).encode(), csrf.encode()):
        raise CsrfRejected()


def check_csrf_header(request: Request) -> None:
    """Pages that post JSON with fetch send the token in the `X-CSRF-Token` header."""
    expected = request.session.get("csrf")
    given = request.headers.get("x-csrf-token", "")
    if not expected or not hmac.compare_digest(str(expected).encode(), given.encode()):
        raise CsrfRejected()


def safe_next(value: str | None, default: str = "/") -> str:
    """Only a local path: never an absolute URL that would turn login into an open redirect."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return default


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@dataclass
class Limits:
    """In-process limits per app (one process serves a shop); the DB-backed per-phone code
    limit lives in customers.portal."""

    login_account: RateLimiter
    login_ip: RateLimiter
    portal_code_ip: RateLimiter
    portal_verify_ip: RateLimiter


_limits_lock = threading.Lock()


def limits(request: Request) -> Limits:
    state = request.app.state
    with _limits_lock:
        if not hasattr(state, "web_limits"):
            state.web_limits = Limits(
                login_account=RateLimiter(5, 15 * 60),
                login_ip=RateLimiter(30, 15 * 60),
                portal_code_ip=RateLimiter(30, 60 * 60),
                portal_verify_ip=RateLimiter(60, 15 * 60),
            )
        found: Limits = state.web_limits
        return found


def put_entry(request: Request, key: str, entry: str, value: str) -> None:
    """Set session[key][entry]. The dict is replaced, never changed in place: the session only
    notices assignments to its own keys, so a nested change would not be saved."""
    entries = dict(request.session.get(key) or {})
    entries[entry] = value
    request.session[key] = entries


def pop_entry(request: Request, key: str, entry: str) -> None:
    entries = dict(request.session.get(key) or {})
    if entries.pop(entry, None) is not None:
        request.session[key] = entries

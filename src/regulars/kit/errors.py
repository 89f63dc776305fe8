"""One error base class; every domain error subclasses it and is rendered as RFC 9457
problem+json."""

from __future__ import annotations

from typing import Any


class ProblemError(Exception):
    status = 400
    slug = "bad-request"
    title = "Bad request"

    def __init__(self, detail: str | None = None, errors: list[dict[str, Any]] | None = None):
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.errors = errors or []

    @property
    def type(self) -> str:
        return f"/problems/{self.slug}"


class NotFound(ProblemError):
    status, slug, title = 404, "not-found", "Not found"


class Unauthorized(ProblemError):
    status, slug, title = 401, "unauthorized", "Authentication required"


class Forbidden(ProblemError):
    status, slug, title = 403, "forbidden", "Not allowed for this role"


class Conflict(ProblemError):
    status, slug, title = 409, "conflict", "Conflict"


class TooManyRequests(ProblemError):
    status, slug, title = 429, "too-many-requests", "Too many attempts"


class InvalidField(ProblemError):
    """Input that parsed as JSON but breaks a domain rule; names the field."""

    status, slug, title = 422, "invalid-field", "Invalid input"

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}", [{"field": field, "message": message}])
        self.field = field

    @classmethod
    def many(cls, errors: list[dict[str, Any]]) -> InvalidField:
        """Several wrong fields in one answer, so a form can mark each of them."""
        exc = cls(errors[0]["field"], errors[0]["message"])
        exc.errors = list(errors)
        exc.detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        return exc

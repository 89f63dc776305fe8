"""Keyset pagination over UUIDv7 ids (time-ordered): `?limit=&cursor=` -> {data, next_cursor}."""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from regulars.kit.errors import InvalidField

T = TypeVar("T")
MAX_LIMIT = 200


@dataclass(frozen=True)
class PageRequest:
    limit: int = 50
    after: uuid.UUID | None = None


def page_request(limit: int, cursor: str | None) -> PageRequest:
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidField("limit", f"must be between 1 and {MAX_LIMIT}")
    return PageRequest(limit=limit, after=decode_cursor(cursor) if cursor else None)


def encode_cursor(value: uuid.UUID) -> str:
    return base64.urlsafe_b64encode(value.bytes).decode().rstrip("=")


def decode_cursor(cursor: str) -> uuid.UUID:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        return uuid.UUID(bytes=raw)
    except (binascii.Error, ValueError):
        raise InvalidField("cursor", "is not a cursor this API returned") from None


class Page(Generic[T]):
    """Read by the API's Page schema through attributes (not a dataclass: FastAPI would deep-copy
    the ORM rows inside it)."""

    def __init__(self, data: Sequence[T], next_cursor: str | None):
        self.data = data
        self.next_cursor = next_cursor


def paginate(rows: Sequence[T], req: PageRequest, key: Callable[[T], uuid.UUID]) -> Page[T]:
    """`rows` were fetched with limit + 1, so one extra row says whether a next page exists."""
    kept = rows[: req.limit]
    more = len(rows) > req.limit
    return Page(kept, encode_cursor(key(kept[-1])) if more else None)

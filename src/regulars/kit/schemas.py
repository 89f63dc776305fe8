"""Base API shapes: unknown fields are rejected, so mass assignment fails loudly."""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict

T = TypeVar("T")


class Schema(BaseModel):
    model_config = ConfigDict(extra="forbid", from_attributes=True)


class Page(Schema, Generic[T]):
    data: list[T]
    next_cursor: str | None = None

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import Field, HttpUrl, field_validator

from regulars.kit.schemas import Schema

Priority = Literal["urgent", "high", "normal", "low"]
Status = Literal["open", "pending", "resolved", "closed"]


def _text(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None


class SurveyCreate(Schema):
    customer_id: uuid.UUID
    kind: Literal["nps", "csat"] = "nps"
    purchase_id: uuid.UUID | None = None


class SurveyOut(Schema):
    id: uuid.UUID
    customer_id: uuid.UUID
    purchase_id: uuid.UUID | None
    kind: str
    created_at: datetime
    expires_at: datetime
    answered_at: datetime | None
    score: int | None
    comment: str | None


class SurveyCreated(SurveyOut):
    token: str = Field(description="Shown once; the link carries it")
    link: str


class SurveyAnswer(Schema):
    score: int = Field(ge=0, le=10, description="NPS 0-10, CSAT 1-5")
    comment: str | None = Field(default=None, max_length=2000)

    _clean = field_validator("comment")(lambda cls, v: _text(v))


class TicketCreate(Schema):
    customer_id: uuid.UUID
    category: str = Field(min_length=1, max_length=40)
    priority: Priority = "normal"
    subject: str = Field(min_length=1, max_length=200)
    body: str | None = Field(default=None, max_length=5000, description="The first message")

    @field_validator("subject", "category")
    @classmethod
    def _strip(cls, v: str) -> str:
        v = " ".join(v.split())
        if not v:
            raise ValueError("must not be blank")
        return v


class TicketUpdate(Schema):
    status: Status | None = None
    priority: Priority | None = None
    assignee_id: uuid.UUID | None = None
    unassign: bool = False


class TicketMessageCreate(Schema):
    body: str = Field(min_length=1, max_length=5000)
    author_type: Literal["staff", "customer"] = "staff"

    @field_validator("body")
    @classmethod
    def _strip(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("must not be blank")
        return v.strip()


class TicketMessageOut(Schema):
    id: uuid.UUID
    author_type: str
    author_id: uuid.UUID | None
    body: str
    created_at: datetime


class TicketOut(Schema):
    id: uuid.UUID
    customer_id: uuid.UUID
    category: str
    priority: str
    subject: str
    status: str
    assignee_id: uuid.UUID | None
    source: str
    created_at: datetime
    first_response_due_at: datetime
    resolution_due_at: datetime
    first_responded_at: datetime | None
    resolved_at: datetime | None


class TicketDetail(TicketOut):
    messages: list[TicketMessageOut]


class ReviewCreate(Schema):
    customer_id: uuid.UUID
    kind: Literal["review", "post"] = "review"
    rating: int | None = Field(default=None, ge=1, le=5)
    body: str | None = Field(default=None, max_length=5000)
    url: HttpUrl | None = Field(default=None, description="The post's address (kind post)")

    _clean = field_validator("body")(lambda cls, v: _text(v))


class ReviewOut(Schema):
    id: uuid.UUID
    customer_id: uuid.UUID
    kind: str
    rating: int | None
    body: str | None
    url: str | None
    status: str
    points_awarded: int
    decided_at: datetime | None
    created_at: datetime

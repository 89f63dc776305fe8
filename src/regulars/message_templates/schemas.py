from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from regulars.message_templates.render import MAX_LENGTH


class TemplateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    subject: str = Field(max_length=MAX_LENGTH, description="Jinja2 text; email subject")
    body: str = Field(min_length=1, max_length=MAX_LENGTH, description="Jinja2 text")


class TemplateOut(BaseModel):
    kind: str
    locale: str
    subject: str
    body: str
    custom: bool = Field(description="The merchant's own wording (false: the shipped one)")
    updated_at: datetime | None
    variables: list[str] = Field(description="What the template may use besides the filters")
    preview: dict[str, str] = Field(description="Rendered with sample values: subject, body")

from __future__ import annotations

from fastapi import APIRouter, Depends

from regulars.merchants.auth import Tx, tx
from regulars.message_templates import service
from regulars.message_templates.schemas import TemplateIn, TemplateOut

router = APIRouter(tags=["messages"])


@router.get("/message-templates/{kind}/{locale}", response_model=TemplateOut)
def get_template(kind: str, locale: str, t: Tx = Depends(tx)) -> object:
    """The wording used for `kind` in `locale`: the shop's own, else the shipped one."""
    return t(service.template_out, kind, locale)


@router.put("/message-templates/{kind}/{locale}", response_model=TemplateOut)
def put_template(kind: str, locale: str, body: TemplateIn, t: Tx = Depends(tx)) -> object:
    """Saves the shop's own wording once it compiles and renders with sample values (422 naming
    `subject` or `body` otherwise, sandbox violations included)."""
    return t(service.put_template, kind, locale, body)


@router.delete("/message-templates/{kind}/{locale}", response_model=TemplateOut)
def reset_template(kind: str, locale: str, t: Tx = Depends(tx)) -> object:
    """Back to the shipped wording."""
    return t(service.reset_template, kind, locale)

"""Coupon campaigns, their codes and the question a till asks: may this code be used?"""

from __future__ import annotations

import hashlib
import uuid

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse
from sqlalchemy.orm import Session

from regulars.kit import problems
from regulars.kit.context import Ctx
from regulars.kit.errors import TooManyRequests
from regulars.kit.ratelimit import RateLimiter
from regulars.merchants.auth import Tx, tx
from regulars.offers import jobs, service
from regulars.offers.codes import printed
from regulars.offers.models import CodeJob, CouponCampaign
from regulars.offers.schemas import (
    CampaignCreate,
    CampaignOut,
    CampaignUpdate,
    CodeJobOut,
    CodeOut,
    CodesCreate,
    PersonalCodeCreate,
    ValidateIn,
    ValidateOut,
)

router = APIRouter(tags=["offers"])
# Guessing codes is hopeless (docs/offers.md); the limits keep a script from even trying.
PER_KEY = RateLimiter(120, 60)
PER_CLIENT = RateLimiter(60, 60)


def _out(session: Session, ctx: Ctx, campaign: CouponCampaign) -> dict[str, object]:
    return service.campaign_out(session, ctx, campaign)


@router.post("/coupon-campaigns", response_model=CampaignOut, status_code=201)
def create_campaign(body: CampaignCreate, t: Tx = Depends(tx)) -> object:
    return t(lambda s, ctx: _out(s, ctx, service.create_campaign(s, ctx, body)))


@router.get("/coupon-campaigns", response_model=list[CampaignOut])
def list_campaigns(t: Tx = Depends(tx)) -> object:
    return t(lambda s, ctx: [_out(s, ctx, c) for c in service.list_campaigns(s, ctx)])


@router.get("/coupon-campaigns/{campaign_id}", response_model=CampaignOut)
def get_campaign(campaign_id: uuid.UUID, t: Tx = Depends(tx)) -> object:
    return t(lambda s, ctx: _out(s, ctx, service.get_campaign(s, ctx, campaign_id)))


@router.patch("/coupon-campaigns/{campaign_id}", response_model=CampaignOut)
def update_campaign(campaign_id: uuid.UUID, body: CampaignUpdate, t: Tx = Depends(tx)) -> object:
    return t(lambda s, ctx: _out(s, ctx, service.update_campaign(s, ctx, campaign_id, body)))


@router.post(
    "/coupon-campaigns/{campaign_id}/codes",
    response_model=CodeJobOut,
    status_code=201,
    responses={202: {"model": CodeJobOut, "description": "Making the codes; poll the job"}},
)
def make_codes(campaign_id: uuid.UUID, body: CodesCreate, t: Tx = Depends(tx)) -> Response:
    job = jobs.start(t.db, t.ctx, campaign_id, body.count)
    out = CodeJobOut.model_validate(job).model_dump_json()
    return Response(out, 201 if job.status == "done" else 202, media_type="application/json")


@router.get("/coupon-campaigns/{campaign_id}/code-jobs/{code_job_id}", response_model=CodeJobOut)
def code_job(campaign_id: uuid.UUID, code_job_id: uuid.UUID, t: Tx = Depends(tx)) -> CodeJob:
    return t(jobs.get_job, campaign_id, code_job_id)


@router.get(
    "/coupon-campaigns/{campaign_id}/codes.csv",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}, "description": ",".join(jobs.CSV_COLUMNS)}},
)
def codes_csv(campaign_id: uuid.UUID, t: Tx = Depends(tx)) -> StreamingResponse:
    t(service.export_codes, campaign_id)
    return StreamingResponse(
        jobs.csv_chunks(t.db, t.ctx, campaign_id),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="codes-{campaign_id}.csv"'},
    )


@router.post(
    "/coupon-campaigns/{campaign_id}/personal-codes", response_model=CodeOut, status_code=201
)
def make_personal_code(
    campaign_id: uuid.UUID, body: PersonalCodeCreate, t: Tx = Depends(tx)
) -> object:
    def work(s: Session, ctx: Ctx) -> dict[str, object]:
        code = service.issue_personal_code(s, ctx, body.customer_id, campaign_id, body.valid_days)
        return {
            "code": printed(code.code),
            "campaign_id": code.campaign_id,
            "customer_id": code.customer_id,
            "expires_at": code.expires_at,
        }

    return t(work)


def limited(request: Request, secret: str) -> JSONResponse | None:
    """429 with Retry-After when this key or this client has asked too often."""
    key = "key:" + hashlib.sha256(secret.encode()).hexdigest()
    client = "ip:" + (request.client.host if request.client else "unknown")
    for limiter, name in ((PER_KEY, key), (PER_CLIENT, client)):
        if not limiter.hit(name):
            wait = limiter.retry_after(name)
            response = problems.for_error(TooManyRequests(f"too many checks; retry in {wait} s"))
            response.headers["Retry-After"] = str(wait)
            return response
    return None


@router.post(
    "/coupons/validate",
    response_model=ValidateOut,
    responses={429: {"model": problems.Problem, "description": "Too many checks; Retry-After"}},
)
def validate(request: Request, body: ValidateIn, t: Tx = Depends(tx)) -> object:
    refused = limited(request, t.secret)
    if refused is not None:
        return refused
    return t.reading(service.validate, body)

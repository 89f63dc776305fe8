"""Surveys by tokenised link and rewarded reviews: each answered or approved once, with the
program's points once, even concurrently."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from regulars import daily
from regulars.db import Database
from regulars.feedback import reviews, surveys
from regulars.feedback.models import Review, Survey
from regulars.feedback.schemas import SurveyAnswer
from regulars.kit import clock
from regulars.kit.context import SYSTEM, Ctx
from regulars.kit.errors import ProblemError
from regulars.loyalty import service as loyalty
from regulars.messaging.models import OutboxMessage
from tests.checkout.test_concurrency import race
from tests.events.helpers import buy
from tests.factories import Shop, make_customer, make_merchant

API = "/api/v1"


def _balance(db: Database, shop: Shop, customer_id: Any) -> int:
    return int(db.run(lambda s: loyalty.ledger_sum(s, shop.ctx, customer_id), write=False))


def _survey(client: TestClient, shop: Shop, customer_id: Any, kind: str = "nps") -> dict[str, Any]:
    r = client.post(
        f"{API}/surveys", json={"customer_id": str(customer_id), "kind": kind}, headers=shop.headers
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


def test_a_survey_link_is_answered_once_and_gives_the_programs_points(
    client: TestClient, db: Database
) -> None:
    shop = make_merchant(db)
    member = make_customer(db, shop, name="Ko Aung")
    made = _survey(client, shop, member.id)
    assert made["link"].endswith(f"/f/{shop.ctx.merchant.slug}/{made['token']}")
    r = client.post(
        f"{API}/surveys/answers/{made['token']}",
        json={"score": 9, "comment": "Lovely cakes"},
        headers=shop.headers,
    )
    assert r.status_code == 200, r.text
    assert (r.json()["score"], r.json()["comment"]) == (9, "Lovely cakes")
    assert _balance(db, shop, member.id) == 10  # engagement.survey_points by default
    again = client.post(
        f"{API}/surveys/answers/{made['token']}", json={"score": 0}, headers=shop.headers
    )
    assert again.status_code == 409
    got = client.get(f"{API}/surveys/{made['id']}", headers=shop.headers).json()
    assert got["score"] == 9
    assert _balance(db, shop, member.id) == 10


def test_a_csat_score_outside_one_to_five_names_the_score_and_writes_nothing(
    client: TestClient, db: Database
) -> None:
    shop = make_merchant(db)
    made = _survey(client, shop, make_customer(db, shop, name="A").id, kind="csat")
    r = client.post(
        f"{API}/surveys/answers/{made['token']}", json={"score": 9}, headers=shop.headers
    )
    assert (r.status_code, r.json()["errors"][0]["field"]) == (422, "score")
    answered = db.run(lambda s: s.scalar(select(Survey.answered_at)), write=False)
    assert answered is None


def test_concurrent_answers_to_one_token_leave_one_score_and_one_award(db: Database) -> None:
    shop = make_merchant(db)
    member = make_customer(db, shop, name="Ko Aung")
    from regulars.feedback.schemas import SurveyCreate

    token = db.run(lambda s: surveys.create(s, shop.ctx, SurveyCreate(customer_id=member.id)).token)
    results = race(
        8,
        lambda i: db.run(lambda s: surveys.answer(s, shop.ctx, token, SurveyAnswer(score=i)).id),
    )
    outcome = Counter(r.slug if isinstance(r, ProblemError) else "answered" for r in results)
    assert outcome == {"answered": 1, "conflict": 7}
    assert _balance(db, shop, member.id) == 10


def test_nps_and_csat_results_by_month(client: TestClient, db: Database) -> None:
    shop = make_merchant(db)
    member = make_customer(db, shop, name="Ko Aung")
    for score in (10, 9, 8, 6, 3):
        made = _survey(client, shop, member.id)
        client.post(
            f"{API}/surveys/answers/{made['token']}", json={"score": score}, headers=shop.headers
        )
    for score in (5, 4, 2):
        made = _survey(client, shop, member.id, kind="csat")
        client.post(
            f"{API}/surveys/answers/{made['token']}", json={"score": score}, headers=shop.headers
        )
    today = clock.today(shop.ctx.merchant.timezone).isoformat()
    got = client.get(f"{API}/surveys/results?from={today}&to={today}", headers=shop.headers).json()
    assert got["nps"] == {
        "responses": 5,
        "promoters": 2,
        "passives": 1,
        "detractors": 2,
        "score": 0,
    }
    assert got["csat"] == {"responses": 3, "satisfied": 2, "percent": 67}
    assert [m["nps"]["responses"] for m in got["by_month"]] == [5]


def test_a_visit_yesterday_gets_one_survey_even_when_the_job_runs_twice(db: Database) -> None:
    shop = make_merchant(db)
    member = make_customer(db, shop, name="Ko Aung", phone="09 7812 34567")
    tz = ZoneInfo(shop.ctx.merchant.timezone)
    with clock.frozen(datetime(2026, 12, 3, 15, 0, tzinfo=tz).astimezone(UTC)):
        buy(db, shop, member.id, 5000, "R-1")
        buy(db, shop, member.id, 7000, "R-2")
    ctx = Ctx(shop.ctx.merchant, SYSTEM)
    with clock.frozen(datetime(2026, 12, 4, 2, 0, tzinfo=tz).astimezone(UTC)):
        assert daily.run_job(db, ctx, "surveys.send")["surveys"] == 1
        assert daily.run_job(db, ctx, "surveys.send")["surveys"] == 0
    sent = db.run(
        lambda s: s.execute(
            select(OutboxMessage.category, OutboxMessage.body, OutboxMessage.locale).where(
                OutboxMessage.kind == "survey"
            )
        ).all(),
        write=False,
    )
    assert len(sent) == 1
    category, body, lang = sent[0]
    assert (category, lang) == ("marketing", "my")
    assert f"/f/{shop.ctx.merchant.slug}/" in body


def _review(client: TestClient, shop: Shop, customer_id: Any, **fields: Any) -> dict[str, Any]:
    body = {"customer_id": str(customer_id), "kind": "review", "rating": 5, "body": "Great"}
    r = client.post(f"{API}/reviews", json=body | fields, headers=shop.headers)
    assert r.status_code == 201, r.text
    return dict(r.json())


def test_an_approved_post_gives_points_once_and_a_rejected_review_none(
    client: TestClient, db: Database
) -> None:
    shop = make_merchant(db)
    member = make_customer(db, shop, name="Ma Su")
    post = _review(client, shop, member.id, kind="post", url="https://facebook.com/p/123")
    r = client.post(f"{API}/reviews/{post['id']}/approve", headers=shop.headers)
    assert (r.status_code, r.json()["status"], r.json()["points_awarded"]) == (200, "approved", 20)
    assert (
        client.post(f"{API}/reviews/{post['id']}/approve", headers=shop.headers).status_code == 409
    )
    other = _review(client, shop, member.id)
    r = client.post(f"{API}/reviews/{other['id']}/reject", headers=shop.headers)
    assert (r.json()["status"], r.json()["points_awarded"]) == ("rejected", 0)
    assert _balance(db, shop, member.id) == 20


def test_a_post_without_its_link_is_refused_naming_url(client: TestClient, db: Database) -> None:
    shop = make_merchant(db)
    member = make_customer(db, shop, name="Ma Su")
    r = client.post(
        f"{API}/reviews",
        json={"customer_id": str(member.id), "kind": "post"},
        headers=shop.headers,
    )
    assert (r.status_code, r.json()["errors"][0]["field"]) == (422, "url")
    assert db.run(lambda s: s.scalar(select(func.count()).select_from(Review)), write=False) == 0


def test_concurrent_approvals_give_the_points_once(db: Database) -> None:
    shop = make_merchant(db)
    member = make_customer(db, shop, name="Ma Su")
    from regulars.feedback.schemas import ReviewCreate

    data = ReviewCreate(customer_id=member.id, kind="review", rating=4, body="Nice")
    review_id = db.run(lambda s: reviews.submit(s, shop.ctx, data).id)
    results = race(
        8, lambda i: db.run(lambda s: reviews.decide(s, shop.ctx, review_id, "approved").id)
    )
    outcome = Counter(r.slug if isinstance(r, ProblemError) else "approved" for r in results)
    assert outcome == {"approved": 1, "conflict": 7}
    assert _balance(db, shop, member.id) == 20


def test_a_completed_profile_earns_its_points_once(db: Database) -> None:
    shop = make_merchant(db)
    make_customer(db, shop, name="Ma Su")  # no email or birthday: not complete
    done = make_customer(db, shop, name="Ko Ko", email="koko@example.com", birthday="1990-05-01")
    ctx = Ctx(shop.ctx.merchant, SYSTEM)
    assert daily.run_job(db, ctx, "engagement.profile")["awards"] == 1
    assert daily.run_job(db, ctx, "engagement.profile")["awards"] == 0
    assert _balance(db, shop, done.id) == 10

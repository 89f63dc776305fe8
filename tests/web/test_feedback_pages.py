"""Complaints, reviews and surveys as people use them: the staff queue with SLA timers, a
member's complaint from the portal, a review approved for points, a survey link answered once."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from regulars.db import Database
from regulars.feedback import surveys, tickets
from regulars.feedback.models import Review, Ticket
from regulars.feedback.schemas import SurveyCreate, TicketCreate
from regulars.kit import clock
from regulars.loyalty import service as loyalty
from regulars.messaging.channels import MemoryChannel
from regulars.web import i18n
from tests.factories import Shop, make_customer, make_merchant
from tests.web.conftest import csrf_of, sign_in
from tests.web.test_event_pages import portal_sign_in

TZ = ZoneInfo("Asia/Yangon")


def _count(db: Database, table: Any) -> int:
    return int(db.run(lambda s: s.scalar(select(func.count()).select_from(table)), write=False))


def _ticket(db: Database, shop: Shop, customer_id: Any, **fields: Any) -> Ticket:
    data = TicketCreate(
        customer_id=customer_id, category="product", subject="Stale cake", body="It was dry"
    )
    return db.run(lambda s: tickets.create(s, shop.ctx, data.model_copy(update=fields)))


def test_the_staff_queue_shows_time_left_and_overdue(client: TestClient, db: Database) -> None:
    shop = make_merchant(db)
    member = make_customer(db, shop, name="Daw Hla")
    monday_10 = datetime(2026, 12, 7, 10, 0, tzinfo=TZ).astimezone(UTC)
    with clock.frozen(monday_10):
        _ticket(db, shop, member.id, priority="urgent", subject="Wrong change")
        _ticket(db, shop, member.id, priority="low", subject="Box was torn")
    sign_in(client, shop, "en")
    with clock.frozen(monday_10 + timedelta(minutes=90)):
        page = client.get("/tickets").text
    assert "Wrong change" in page and "Box was torn" in page
    assert "Overdue by 30 minutes" in page  # urgent: a first reply within 60 business minutes
    assert "left" in page
    assert page.index("Wrong change") < page.index("Box was torn")


def test_a_reply_from_the_ticket_page_is_the_first_response(
    client: TestClient, db: Database
) -> None:
    shop = make_merchant(db)
    made = _ticket(db, shop, make_customer(db, shop, name="Daw Hla").id)
    sign_in(client, shop, "en")
    token = csrf_of(client, f"/tickets/{made.id}")
    empty = client.post(f"/tickets/{made.id}/reply", data={"body": "  ", "csrf": token})
    assert empty.status_code == 422 and "Write a reply first." in empty.text
    r = client.post(
        f"/tickets/{made.id}/reply",
        data={"body": "Sorry, come for a fresh one", "csrf": token},
        follow_redirects=False,
    )
    assert r.status_code == 303
    r = client.post(
        f"/tickets/{made.id}/update",
        data={"status": "resolved", "priority": "normal", "assignee": "", "csrf": token},
        follow_redirects=False,
    )
    assert r.status_code == 303
    got = db.run(lambda s: tickets.get(s, shop.ctx, made.id), write=False)
    assert (got.status, got.first_responded_at is not None) == ("resolved", True)
    assert "Sorry, come for a fresh one" in client.get(f"/tickets/{made.id}").text


def test_a_member_opens_a_complaint_from_the_portal_and_keeps_what_they_typed(
    client: TestClient, db: Database, channel: MemoryChannel
) -> None:
    shop = make_merchant(db)
    make_customer(db, shop, name="Ko Aung", phone="09 7812 34567", locale="en")
    home = portal_sign_in(client, shop, channel, "09 7812 34567")
    assert "/help" in client.get(home).text
    token = csrf_of(client, home + "help")
    form = {"category": "delivery", "subject": "Cake came late", "body": "", "csrf": token}
    r = client.post(home + "help", data=form)
    assert r.status_code == 422
    assert "Tell us what happened." in r.text and 'value="Cake came late"' in r.text
    assert _count(db, Ticket) == 0
    r = client.post(home + "help", data=form | {"body": "Two hours late"}, follow_redirects=False)
    assert r.status_code == 303
    thread = client.get(r.headers["location"]).text
    assert "Two hours late" in thread and "We will reply by" in thread
    made = db.run(lambda s: s.scalar(select(Ticket)), write=False)
    assert (made.source, made.category) == ("portal", "delivery")


def test_a_review_sent_from_the_portal_is_approved_for_points_once(
    client: TestClient, db: Database, channel: MemoryChannel
) -> None:
    shop = make_merchant(db)
    member = make_customer(db, shop, name="Ko Aung", phone="09 7812 34567", locale="en")
    home = portal_sign_in(client, shop, channel, "09 7812 34567")
    token = csrf_of(client, home + "reviews")
    bad = client.post(home + "reviews", data={"kind": "post", "url": "", "csrf": token})
    assert bad.status_code == 422 and "Paste the link to your post" in bad.text
    r = client.post(
        home + "reviews",
        data={"kind": "review", "rating": "5", "body": "Best cakes", "csrf": token},
        follow_redirects=False,
    )
    assert r.status_code == 303
    staff = TestClient(client.app)
    sign_in(staff, shop, "en")
    page = staff.get("/feedback").text
    assert "Best cakes" in page
    review_id = db.run(lambda s: s.scalar(select(Review.id)), write=False)
    staff_token = csrf_of(staff, "/feedback")
    for _ in range(2):
        staff.post(f"/reviews/{review_id}/approve", data={"csrf": staff_token})
    balance = db.run(lambda s: loyalty.ledger_sum(s, shop.ctx, member.id), write=False)
    assert balance == 20
    assert "Approved: 20 points" in client.get(home + "reviews").text


def test_a_survey_link_is_answered_once_without_signing_in(
    client: TestClient, db: Database
) -> None:
    shop = make_merchant(db)
    member = make_customer(db, shop, name="Ko Aung", locale="ur")
    token = db.run(lambda s: surveys.create(s, shop.ctx, SurveyCreate(customer_id=member.id)).token)
    path = f"/f/{shop.ctx.merchant.slug}/{token}"
    page = client.get(path)
    assert page.status_code == 200 and 'dir="rtl"' in page.text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf
    r = client.post(path, data={"score": "10", "comment": "", "csrf": csrf.group(1)})
    assert r.status_code == 200
    ur = i18n.gettext_for("ur").gettext
    assert ur("Thank you!") in r.text
    again = client.post(path, data={"score": "0", "comment": "", "csrf": csrf.group(1)})
    assert ur("You have already answered") in again.text
    assert client.get(f"/f/{shop.ctx.merchant.slug}/not-a-token").status_code == 404


@pytest.mark.parametrize("lang", sorted(i18n.LANGUAGES))
def test_feedback_pages_render_in_every_language(
    client: TestClient, db: Database, lang: str
) -> None:
    shop = make_merchant(db)
    member = make_customer(db, shop, name="Ko Aung")
    made = _ticket(db, shop, member.id)
    sign_in(client, shop, lang)
    for path in ("/tickets", f"/tickets/{made.id}", "/feedback"):
        r = client.get(path)
        assert r.status_code == 200, (path, r.text[:300])
        assert f'lang="{lang}"' in r.text

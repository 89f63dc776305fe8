"""Referral pages: the program form's referral settings, the Ambassadors page in every language,
the portal's share page, the invitation page and taking an invitation (or being refused)."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from regulars.db import Database
from regulars.loyalty import service as loyalty
from regulars.messaging.channels import MemoryChannel
from regulars.referrals import service as referrals
from regulars.web.i18n import LANGUAGES
from tests.factories import Shop, make_customer, make_merchant
from tests.web.conftest import csrf_of, sign_in
from tests.web.test_loyalty_pages import _program_form, _sell
from tests.web.test_portal_pages import _ask, _code, _enter


def _portal_sign_in(client: TestClient, shop: Shop, channel: MemoryChannel, phone: str) -> None:
    _ask(client, shop, phone)
    assert _enter(client, shop, _code(channel, phone)).status_code == 303


def test_the_program_form_edits_the_referral_rules_and_keeps_them(
    client: TestClient, db: Database
) -> None:
    shop = make_merchant(db)
    sign_in(client, shop)
    form = _program_form(client)
    assert (form["referral_referrer_points"], form["referral_friend_points"]) == ("200", "100")
    form |= {
        "referral_referrer_points": "500",
        "referral_min_spend": "5,000",
        "referral_monthly_cap": "3",
        "referral_family_tiers": "gold, vip",
    }
    r = client.post("/settings/program", data=form, follow_redirects=False)
    assert r.status_code == 303, r.text
    rule = db.run(lambda s: loyalty.current_program(s, shop.ctx)[1].referral, write=False)
    assert (rule.referrer_points, rule.friend_points, rule.min_spend, rule.monthly_cap) == (
        500, 100, 5000, 3,
    )  # fmt: skip
    assert rule.family_tiers == ["gold", "vip"]
    again = _program_form(client)  # saving the form again changes nothing
    assert again["referral_family_tiers"] == "gold, vip"
    bad = again | {"referral_monthly_cap": "0"}
    r = client.post("/settings/program", data=bad)
    assert r.status_code == 422
    assert re.search(r'name="referral_monthly_cap" value="0"[^>]*aria-invalid="true"', r.text)
    assert db.run(lambda s: loyalty.current_program(s, shop.ctx)[0], write=False) == 1


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_the_ambassadors_page_ranks_by_value_in_every_language(
    client: TestClient, db: Database, lang: str
) -> None:
    shop = make_merchant(db)
    modest = make_customer(db, shop, name="Modest")
    big = make_customer(db, shop, name="Big")
    _sell(db, shop, "B-1", big.id, 90000)
    _sell(db, shop, "M-1", modest.id, 10000)
    code = db.run(lambda s: referrals.code_for(s, shop.ctx, modest.id))
    for i in range(3):
        friend = make_customer(db, shop, name=f"Friend {i}")
        db.run(lambda s, f=friend: referrals.refer_existing(s, shop.ctx, f.id, code))
        _sell(db, shop, f"F-{i}", friend.id, 30000)
    sign_in(client, shop, lang)
    html = client.get("/referrals").text
    names = re.findall(r'<strong class="name">([^<]+)</strong>', html)
    assert names[:2] == ["Modest", "Big"]
    assert html.count('<li class="ambassador">') == 5
    assert html.count("<rect ") == 6  # Modest: own and friends; Big and each friend: own
    assert 'width="1000"' not in html.split('<li class="ambassador">')[2]  # Big is shorter


def test_the_share_page_shows_the_code_link_and_text_in_the_members_language(
    client: TestClient, db: Database, channel: MemoryChannel
) -> None:
    shop = make_merchant(db, name="Lahore Mobiles", country="PK", currency="PKR",
                         timezone="Asia/Karachi", locale="ur")  # fmt: skip
    make_customer(db, shop, name="Ayesha", phone="0300 1234567", locale="ur")
    base = f"/p/{shop.ctx.merchant.slug}/"
    assert client.get(base + "share", follow_redirects=False).status_code == 303
    _portal_sign_in(client, shop, channel, "+923001234567")
    assert 'href="/p/' + shop.ctx.merchant.slug + '/share"' in client.get(base).text
    html = client.get(base + "share").text
    code = re.search(r'id="share-link" value="[^"]+ref=([0-9A-Z]{8})"', html)
    assert code
    assert '<html lang="ur" dir="rtl">' in html
    assert f"{code.group(1)[:4]}-{code.group(1)[4:]}" in html
    assert "پر میرے ساتھ شامل ہوں" in html  # the share text, in Urdu


def test_an_invitation_link_shows_the_offer_and_a_bad_one_says_so(
    client: TestClient, db: Database
) -> None:
    shop = make_merchant(db, locale="en")
    maya = make_customer(db, shop, name="Maya Thu")
    code = db.run(lambda s: referrals.code_for(s, shop.ctx, maya.id))
    html = client.get(f"/p/{shop.ctx.merchant.slug}/join?ref={code.lower()}").text
    assert "<bdi>Maya</bdi> invites you to <bdi>Shwe Bakery</bdi>" in html
    assert "Join with this invitation and get 100 welcome points." in html
    bad = client.get(f"/p/{shop.ctx.merchant.slug}/join?ref=NOPE").text
    assert "This invitation link is not valid." in bad and "invites you" not in bad


def test_a_signed_in_new_member_takes_an_invitation_once(
    client: TestClient, db: Database, channel: MemoryChannel
) -> None:
    shop = make_merchant(db, locale="en")
    maya = make_customer(db, shop, name="Maya")
    lin = make_customer(db, shop, name="Lin", phone="09 7812 34567")
    code = db.run(lambda s: referrals.code_for(s, shop.ctx, maya.id))
    base = f"/p/{shop.ctx.merchant.slug}/"
    _portal_sign_in(client, shop, channel, "+959781234567")
    token = csrf_of(client, f"{base}join?ref={code}")
    r = client.post(base + "invited", data={"csrf": token}, follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, base)
    assert 'id="balance">100<' in client.get(base).text
    token = csrf_of(client, f"{base}join?ref={code}")
    r = client.post(base + "invited", data={"csrf": token})
    assert r.status_code == 409
    assert "This customer was already referred by a member." in r.text
    info = db.run(lambda s: referrals.referral_of(s, shop.ctx, lin.id, "http://x"), write=False)
    assert info["referred_by"] == maya.id


def test_the_new_customer_form_takes_a_referral_code_and_shows_a_refusal(
    client: TestClient, db: Database
) -> None:
    shop = make_merchant(db, locale="en")
    maya = make_customer(db, shop, name="Maya", phone="09 7812 34567")
    code = db.run(lambda s: referrals.code_for(s, shop.ctx, maya.id))
    sign_in(client, shop)
    token = csrf_of(client, "/customers/new")
    form = {"name": "Maya again", "phone": "09 7812 34567", "referral_code": code, "csrf": token}
    r = client.post("/customers/new", data=form)
    assert r.status_code == 422
    assert "A member cannot refer themselves." in r.text
    assert f'name="referral_code" value="{code}"' in r.text  # the typed code is kept
    form |= {"name": "Ko Zaw", "phone": "09 4200 00001"}
    r = client.post("/customers/new", data=form, follow_redirects=False)
    assert r.status_code == 303
    friend_id = r.headers["location"].rsplit("/", 1)[1]
    page = client.get(f"/customers/{friend_id}").text
    assert "Welcome points for joining with a friend&#39;s code" in page

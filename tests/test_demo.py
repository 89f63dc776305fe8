from __future__ import annotations

import random
import re
import unicodedata
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import phonenumbers
import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from myanmartools import ZawgyiDetector
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from regulars import demo
from regulars.checkout import service as checkout
from regulars.checkout.models import Purchase, PurchaseLine, Refund
from regulars.customers import service as customers
from regulars.customers.models import Consent, Customer, Note
from regulars.db import Database
from regulars.demo import shops as demo_shops
from regulars.demo.loyalty import (
    BAKERY_MENU,
    BAKERY_REWARDS,
    CAFE_MENU,
    CAFE_REWARDS,
    FAVOURITES,
    bakery_program,
    cafe_program,
)
from regulars.demo.names import BAKERY_FAVOURITES, CAFE_USUALS, ZAWGYI_TYPED
from regulars.events import clubs
from regulars.events import service as events
from regulars.kit import clock
from regulars.kit.context import SYSTEM, Ctx
from regulars.kit.errors import Unauthorized
from regulars.loyalty import service as loyalty
from regulars.loyalty import tiers
from regulars.loyalty.models import LoyaltyAccount, PointsEntry, Reward, StampProgress, Voucher
from regulars.merchants import service as merchants
from regulars.merchants.models import ApiKey, AuditEvent, Merchant, StaffUser, Store
from regulars.referrals import service as referrals
from regulars.referrals.models import Referral
from tests.factories import make_merchant

E164 = re.compile(r"\+[1-9]\d{6,14}")
MYANMAR = re.compile("[\u1000-\u109f]")


@pytest.fixture(autouse=True)
def _light_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """The seed makes six staff accounts; full-strength argon2 costs a quarter second each."""
    monkeypatch.setattr(merchants, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024))


def _counts(db: Database, *extra: type[Any]) -> dict[str, int]:
    with db.session(write=False) as s:
        return {
            model.__tablename__: s.scalar(select(func.count()).select_from(model)) or 0
            for model in (Merchant, Store, StaffUser, Customer, Consent, Note, *extra)
        }


def _shops(db: Database) -> dict[str, tuple[Merchant, list[Customer]]]:
    with db.session(write=False) as s:
        out = {}
        for m in s.scalars(select(Merchant)):
            q = select(Customer).where(Customer.merchant_id == m.id)
            rows = s.scalars(q.options(selectinload(Customer.consents))).all()
            out[m.slug] = (m, list(rows))
        return out


def _assert_burmese_is_unicode(rows: list[Customer]) -> None:
    """Every stored Burmese name reads as Unicode, including the ones typed in Zawgyi."""
    detector = ZawgyiDetector()
    burmese = [c.name for c in rows if c.name and MYANMAR.search(c.name)]
    assert len(burmese) > 200
    worst = max(detector.get_zawgyi_probability(name) for name in burmese)
    assert worst < 0.05
    # Compared in NFC: the converter puts asat before dot below, which is canonically the same.
    stored = {unicodedata.normalize("NFC", name) for name in burmese}
    for typed, unicode_name, _roman in ZAWGYI_TYPED:
        assert detector.get_zawgyi_probability(typed) > 0.95  # the input really was Zawgyi
        assert typed not in stored
        assert unicode_name in stored


def _check_shops_and_customers(db: Database, creds: dict[str, Any], started: datetime) -> None:
    assert creds["seeded"] is True
    shops = _shops(db)
    assert sorted(shops) == ["kl-cafe", "lahore-phones", "vientiane-cars", "yangon-bakery"]
    bakery, bakery_customers = shops["yangon-bakery"]
    cafe, cafe_customers = shops["kl-cafe"]
    assert (bakery.country, bakery.currency, bakery.timezone, bakery.locale) == (
        "MM",
        "MMK",
        "Asia/Yangon",
        "my",
    )
    assert (cafe.country, cafe.currency, cafe.timezone, cafe.locale) == (
        "MY",
        "MYR",
        "Asia/Kuala_Lumpur",
        "ms",
    )
    assert (len(bakery_customers), len(cafe_customers)) == (300, 250)
    counts = _counts(db)
    assert (counts["merchants"], counts["stores"], counts["staff_users"]) == (4, 5, 12)
    with db.session(write=False) as s:
        staff = {(u.email, u.role) for u in s.scalars(select(StaffUser))}
        stores = s.scalars(select(Store).where(Store.merchant_id == bakery.id))
        branches = {st.code for st in stores}
    assert staff == {
        (f"{role}@{slug}.demo", role)
        for slug in ("yangon-bakery", "kl-cafe", "lahore-phones", "vientiane-cars")
        for role in ("owner", "manager", "cashier")
    }
    assert branches == {"MAIN", "HLEDAN"}

    for merchant, rows in shops.values():
        phones = [c.phone for c in rows if c.phone is not None]
        assert len(phones) >= len(rows) * 0.9
        for phone in phones:
            assert E164.fullmatch(phone), phone
            assert phonenumbers.is_valid_number(phonenumbers.parse(phone)), phone
        assert len(set(phones)) == len(phones), merchant.slug
        assert all(c.created_at <= started + timedelta(minutes=1) for c in rows)
        assert all(c.created_at >= started - timedelta(days=366) for c in rows)
        spread = max(c.created_at for c in rows) - min(c.created_at for c in rows)
        assert spread > timedelta(days=300)
        consent_sources = {v.source for c in rows for v in c.consent.values()}
        assert consent_sources == {"demo"}

    bakery_locales = Counter(c.locale for c in bakery_customers)
    cafe_locales = Counter(c.locale for c in cafe_customers)
    assert bakery_locales.most_common(1)[0][0] == "my"
    assert cafe_locales.most_common(1)[0][0] == "ms"
    assert set(bakery_locales) == {"my", "en", "ur", "lo"}
    assert set(cafe_locales) == {"ms", "en", "ur", "lo"}
    assert (bakery_locales["ur"], bakery_locales["lo"]) == (cafe_locales["ur"], cafe_locales["lo"])
    assert (bakery_locales["ur"], bakery_locales["lo"]) == (4, 3)
    _assert_burmese_is_unicode(bakery_customers)

    joined = {c.id: c.created_at for _m, rows in shops.values() for c in rows}
    with db.session(write=False) as s:
        notes = s.scalars(select(Note)).all()
    assert len(notes) > 50
    assert all(joined[n.customer_id] < n.created_at <= started for n in notes)
    assert {n.author_type for n in notes} == {"staff"}


def _authenticate(db: Database, key: str) -> Any:
    return db.run(lambda s: merchants.authenticate_key(s, key), write=False)


def _check_second_call(db: Database, client: TestClient, first: dict[str, Any]) -> None:
    """A second call seeds nothing and replaces the API key."""
    before = _counts(db, *TRADE)

    second = demo.seed_if_empty(db, base_url="http://127.0.0.1:8123/")

    assert second["seeded"] is False
    assert first["staff_login_url"] == "http://127.0.0.1:8000/login"
    assert second["staff_login_url"] == "http://127.0.0.1:8123/login"  # where `make run` serves
    assert _counts(db, *TRADE) == before
    old, new = first["api_key"]["key"], second["api_key"]["key"]
    assert old != new
    with pytest.raises(Unauthorized):
        _authenticate(db, old)
    ctx = _authenticate(db, new)
    assert (ctx.merchant.slug, ctx.actor.role) == ("yangon-bakery", "owner")
    with db.session(write=False) as s:
        live = s.scalar(
            select(func.count())
            .select_from(ApiKey)
            .where(ApiKey.name == "make run", ApiKey.revoked_at.is_(None))
        )
        old_id = s.scalar(select(ApiKey.id).where(ApiKey.prefix == old.rsplit("_", 1)[0]))
        revoked = s.scalars(
            select(AuditEvent.action).where(
                AuditEvent.entity_type == "api_key", AuditEvent.entity_id == old_id
            )
        ).all()
    assert live == 1
    assert sorted(revoked) == ["api_key.created", "api_key.revoked"]  # revoking is audited too
    assert second["curl"] == (
        f'curl -H "Authorization: Bearer {new}" http://127.0.0.1:8123/api/v1/customers'
    )

    listed = client.get("/api/v1/customers", headers={"Authorization": f"Bearer {new}"})
    assert listed.status_code == 200, listed.text
    assert len(listed.json()["data"]) == 50
    assert listed.json()["next_cursor"] is not None
    refused = client.get("/api/v1/customers", headers={"Authorization": f"Bearer {old}"})
    assert refused.status_code == 401

    assert [m["slug"] for m in second["merchants"]] == [
        "yangon-bakery",
        "kl-cafe",
        "lahore-phones",
        "vientiane-cars",
    ]
    assert [m["customers"] for m in second["merchants"]] == [300, 250, 60, 40]
    bakery = second["merchants"][0]
    assert bakery["portal_url"] == "http://127.0.0.1:8123/p/yangon-bakery/"
    assert bakery["staff_login"] == {
        "email": "owner@yangon-bakery.demo",
        "password": "regulars-demo",
    }
    login = db.run(lambda s: merchants.staff_login(s, "cashier@kl-cafe.demo", "regulars-demo"))
    assert (login.merchant.slug, login.actor.role) == ("kl-cafe", "cashier")
    found = db.run(lambda s: customers.lookup(s, ctx, phone="09 7812 34567"), write=False)
    assert found.name == "ဒေါ်မြမြ"


# --- the year of trade -------------------------------------------------------------------------

# The seed runs at a fixed moment so the year it invents is the same on every run; a tenth of the
# year keeps the file quick and still holds every kind of customer (see demo_sales.plan).
SEEDED_AT = datetime(2026, 5, 20, 9, 30, tzinfo=UTC)
SHARE = 0.1
TRADE = (Purchase, PurchaseLine, PointsEntry, Voucher, Refund, LoyaltyAccount, StampProgress)
HOURS = {"yangon-bakery": (7, 21), "kl-cafe": (7, 22)}


def _ctx(merchant: Merchant) -> Ctx:
    return Ctx(merchants.info(merchant), SYSTEM)


def _check_programs(s: Session, bakery: Merchant, cafe: Merchant) -> None:
    """Each shop's program is the one it advertises, saved once before its first sale."""
    version, program, saved = loyalty.current_program(s, _ctx(bakery))
    assert version == 1 and saved is not None
    assert (program.earn.points, program.earn.per_amount) == (1, 1000)
    assert program.earn.category_multipliers == {"cake": 200}
    assert (program.bonuses.birthday_month_percent, program.bonuses.first_purchase_points) == (
        200,
        20,
    )
    assert [(d.name, d.start, d.end, d.percent) for d in program.bonuses.double_points] == [
        ("Thingyan", date(2026, 4, 13), date(2026, 4, 16), 200),
        ("Thingyan", date(2027, 4, 13), date(2027, 4, 16), 200),
    ]
    [card] = program.stamp_cards
    assert (card.name, card.categories, card.stamps_required, card.reward_sku) == (
        "Coffee card",
        ["coffee"],
        8,
        "COFFEE",
    )
    assert [(t.code, t.name, t.min_spend, t.multiplier) for t in program.tiers.levels] == [
        ("member", "Member", 0, 100),
        ("silver", "Silver", 300_000, 125),
        ("gold", "Gold", 1_000_000, 150),
    ]
    assert MYANMAR.search(program.tiers.levels[2].perks)
    assert (program.tiers.window_months, program.tiers.downgrade_grace_days) == (12, 30)
    assert program.expiry_months == 12
    assert (program.points_payment.point_value, program.points_payment.max_percent) == (10, 50)

    version, program, _saved = loyalty.current_program(s, _ctx(cafe))
    assert version == 1
    assert (program.earn.points, program.earn.per_amount) == (1, 100)
    assert program.earn.category_multipliers == {"coffee": 200}
    assert [(d.name, d.start, d.end) for d in program.bonuses.double_points] == [
        ("Merdeka", date(2025, 8, 31), date(2025, 8, 31)),
        ("Merdeka", date(2026, 8, 31), date(2026, 8, 31)),
    ]
    [card] = program.stamp_cards
    assert (card.categories, card.stamps_required, card.reward_sku) == (["coffee"], 10, "KOPI")
    assert [(t.code, t.min_spend) for t in program.tiers.levels] == [
        ("member", 0),
        ("silver", 50_000),
        ("gold", 150_000),
    ]
    assert program.expiry_months == 12


def _check_balances(s: Session, merchant: Merchant, rows: list[Customer]) -> None:
    """For every customer: balance = sum of the ledger = loyalty_accounts.balance, and the
    lifetime total is what earning entries added up to."""
    ctx = _ctx(merchant)
    accounts = {
        a.customer_id: a
        for a in s.scalars(select(LoyaltyAccount).where(LoyaltyAccount.merchant_id == merchant.id))
    }
    earned = dict(
        s.execute(
            select(PointsEntry.customer_id, func.sum(PointsEntry.points))
            .where(
                PointsEntry.merchant_id == merchant.id,
                PointsEntry.kind.in_(("earn", "bonus")),
                PointsEntry.points > 0,
            )
            .group_by(PointsEntry.customer_id)
        ).all()
    )
    for c in rows:
        account = accounts.get(c.id)
        assert loyalty.ledger_sum(s, ctx, c.id) == (account.balance if account else 0), c.id
        assert loyalty.summary(s, ctx, c.id)["balance"] == (account.balance if account else 0)
        assert (account.lifetime_earned if account else 0) == earned.get(c.id, 0)
    assert sum(a.balance > 0 for a in accounts.values()) > len(accounts) // 2
    # Each sale's points are the entries posted for it.
    per_sale = dict(
        s.execute(
            select(PointsEntry.purchase_id, func.sum(PointsEntry.points))
            .where(PointsEntry.merchant_id == merchant.id, PointsEntry.kind.in_(("earn", "bonus")))
            .group_by(PointsEntry.purchase_id)
        ).all()
    )
    for purchase in s.scalars(select(Purchase).where(Purchase.merchant_id == merchant.id)):
        assert per_sale.get(purchase.id, 0) == purchase.points_earned
        if purchase.customer_id is None:
            assert purchase.points_earned == 0


def _check_tiers(s: Session, merchant: Merchant) -> Counter[str]:
    """Tiers are what the qualifying spend says (or higher, while a downgrade waits out its
    grace), and the spend is the rolling window's as of the last nightly job."""
    ctx = _ctx(merchant)
    _version, program, _at = loyalty.current_program(s, ctx)
    rank = {t.code: i for i, t in enumerate(program.tiers.levels)}
    held: Counter[str] = Counter()
    for account in s.scalars(
        select(LoyaltyAccount).where(LoyaltyAccount.merchant_id == merchant.id)
    ):
        with clock.frozen(SEEDED_AT):
            since = tiers.window_start(program, clock.now())
            spend = checkout.qualifying_spend(s, ctx, account.customer_id, since)
        assert account.qualifying_spend == spend
        target = tiers.for_spend(program, spend)
        assert target is not None and account.tier_code is not None
        if account.below_tier_since is None:
            assert account.tier_code == target.code
        else:
            assert rank[account.tier_code] > rank[target.code]
        held[account.tier_code] += 1
    return held


def _check_stamps(s: Session, merchant: Merchant) -> None:
    """Cards hold what the coffees bought say: stamps + full cards x size = coffees, for every
    customer without a refund; some cards are part-way."""
    _version, program, _at = loyalty.current_program(s, _ctx(merchant))
    [card] = program.stamp_cards
    coffees = dict(
        s.execute(
            select(Purchase.customer_id, func.sum(PurchaseLine.quantity))
            .join(
                PurchaseLine,
                (PurchaseLine.merchant_id == Purchase.merchant_id)
                & (PurchaseLine.purchase_id == Purchase.id),
            )
            .where(
                Purchase.merchant_id == merchant.id,
                Purchase.customer_id.is_not(None),
                PurchaseLine.category.in_(card.categories),
            )
            .group_by(Purchase.customer_id)
        ).all()
    )
    refunded = set(
        s.scalars(
            select(Purchase.customer_id).where(
                Purchase.merchant_id == merchant.id, Purchase.refunded_total > 0
            )
        )
    )
    cards = s.scalars(select(StampProgress).where(StampProgress.merchant_id == merchant.id)).all()
    for row in cards:
        assert row.card_code == card.code
        assert 0 <= row.stamps < card.stamps_required
        if row.customer_id not in refunded:
            assert row.stamps + row.completed * card.stamps_required == coffees.get(
                row.customer_id, 0
            )
    assert any(row.stamps > 0 for row in cards)
    assert any(row.completed for row in cards)


def _check_vouchers(s: Session, merchant: Merchant) -> None:
    """Rewards were redeemed for their points and used at a later sale by the same customer;
    the limited reward's stock went down by what was redeemed."""
    vouchers = s.scalars(select(Voucher).where(Voucher.merchant_id == merchant.id)).all()
    used = [v for v in vouchers if v.status == "used"]
    assert {v.source for v in used} == {"redemption", "stamp_card"}
    for v in used:
        sale = s.get(Purchase, (merchant.id, v.purchase_id))
        assert sale is not None and sale.customer_id == v.customer_id
        assert v.issued_at < v.used_at == sale.created_at < v.expires_at
        assert sale.discount_total > 0
    costs = dict(
        s.execute(
            select(PointsEntry.voucher_id, PointsEntry.points).where(
                PointsEntry.merchant_id == merchant.id, PointsEntry.kind == "redeem"
            )
        ).all()
    )
    redeemed = [v for v in vouchers if v.source == "redemption"]
    assert {v.id: -v.points_cost for v in redeemed} == costs
    rewards = s.scalars(select(Reward).where(Reward.merchant_id == merchant.id)).all()
    assert {r.kind for r in rewards} == {"free_item", "amount_off", "percent_off"}
    [limited] = [r for r in rewards if r.stock is not None]
    initial = {r.name: r.stock for r in BAKERY_REWARDS + CAFE_REWARDS}[limited.name]
    assert limited.stock == initial - sum(v.reward_id == limited.id for v in redeemed)


def _check_sales(s: Session, merchant: Merchant, started: datetime) -> int:
    """Sales in every month of the past year, all in opening hours, some anonymous, some paid
    partly with points; returns how many were refunded."""
    zone = ZoneInfo(merchant.timezone)
    opens, closes = HOURS[merchant.slug]
    sales = s.scalars(select(Purchase).where(Purchase.merchant_id == merchant.id)).all()
    months = {p.created_at.astimezone(zone).strftime("%Y-%m") for p in sales}
    first = (started - timedelta(days=365)).astimezone(zone).date()
    expected = set()
    day = first
    while day <= started.astimezone(zone).date():
        expected.add(day.strftime("%Y-%m"))
        day += timedelta(days=1)
    assert months == expected
    for p in sales:
        local = p.created_at.astimezone(zone)
        assert p.created_at <= started
        # The sign-up sale follows the sign-up by a few minutes, so it may end after closing.
        assert time(opens) <= local.time() <= time(closes, 10), local
        assert 0 <= p.refunded_total <= p.total
    assert any(p.customer_id is None for p in sales)
    assert any(p.points_redeemed for p in sales)
    stores = {p.store_id for p in sales}
    assert len(stores) == (2 if merchant.slug == "yangon-bakery" else 1)
    return sum(p.refunded_total > 0 for p in sales)


def _check_perks(s: Session, merchant: Merchant, started: datetime) -> None:
    """One upcoming event with replies from invited members, seats that add up; one club."""
    ctx = _ctx(merchant)
    [event] = events.list_events(s, ctx)
    assert event.starts_at > started
    rsvps = events.list_rsvps(s, ctx, event.id)
    assert 0 < len(rsvps) <= event.capacity // 3
    assert event.taken == sum(1 + r.guests for r in rsvps) <= event.capacity
    [club] = clubs.list_clubs(s, ctx)
    assert club.members > 0
    expected = {"yangon-bakery": ("Birthday Cake Club", 100), "kl-cafe": ("Coffee Club", 150)}
    assert (club.name, club.multiplier) == expected[merchant.slug]


def _check_trade(db: Database, started: datetime) -> None:
    shops = _shops(db)
    (bakery, bakery_rows), (cafe, cafe_rows) = shops["yangon-bakery"], shops["kl-cafe"]
    refunded = 0
    with db.session(write=False) as s:
        _check_programs(s, bakery, cafe)
        for merchant, rows in ((bakery, bakery_rows), (cafe, cafe_rows)):
            _check_balances(s, merchant, rows)
            assert set(_check_tiers(s, merchant)) == {"member", "silver", "gold"}, merchant.slug
            _check_stamps(s, merchant)
            _check_vouchers(s, merchant)
            refunded += _check_sales(s, merchant, started)
            _check_perks(s, merchant, started)
        reasons = set(s.scalars(select(PointsEntry.reason).distinct()))
    assert {"base", "first_purchase", "birthday_month", "tier:silver", "tier:gold"} <= reasons
    assert refunded > 0


def _check_referrals(db: Database) -> None:
    """Members sent friends; some friends bought, which rewarded the member once each."""

    def read(s: Session) -> None:
        for merchant in s.scalars(select(Merchant).where(Merchant.slug.in_(HOURS))):
            ctx = _ctx(merchant)
            rows = s.scalars(select(Referral).where(Referral.merchant_id == merchant.id)).all()
            assert len(rows) >= 5, merchant.slug
            rewarded = [r for r in rows if r.status == "rewarded"]
            assert rewarded, merchant.slug
            rewards = s.scalar(
                select(func.count()).where(
                    PointsEntry.merchant_id == merchant.id, PointsEntry.reason == "referral_reward"
                )
            )
            reversed_ = sum(r.status == "reversed" for r in rows)
            assert rewards == len(rewarded) + reversed_
            board = referrals.leaderboard(s, ctx, 100)
            assert any(row["referrals"] > 0 for row in board)

    db.run(read, write=False)


def test_the_demo_seed_makes_both_shops_and_their_year_once(
    db: Database, client: TestClient
) -> None:
    with clock.frozen(SEEDED_AT):
        creds = demo.seed_if_empty(db, share=SHARE)

    _check_shops_and_customers(db, creds, SEEDED_AT)
    _check_trade(db, SEEDED_AT)
    _check_referrals(db)
    _check_markets(db, creds)
    for shop in creds["merchants"][:2]:
        year = creds["year_of_trade"][shop["slug"]]
        assert year["sales"] == shop["sales"] > 200
        assert 0 < year["anonymous_sales"] < year["sales"]
        assert year["redemptions"] > 0 and year["vouchers_used"] > 0
        assert (year["expiry_runs"], year["tier_runs"]) == (13, 5)
        assert set(shop["customers_by_tier"]) == {"member", "silver", "gold"}
    _check_coupons(db)
    _check_second_call(db, client, creds)


def _check_markets(db: Database, creds: dict[str, Any]) -> None:
    """The phone shop in Lahore and the car dealer in Vientiane: their currency, language and
    zone; customers with their handsets and vehicles as attributes; sales through the checkout,
    balances that are their ledgers' sums."""
    shops = _shops(db)
    expected = {
        "lahore-phones": ("PK", "PKR", "Asia/Karachi", "ur", 60),
        "vientiane-cars": ("LA", "LAK", "Asia/Vientiane", "lo", 40),
    }
    summary = {m["slug"]: m for m in creds["merchants"]}
    for slug, (country, currency, zone, locale, count) in expected.items():
        merchant, rows = shops[slug]
        assert (merchant.country, merchant.currency, merchant.timezone, merchant.locale) == (
            country,
            currency,
            zone,
            locale,
        )
        assert len(rows) == count == creds["year_of_trade"][slug]["customers"]
        assert Counter(c.locale for c in rows).most_common(1)[0][0] == locale
        year = creds["year_of_trade"][slug]
        assert year["sales"] == summary[slug]["sales"] > count
        with db.session(write=False) as s:
            _check_balances(s, merchant, rows)
    _dealer, drivers = shops["vientiane-cars"]
    for c in drivers:
        assert set(c.attributes) == {"vehicle_model", "plate", "odometer_km"}
        assert isinstance(c.attributes["odometer_km"], int) and c.attributes["odometer_km"] > 0
        assert re.fullmatch(r"[຀-໿]{2} \d{4} ນວ", c.attributes["plate"])
    _shop, callers = shops["lahore-phones"]
    assert all(c.phone and c.phone.startswith("+923") for c in callers)
    assert all({"handset", "network", "area"} <= set(c.attributes) for c in callers)


def _check_coupons(db: Database) -> None:
    """Each shop has a shared-code campaign and a flyer of single-use codes."""
    from regulars.offers.models import CouponCampaign, CouponCode

    q = (
        select(CouponCampaign.name, func.count(CouponCode.id))
        .join(
            CouponCode,
            (CouponCode.merchant_id == CouponCampaign.merchant_id)
            & (CouponCode.campaign_id == CouponCampaign.id),
        )
        .group_by(CouponCampaign.name)
    )
    made = dict(db.run(lambda s: s.execute(q).all(), write=False))
    assert made == {
        "မိတ်ဆွေများအတွက် ၁၀% လျှော့ဈေး": 1,
        "ကိတ်မုန့် ၂,၀၀၀ ကျပ် လျှော့ (လက်ကမ်းစာစောင်)": 50,
        "Kawan 20% (weekday)": 1,
        "Kopi percuma (flyer)": 100,
    }


def test_the_menus_and_catalogues_are_the_shops_own() -> None:
    """Burmese item and reward names are Unicode; prices are believable minor units; every
    free item, stamp reward and favourite is on the menu."""
    detector = ZawgyiDetector()
    for menu, rewards, program, favourites in (
        (BAKERY_MENU, BAKERY_REWARDS, bakery_program(date(2026, 5, 20)), BAKERY_FAVOURITES),
        (CAFE_MENU, CAFE_REWARDS, cafe_program(date(2026, 5, 20)), CAFE_USUALS),
    ):
        skus = [item.sku for item in menu]
        assert len(set(skus)) == len(skus)
        for name in [i.name for i in menu] + [r.name for r in rewards]:
            if MYANMAR.search(name):
                assert detector.get_zawgyi_probability(name) < 0.05, name
        assert {r.sku for r in rewards if r.kind == "free_item"} <= set(skus)
        assert {c.reward_sku for c in program.stamp_cards} <= set(skus)
        assert {FAVOURITES[f] for f in favourites} <= set(skus)
    cakes = [i.price for i in BAKERY_MENU if i.category == "cake"]
    assert (min(cakes), max(cakes)) == (3500, 25000)
    kopi = [i.price for i in CAFE_MENU if i.category == "coffee"]
    assert (min(kopi), max(kopi)) == (350, 1450)
    assert {i.sku: i.price for i in CAFE_MENU}["NASI-LEMAK"] == 1200
    # The seasonal ranges follow the day of seeding: the latest one in the past year, the next.
    assert [(d.start, d.end) for d in bakery_program(date(2026, 4, 12)).bonuses.double_points] == [
        (date(2025, 4, 13), date(2025, 4, 16)),
        (date(2026, 4, 13), date(2026, 4, 16)),
    ]
    assert [d.start for d in cafe_program(date(2026, 8, 31)).bonuses.double_points] == [
        date(2026, 8, 31),
        date(2027, 8, 31),
    ]


def test_a_database_with_other_merchants_is_left_alone(db: Database) -> None:
    make_merchant(db)
    before = _counts(db, ApiKey)

    creds = demo.seed_if_empty(db)

    assert creds["seeded"] is False
    assert creds["merchants"] == []
    assert "api_key" not in creds
    assert _counts(db, ApiKey) == before


def test_the_demo_people_are_the_same_on_every_run() -> None:
    today = date(2026, 5, 1)
    for shop in demo.SHOPS:
        first = demo_shops.people(random.Random(demo.SEED), shop, today)
        again = demo_shops.people(random.Random(demo.SEED), shop, today)
        assert first == again
        assert len(first) == shop.customers

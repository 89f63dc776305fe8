"""The demo shops behind `make run`: a Yangon bakery and a Kuala Lumpur café, a year of customers;
and smaller, a Lahore phone shop and a Vientiane car dealer (demo/markets.py).

Who the shops and their customers are is in demo/shops.py; this module gives them their year.

Everything goes through the real services, so demo data obeys the rules real data does (E.164
phones, Zawgyi stored as Unicode, consent rows, audit events). A fixed random seed makes every run
build the same shops (relative to the day it runs); the clock is frozen at each moment of the
invented history so created_at and the audit trail agree. Each shop then trades for that year
through the real checkout (demo/sales.py), under a loyalty program that fits it
(demo/loyalty.py). Logins and passwords are fixed and
documented because this is demo data; the API key is new on every call, since keys are stored
hashed and cannot be shown twice.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from regulars.checkout.models import Purchase
from regulars.customers import service as customers
from regulars.customers.models import Customer
from regulars.customers.schemas import NoteCreate
from regulars.db import Database
from regulars.demo import markets, names, perks, sales
from regulars.demo import shops as demo_shops
from regulars.demo.loyalty import FAVOURITES
from regulars.demo.shops import (
    BAKERY,
    SHOPS,
    DemoShop,
)
from regulars.kit import clock
from regulars.kit.context import SYSTEM, Actor, Ctx, MerchantInfo
from regulars.loyalty import rewards
from regulars.loyalty import service as loyalty
from regulars.merchants import service as merchants
from regulars.merchants.models import Merchant
from regulars.merchants.schemas import ApiKeyCreate, MerchantCreate, StaffCreate, StoreCreate
from regulars.offers import service as offers
from regulars.referrals import service as referrals

BASE_URL = "http://127.0.0.1:8000"
PASSWORD = "regulars-demo"
KEY_NAME = "make run"
ALL_SHOPS = SHOPS + markets.SHOPS
SEED = 2026
HISTORY_DAYS = 365
REFERRED_SHARE = 0.12  # of customers, sent by a member
AMBASSADORS = 12  # the earliest members, who send the friends


# --- history ---------------------------------------------------------------------------------


@contextmanager
def _at(session: Session, when: datetime) -> Iterator[None]:
    """Act at `when`; the flush inside makes every default timestamp (audit too) read that time."""
    with clock.frozen(when):
        yield
        session.flush()


def _moment(rng: random.Random, shop: DemoShop, day: date, now: datetime) -> datetime:
    """A time during opening hours (7:00 to 21:00 local) on `day`, never later than now."""
    local = datetime.combine(
        day, time(rng.randrange(7, 21), rng.randrange(60), rng.randrange(60)), tzinfo=shop.zone
    )
    return min(local.astimezone(UTC), now - timedelta(minutes=1))


@dataclass(frozen=True)
class _Opened:
    info: MerchantInfo
    owner: Ctx
    desk: dict[str, Ctx]  # by role
    stores: tuple[sales.Store, ...]  # the main store first


def _open_shop(session: Session, shop: DemoShop, first_day: date, today: date) -> _Opened:
    """The merchant, its staff and stores, and the loyalty program it starts the year with."""
    data = MerchantCreate(
        name=shop.name,
        country=shop.country,
        currency=shop.currency,
        timezone=shop.timezone,
        locale=shop.locale,
        slug=shop.slug,
    )
    opened = datetime.combine(first_day - timedelta(days=1), time(9), tzinfo=shop.zone)
    with _at(session, opened):
        info, owner_user, _key = merchants.create_merchant(
            session, data, shop.email("owner"), PASSWORD
        )
        system = Ctx(info, SYSTEM)
        staff = {
            role: merchants.create_staff(
                session,
                system,
                StaffCreate(email=shop.email(role), name=name, role=role, password=PASSWORD),
            )
            for role, name in shop.staff
        }
    owner = Ctx(info, Actor("staff", owner_user.id, "owner"))
    desk = {role: Ctx(info, Actor("staff", s.id, role)) for role, s in staff.items()}
    with _at(session, opened + timedelta(minutes=30)):
        if shop.program is not None:
            loyalty.save_program(session, owner, shop.program(today))
        for reward in shop.rewards:
            rewards.create_reward(session, desk["manager"], reward)
        for coupon in shop.coupons:
            campaign = offers.create_campaign(session, desk["manager"], coupon.campaign)
            if coupon.codes:
                offers.add_codes(session, desk["manager"], campaign.id, coupon.codes)
    main = merchants.list_stores(session, system)[0]
    stores = [sales.Store(main.id, main.code, first_day - timedelta(days=1))]
    if shop.branch:
        code, name = shop.branch
        branch_opened = first_day + timedelta(days=shop.branch_day)
        with _at(session, datetime.combine(branch_opened, time(9), tzinfo=shop.zone)):
            branch = merchants.create_store(session, system, StoreCreate(code=code, name=name))
        stores.append(sales.Store(branch.id, code, branch_opened))
    return _Opened(info, owner, desk, tuple(stores))


def _sign_up(
    session: Session,
    rng: random.Random,
    shop: DemoShop,
    shop_ctx: _Opened,
    first_day: date,
    now: datetime,
) -> list[sales.Member]:
    """The year's customers, each signed up at the till on their first visit; notes follow."""
    today = now.astimezone(shop.zone).date()
    main_store = shop_ctx.stores[0].id
    branch_id = shop_ctx.stores[1].id if len(shop_ctx.stores) > 1 else None
    desk = shop_ctx.desk
    people = demo_shops.people(rng, shop, today)
    days = sorted([0] + [rng.randrange(HISTORY_DAYS) for _ in people[1:]])
    emails: set[str] = set()
    members: list[sales.Member] = []
    # Its own stream, so the people stay the same whatever the referrals draw.
    word_of_mouth = random.Random(f"{SEED}:{shop.slug}:referrals")
    note_plan: list[tuple[datetime, uuid.UUID, str]] = []
    for person, offset in zip(people, days, strict=True):
        day = first_day + timedelta(days=offset)
        store = main_store
        if branch_id and offset >= shop.branch_day and rng.random() < 0.4:
            store = branch_id
        profile = demo_shops.profile(rng, shop, person, today, emails, store)
        joined = _moment(rng, shop, day, now)
        with _at(session, joined):
            customer = customers.create_customer(session, desk["cashier"], profile, source="demo")
            if members and word_of_mouth.random() < REFERRED_SHARE:
                _referred(session, word_of_mouth, desk["cashier"], customer.id, members)
        attributes = profile.attributes or {}
        liked = attributes.get("favourite") or attributes.get("usual")
        members.append(
            sales.Member(
                id=customer.id,
                joined=joined,
                store=store,
                birthday=profile.birthday,
                tags=tuple(profile.tags or ()),
                favourite=FAVOURITES.get(liked) if isinstance(liked, str) else None,
            )
        )
        for _ in range(rng.choice((1, 1, 2, 3)) if rng.random() < 0.15 else 0):
            later = day + timedelta(days=rng.randint(1, max(1, (today - day).days)))
            if later < today:
                pool = names.BAKERY_NOTES if shop is BAKERY else names.CAFE_NOTES
                note_plan.append((_moment(rng, shop, later, now), customer.id, rng.choice(pool)))
    for when, customer_id, body in sorted(note_plan):
        author = desk["manager" if rng.random() < 0.4 else "cashier"]
        with _at(session, when):
            customers.add_note(session, author, customer_id, NoteCreate(body=body))
    return members


def _referred(
    session: Session,
    rng: random.Random,
    cashier: Ctx,
    customer_id: uuid.UUID,
    members: Sequence[sales.Member],
) -> None:
    """The new customer names the member who sent them; a few early members send most friends
    (the ambassadors the leaderboard is for), anyone else now and then. A refused referral (the
    member's monthly cap) is skipped, as at a real till."""
    if rng.random() < 0.3:  # anyone may send a friend, a friend too (a second degree)
        referrer = rng.choice(members)
    else:
        pool = members[:AMBASSADORS]
        referrer = pool[min(int(rng.paretovariate(1.2)) - 1, len(pool) - 1)]
    code = referrals.code_for(session, cashier, referrer.id)
    try:
        with session.begin_nested():
            referrals.refer_existing(session, cashier, customer_id, code)
    except referrals.ReferralRefused:
        pass


def _seed_shop(
    session: Session, rng: random.Random, shop: DemoShop, now: datetime, share: float
) -> dict[str, Any]:
    first_day = (now - timedelta(days=HISTORY_DAYS)).astimezone(shop.zone).date()
    today = now.astimezone(shop.zone).date()
    opened = _open_shop(session, shop, first_day, today)
    members = _sign_up(session, rng, shop, opened, first_day, now)
    if shop.program is None:
        return {}
    _version, program, _at_time = loyalty.current_program(session, opened.owner)
    till = sales.Till(
        kind="bakery" if shop is BAKERY else "cafe",
        cashier=opened.desk["cashier"],
        manager=opened.desk["manager"],
        system=Ctx(opened.info, SYSTEM),
        zone=shop.zone,
        hours=shop.hours,
        menu=shop.menu,
        program=program,
        stores=opened.stores,
        bulk_tag=shop.bulk_tag,
        anonymous_per_day=shop.anonymous_per_day,
    )
    # Its own stream, so the customers stay the same whatever the year of trade draws.
    trade_rng = random.Random(f"{SEED}:{shop.slug}:trade")
    traded = sales.trade(session, trade_rng, till, members, first_day, now, share)
    perks_rng = random.Random(f"{SEED}:{shop.slug}:perks")
    return traded | perks.add(session, perks_rng, shop, opened.desk["manager"], members, now)


# --- entry point -----------------------------------------------------------------------------


def _seed_all(session: Session, share: float = 1.0) -> dict[str, Any] | None:
    """Both shops and their year in one transaction: the database ends with all or nothing, so
    an interrupted seed is simply run again (the services only flush; this commits once).
    Returns what each shop's year held, or None when there was something already."""
    if session.scalar(select(func.count()).select_from(Merchant)):
        return None
    rng = random.Random(SEED)
    now = clock.now()
    made = {shop.slug: _seed_shop(session, rng, shop, now, share) for shop in SHOPS}
    for shop in markets.SHOPS:
        first_day = (now - timedelta(days=HISTORY_DAYS)).astimezone(shop.zone).date()
        opened = _open_shop(session, shop, first_day, now.astimezone(shop.zone).date())
        made[shop.slug] = markets.trade(session, shop, opened.desk["cashier"], now)
    return made


def _fresh_key(session: Session) -> str | None:
    """A new owner key for the bakery; earlier demo keys stop working (none can be shown twice)."""
    merchant = session.scalar(select(Merchant).where(Merchant.slug == BAKERY.slug))
    if merchant is None:
        return None
    ctx = Ctx(merchants.info(merchant), SYSTEM)
    merchants.revoke_keys_named(session, ctx, KEY_NAME)
    _key, secret = merchants.issue_api_key(session, ctx, ApiKeyCreate(name=KEY_NAME, role="owner"))
    return secret


def _summary(session: Session, base_url: str) -> list[dict[str, Any]]:
    out = []
    for shop in ALL_SHOPS:
        merchant = session.scalar(select(Merchant).where(Merchant.slug == shop.slug))
        if merchant is None:
            continue
        count = session.scalar(
            select(func.count()).select_from(Customer).where(Customer.merchant_id == merchant.id)
        )
        sold = session.scalar(
            select(func.count()).select_from(Purchase).where(Purchase.merchant_id == merchant.id)
        )
        tiers = loyalty.tier_counts(session, Ctx(merchants.info(merchant), SYSTEM))
        out.append(
            {
                "name": merchant.name,
                "slug": merchant.slug,
                "currency": merchant.currency,
                "timezone": merchant.timezone,
                "customers": count,
                "sales": sold,
                "customers_by_tier": dict(sorted((code or "none", n) for code, n in tiers)),
                "portal_url": f"{base_url}/p/{merchant.slug}/",
                "staff_login": {"email": shop.email("owner"), "password": PASSWORD},
                "other_logins": [
                    {"email": shop.email(role), "password": PASSWORD, "role": role}
                    for role, _name in shop.staff
                ],
            }
        )
    return out


def seed_if_empty(db: Database, share: float = 1.0, base_url: str = BASE_URL) -> dict[str, Any]:
    """Seed the demo shops when no merchant exists; always return logins and a fresh API key.
    `share` < 1 rings up only that part of the year's trade (the same shops and customers);
    `base_url` is where the server will answer, for the addresses printed."""
    base_url = base_url.rstrip("/")
    if not 0 < share <= 1:
        raise ValueError("share must be in (0, 1]")
    trade = db.run(partial(_seed_all, share=share))
    key = db.run(_fresh_key)
    shops: Sequence[dict[str, Any]] = db.run(partial(_summary, base_url=base_url), write=False)
    creds: dict[str, Any] = {
        "seeded": trade is not None,
        "staff_login_url": f"{base_url}/login",
        "merchants": list(shops),
    }
    if key is None:
        creds["note"] = "the database already held other merchants, so no demo shop was made"
        return creds
    if trade is not None:
        creds["year_of_trade"] = trade
    creds["api_key"] = {"merchant": BAKERY.slug, "role": "owner", "name": KEY_NAME, "key": key}
    creds["curl"] = f'curl -H "Authorization: Bearer {key}" {base_url}/api/v1/customers'
    return creds

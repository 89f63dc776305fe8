"""The demo's two other markets: a phone shop in Lahore (PKR, Urdu) and a car dealer in
Vientiane (LAK, Lao), whose customers' vehicles are custom attributes.

Smaller than the bakery and the café (`regulars demo` runs in `make run`): a few dozen customers
each, signed up across the past year, and their sales through the real checkout: a handset and
later accessories and repairs; a car and later its services, the odometer climbing.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy.orm import Session

from regulars.checkout import service as checkout
from regulars.checkout.schemas import CheckoutIn
from regulars.customers import service as customers
from regulars.customers.schemas import CustomerCreate
from regulars.demo.loyalty import Item
from regulars.demo.shops import DemoShop
from regulars.kit import clock
from regulars.kit.context import Ctx
from regulars.loyalty.program import EarnRule, PointsPayment, Program, Tier, Tiers
from regulars.loyalty.schemas import RewardCreate

HISTORY_DAYS = 365

# --- Lahore: a phone shop in Hafeez Centre -----------------------------------------------------

PHONES = (  # PKR has two minor digits: Rs 42,999 is 4_299_900
    Item("GALAXY-A15", "Samsung Galaxy A15", "handset", 4_299_900, 1),
    Item("INFINIX-HOT40", "Infinix Hot 40", "handset", 3_699_900, 1),
    Item("TECNO-SPARK20", "Tecno Spark 20", "handset", 3_299_900, 1),
    Item("REDMI-13C", "Redmi 13C", "handset", 3_449_900, 1),
    Item("IPHONE-13", "iPhone 13 (PTA)", "handset", 21_500_000, 1),
)
ACCESSORIES = (
    Item("CASE", "Back cover", "accessory", 120_000, 1),
    Item("GLASS", "Tempered glass", "accessory", 50_000, 1),
    Item("CHARGER", "Fast charger 33W", "accessory", 250_000, 1),
    Item("BUDS", "Wireless earbuds", "accessory", 350_000, 1),
    Item("SCREEN", "Screen replacement", "repair", 800_000, 1),
    Item("BATTERY", "Battery replacement", "repair", 450_000, 1),
)
URDU_GIVEN = (
    ("محمد", "Muhammad"), ("احمد", "Ahmed"), ("علی", "Ali"), ("عمر", "Umar"), ("بلال", "Bilal"),
    ("حمزہ", "Hamza"), ("عثمان", "Usman"), ("فیصل", "Faisal"), ("عائشہ", "Ayesha"),
    ("فاطمہ", "Fatima"), ("زینب", "Zainab"), ("مریم", "Maryam"), ("سارہ", "Sara"),
    ("حنا", "Hina"), ("صبا", "Saba"), ("نادیہ", "Nadia"),
)  # fmt: skip
URDU_FAMILY = (
    ("خان", "Khan"), ("بٹ", "Butt"), ("چوہدری", "Chaudhry"), ("قریشی", "Qureshi"),
    ("شیخ", "Sheikh"), ("ملک", "Malik"), ("رانا", "Rana"), ("صدیقی", "Siddiqui"),
    ("مرزا", "Mirza"), ("اعوان", "Awan"),
)  # fmt: skip
LAHORE_AREAS = ("Gulberg", "Model Town", "Johar Town", "DHA", "Shadman", "Iqbal Town", "Anarkali")
NETWORKS = ("Jazz", "Zong", "Telenor", "Ufone")


def phone_program(_today: date) -> Program:
    return Program(
        earn=EarnRule(points=1, per_amount=10_000, category_multipliers={"accessory": 200}),
        tiers=Tiers(
            levels=[
                Tier(code="member", name="ممبر", min_spend=0, names={"en": "Member"}),
                Tier(
                    code="gold",
                    name="گولڈ",
                    min_spend=10_000_000,
                    multiplier=150,
                    perks="مفت اسکرین پروٹیکٹر",
                    names={"en": "Gold"},
                ),
            ]
        ),
        expiry_months=12,
        points_payment=PointsPayment(enabled=True, point_value=100, max_percent=20),
    )


PHONE_SHOP = DemoShop(
    slug="lahore-phones",
    name="Qadri Mobiles, Hafeez Centre",
    country="PK",
    currency="PKR",
    timezone="Asia/Karachi",
    locale="ur",
    customers=60,
    staff=(("manager", "Ayesha Siddiqui"), ("cashier", "Usman Tariq")),
    hours=(11, 21),
    menu=PHONES + ACCESSORIES,
    program=phone_program,
    rewards=(
        RewardCreate(name="مفت بیک کور", kind="free_item", cost_points=150, sku="CASE"),
        RewardCreate(name="Rs 1,000 رعایت", kind="amount_off", cost_points=1000, amount=100_000),
    ),
)

# --- Vientiane: a car dealer and its service bay -----------------------------------------------

VEHICLES = (  # LAK has no minor digits
    ("Toyota Vios", "vehicle", 385_000_000),
    ("Toyota Hilux Revo", "vehicle", 720_000_000),
    ("Honda City", "vehicle", 410_000_000),
    ("Mitsubishi Xpander", "vehicle", 520_000_000),
    ("Ford Ranger", "vehicle", 760_000_000),
    ("Kia Seltos", "vehicle", 560_000_000),
)
SERVICES = (
    Item("SERVICE-10K", "ບໍລິການ 10,000 ກມ", "service", 1_450_000, 1),
    Item("OIL", "ປ່ຽນນ້ຳມັນເຄື່ອງ", "service", 650_000, 1),
    Item("TYRE", "ຢາງລົດ (ໜ່ວຍ)", "parts", 1_900_000, 1),
    Item("BRAKE", "ຜ້າເບຣກ", "parts", 1_200_000, 1),
    Item("WASH", "ລ້າງລົດ", "service", 80_000, 1),
)
LAO_GIVEN = (
    ("ສົມສັກ", "Somsak"), ("ຄຳຫຼ້າ", "Khamla"), ("ມະນີວັນ", "Manivanh"), ("ບຸນມີ", "Bounmy"),
    ("ສຸກສະຫວັນ", "Souksavanh"), ("ພອນສະຫວັນ", "Phonesavanh"), ("ວຽງສະໄໝ", "Viengsamay"),
    ("ນ້ອຍ", "Noy"), ("ແສງເດືອນ", "Sengdeuan"), ("ທອງໃສ", "Thongsay"), ("ອາລຸນ", "Aloun"),
)  # fmt: skip
LAO_FAMILY = (
    ("ພົມມະວົງ", "Phommavong"), ("ວົງໄຊ", "Vongsay"), ("ຈັນທະວົງ", "Chanthavong"),
    ("ແກ້ວມະນີ", "Keomany"), ("ສີສຸວັນ", "Sisouvanh"), ("ພົມມະຈັນ", "Phommachanh"),
    ("ອິນທະວົງ", "Inthavong"), ("ໄຊຍະວົງ", "Xayavong"),
)  # fmt: skip
PLATE_LETTERS = "ກຂຄງຈສຊຍດຕຖທນບປຜຝພຟມຢຣລວຫອຮ"


def dealer_program(_today: date) -> Program:
    return Program(
        earn=EarnRule(points=1, per_amount=100_000, category_multipliers={"service": 200}),
        tiers=Tiers(
            levels=[
                Tier(code="member", name="ສະມາຊິກ", min_spend=0, names={"en": "Member"}),
                Tier(
                    code="gold",
                    name="ຄຳ",
                    min_spend=600_000_000,
                    multiplier=150,
                    perks="ລ້າງລົດຟຣີທຸກຄັ້ງທີ່ເຂົ້າບໍລິການ",
                    names={"en": "Gold"},
                ),
            ]
        ),
        expiry_months=24,
        points_payment=PointsPayment(enabled=True, point_value=1_000, max_percent=30),
    )


CAR_DEALER = DemoShop(
    slug="vientiane-cars",
    name="Mekong Motors Vientiane",
    country="LA",
    currency="LAK",
    timezone="Asia/Vientiane",
    locale="lo",
    customers=40,
    staff=(("manager", "Souksavanh Keomany"), ("cashier", "Noy Phommachanh")),
    hours=(8, 17),
    menu=SERVICES,
    program=dealer_program,
    rewards=(RewardCreate(name="ລ້າງລົດຟຣີ", kind="free_item", cost_points=200, sku="WASH"),),
)
SHOPS = (PHONE_SHOP, CAR_DEALER)


# --- their year ----------------------------------------------------------------------------------


@dataclass
class _Customer:
    profile: CustomerCreate
    joined: datetime
    first: list[tuple[str, str, str, int]]  # the first sale's lines: sku, name, category, price
    later: list[tuple[int, Item]]  # days after joining, what they came back for


def _name(rng: random.Random, given: tuple[tuple[str, str], ...], family: Any) -> tuple[str, str]:
    (g, g_roman), (f, f_roman) = rng.choice(given), rng.choice(family)
    return f"{g} {f}", f"{g_roman} {f_roman}"


def _lahore(rng: random.Random, i: int, joined: datetime, phones: set[str]) -> _Customer:
    name, roman = _name(rng, URDU_GIVEN, URDU_FAMILY)
    english = rng.random() < 0.2
    number = ""
    while not number or number in phones:  # 0300-0347: Jazz, Zong, Telenor, Ufone
        number = f"03{rng.randint(0, 47):02d}{rng.randrange(10**7):07d}"
        number = number if number[:4] != "0338" else ""
    phones.add(number)
    typed = rng.choice((f"{number[:4]}-{number[4:]}", number, f"+92 {number[1:4]} {number[4:]}"))
    handset = rng.choice(PHONES)
    profile = CustomerCreate(
        name=roman if english else name,
        phone=typed,
        locale="en" if english else "ur",
        attributes={
            "handset": handset.name,
            "network": rng.choice(NETWORKS),
            "area": rng.choice(LAHORE_AREAS),
        },
        consent={"sms": rng.random() < 0.7, "whatsapp": rng.random() < 0.6},
        consent_source="demo",
    )
    later = [(rng.randint(3, 200), rng.choice(ACCESSORIES)) for _ in range(rng.choice((0, 1, 2)))]
    first = [(handset.sku, handset.name, handset.category, handset.price)]
    first += [(a.sku, a.name, a.category, a.price) for a in rng.sample(ACCESSORIES[:3], 2)]
    return _Customer(profile, joined, first, later)


def _vientiane(rng: random.Random, i: int, joined: datetime, phones: set[str]) -> _Customer:
    name, roman = _name(rng, LAO_GIVEN, LAO_FAMILY)
    locale = "lo" if rng.random() < 0.85 else "en"
    while (number := f"020{rng.choice('2579')}{rng.randrange(10**7):07d}") in phones:
        pass
    phones.add(number)
    typed = rng.choice((f"{number[:3]} {number[3:7]} {number[7:]}", f"+856 20 {number[3:]}"))
    model, category, price = rng.choice(VEHICLES)
    year = joined.year if rng.random() < 0.7 else joined.year - rng.randint(1, 6)
    letters = "".join(rng.sample(PLATE_LETTERS, 2))
    services = [(d, rng.choice(SERVICES)) for d in range(rng.randint(40, 90), 330, 95)]
    odometer = rng.randint(5, 60) * 1000 if year < joined.year else 0
    odometer += (len(services) * 10_000) + rng.randint(0, 4000)
    profile = CustomerCreate(
        name=name if locale == "lo" else roman,
        phone=typed,
        locale=locale,
        attributes={
            "vehicle_model": f"{model} {year}",
            "plate": f"{letters} {rng.randint(1000, 9999)} ນວ",  # Vientiane Capital
            "odometer_km": odometer,
        },
        consent={"sms": rng.random() < 0.6, "whatsapp": rng.random() < 0.5},
        consent_source="demo",
    )
    bought = year == joined.year
    first = [(model.upper().replace(" ", "-"), model, category, price)] if bought else []
    if not first:
        first = [(SERVICES[0].sku, SERVICES[0].name, SERVICES[0].category, SERVICES[0].price)]
    return _Customer(profile, joined, first, services)


PEOPLE: dict[str, Callable[[random.Random, int, datetime, set[str]], _Customer]] = {
    PHONE_SHOP.slug: _lahore,
    CAR_DEALER.slug: _vientiane,
}


def _when(rng: random.Random, shop: DemoShop, day: date, now: datetime) -> datetime:
    opens, closes = shop.hours
    local = datetime.combine(
        day, time(rng.randrange(opens, closes), rng.randrange(60)), tzinfo=shop.zone
    )
    return min(local.astimezone(UTC), now - timedelta(minutes=1))


def _sell(session: Session, cashier: Ctx, customer_id: Any, receipt: str, lines: list[Any]) -> int:
    body = CheckoutIn.model_validate(
        {
            "receipt_id": receipt,
            "customer": {"id": str(customer_id)},
            "lines": [
                {"sku": sku, "name": name, "category": cat, "quantity": 1, "unit_price": price}
                for sku, name, cat, price in lines
            ],
        }
    )
    result, _replayed = checkout.commit(session, cashier, body)
    return int(result["points_earned"])


def trade(session: Session, shop: DemoShop, cashier: Ctx, now: datetime) -> dict[str, int]:
    """The shop's customers, each signed up at the till with their first sale, and their later
    visits, in time order; returns what was made."""
    rng = random.Random(f"2026:{shop.slug}:market")
    first_day = (now - timedelta(days=HISTORY_DAYS)).astimezone(shop.zone).date()
    days = sorted(rng.randrange(HISTORY_DAYS - 5) for _ in range(shop.customers))
    phones: set[str] = set()
    made = [
        PEOPLE[shop.slug](rng, i, _when(rng, shop, first_day + timedelta(days=d), now), phones)
        for i, d in enumerate(days)
    ]
    visits: list[tuple[datetime, int, list[Any]]] = []
    for i, person in enumerate(made):
        for after, item in person.later:
            day = person.joined.astimezone(shop.zone).date() + timedelta(days=after)
            when = _when(rng, shop, day, now)
            if when > person.joined:
                visits.append((when, i, [(item.sku, item.name, item.category, item.price)]))
    ids: dict[int, Any] = {}
    sales = points = 0
    for i, person in enumerate(made):
        with clock.frozen(person.joined):
            ids[i] = customers.create_customer(session, cashier, person.profile, source="demo").id
        with clock.frozen(person.joined + timedelta(minutes=rng.randint(5, 40))):
            points += _sell(
                session, cashier, ids[i], f"{shop.slug[:3].upper()}-{i:04d}-0", person.first
            )
            sales += 1
    for n, (when, i, lines) in enumerate(sorted(visits, key=lambda v: (v[0], v[1]))):
        with clock.frozen(when):
            points += _sell(session, cashier, ids[i], f"{shop.slug[:3].upper()}-V{n:05d}", lines)
            sales += 1
    session.flush()
    return {"customers": len(made), "sales": sales, "points_earned": points}

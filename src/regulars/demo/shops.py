"""The demo shops and their customers: who they are, what they sell, how each signs up.

A Yangon bakery (Burmese names, some typed in Zawgyi, Myanmar phone numbers in every way a
cashier types them) and a Kuala Lumpur café (Malay, Chinese and Indian names); each also has a
few Urdu and Lao speakers, so every shipped language has a customer. demo.py gives them a year.
"""

from __future__ import annotations

import random
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import cache, partial
from typing import Any
from zoneinfo import ZoneInfo

from myanmartools import ZawgyiDetector

from regulars.customers.identity import try_phone
from regulars.customers.schemas import CustomerCreate
from regulars.demo import names
from regulars.demo.loyalty import (
    BAKERY_MENU,
    BAKERY_REWARDS,
    CAFE_MENU,
    CAFE_REWARDS,
    Item,
    bakery_program,
    cafe_program,
)
from regulars.demo.offers import BAKERY_COUPONS, CAFE_COUPONS, DemoCoupon
from regulars.loyalty.program import Program
from regulars.loyalty.schemas import RewardCreate

# A generated Burmese name must read unambiguously as Unicode; a few syllable strings also look
# like Zawgyi to the detector, and those are drawn again rather than stored.
UNAMBIGUOUS = 0.01


@dataclass(frozen=True)
class DemoShop:
    slug: str
    name: str
    country: str
    currency: str
    timezone: str
    locale: str
    customers: int
    staff: tuple[tuple[str, str], ...]  # (role, display name) besides the owner
    branch: tuple[str, str] | None = None  # (code, name) of a second store
    branch_day: int = 0  # the day of the year the branch opened
    hours: tuple[int, int] = (7, 21)  # opening and closing hour, local
    menu: tuple[Item, ...] = ()
    program: Callable[[date], Program] | None = None  # given the day the demo is seeded
    rewards: tuple[RewardCreate, ...] = ()
    coupons: tuple[DemoCoupon, ...] = ()
    bulk_tag: str = ""  # customers with this tag order in bulk, every few days
    anonymous_per_day: tuple[int, ...] = (0, 1)  # sales to nobody in particular, drawn daily

    def email(self, role: str) -> str:
        return f"{role}@{self.slug}.demo"

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


BAKERY = DemoShop(
    slug="yangon-bakery",
    name="Shwe Myint Mo Bakery",
    country="MM",
    currency="MMK",
    timezone="Asia/Yangon",
    locale="my",
    customers=300,
    staff=(("manager", "Daw Thandar Win"), ("cashier", "Ma Hsu Myat")),
    branch=("HLEDAN", "Shwe Myint Mo Bakery (Hledan)"),
    branch_day=120,
    hours=(7, 21),
    menu=BAKERY_MENU,
    program=bakery_program,
    rewards=BAKERY_REWARDS,
    coupons=BAKERY_COUPONS,
    bulk_tag="wholesale",
    anonymous_per_day=(0, 0, 1),
)
CAFE = DemoShop(
    slug="kl-cafe",
    name="Kopi Kawan Café",
    country="MY",
    currency="MYR",
    timezone="Asia/Kuala_Lumpur",
    locale="ms",
    customers=250,
    staff=(("manager", "Farah Nadia binti Osman"), ("cashier", "Lim Jia Hui")),
    hours=(7, 22),
    menu=CAFE_MENU,
    program=cafe_program,
    rewards=CAFE_REWARDS,
    coupons=CAFE_COUPONS,
    bulk_tag="corporate",
    anonymous_per_day=(0, 0, 1),
)
SHOPS = (BAKERY, CAFE)
# The shop's first customer: the number the README's lookup example asks for.
FIRST_CUSTOMERS = {
    BAKERY.slug: ("ဒေါ်မြမြ", "Daw Mya Mya", "09 7812 34567"),
    CAFE.slug: ("Nurul Aisyah binti Ahmad", "Nurul Aisyah binti Ahmad", "012-345 6789"),
}


@dataclass
class Person:
    name: str
    roman: str  # the Latin spelling the person would use in an email address
    locale: str
    phone: str | None  # as typed at the till
    born: date


@cache
def _detector() -> ZawgyiDetector:
    return ZawgyiDetector()


# --- people ----------------------------------------------------------------------------------


def _born(rng: random.Random) -> date:
    return date(rng.randint(1955, 2006), rng.randint(1, 12), rng.randint(1, 28))


def _burmese_name(rng: random.Random, female: bool, age: int) -> tuple[str, str]:
    parts = names.BURMESE_FEMALE if female else names.BURMESE_MALE
    if female:
        honorific = names.HONORIFIC_FEMALE[0 if age >= 40 else 1]
    else:
        honorific = names.HONORIFIC_MALE[0 if age >= 45 else 1 if age >= 28 else 2]
    while True:
        chosen = rng.sample(parts, rng.choice((2, 2, 3)))
        # Myint Myint, Aye Aye: a doubled one-syllable name is common; Thandar Thandar is not.
        if rng.random() < 0.15 and chosen[0][1] not in names.TWO_SYLLABLES:
            chosen = [chosen[0], *chosen[:-1]]
        burmese = honorific[0] + "".join(p[0] for p in chosen)
        if _detector().get_zawgyi_probability(burmese) < UNAMBIGUOUS:
            return burmese, " ".join([honorific[1], *(p[1] for p in chosen)])


def _mm_phone(rng: random.Random) -> str:
    prefix = rng.choice(("78", "79", "77", "76", "75", "42", "44", "45", "25", "26", "96", "97"))
    d = "09" + prefix + "".join(str(rng.randrange(10)) for _ in range(7))
    style = rng.randrange(6)
    if style == 0:
        return f"09 {d[2:6]} {d[6:]}"
    if style == 1:
        return f"+95 9 {d[2:5]} {d[5:8]} {d[8:]}"
    if style == 2:
        return d
    spaced = f"09 {d[2:5]} {d[5:8]} {d[8:]}"  # the most common way, so it has two chances
    if style == 3:  # typed with Burmese digits
        return spaced.translate(str.maketrans("0123456789", "၀၁၂၃၄၅၆၇၈၉"))
    return spaced


def _my_phone(rng: random.Random) -> str:
    prefix = rng.choice(("12", "16", "19", "17", "13", "11"))
    rest = "".join(str(rng.randrange(10)) for _ in range(8 if prefix == "11" else 7))
    head, tail = rest[:-4], rest[-4:]
    style = rng.randrange(5)
    if style == 0:
        return f"+60 {prefix}-{head} {tail}"
    if style == 1:
        return f"0{prefix}{rest}"
    if style == 2:
        return f"0{prefix} {head} {tail}"
    return f"0{prefix}-{head} {tail}"


def _visitor_phone(rng: random.Random, kind: str) -> str:
    if kind == "ur":
        return f"+92 3{rng.randint(0, 4)}{rng.randrange(10)} {rng.randrange(10**7):07d}"
    return f"+856 20 {rng.choice('2579')}{rng.randrange(1000):03d} {rng.randrange(10000):04d}"


class _Phones:
    """Draws numbers until one is valid and new in this shop, as a real till would insist."""

    def __init__(self, shop: DemoShop, draw: Callable[[random.Random], str]):
        self.country, self.draw, self.taken = shop.country, draw, set[str]()

    def claim(self, typed: str) -> bool:
        e164 = try_phone(typed, self.country)
        if e164 is None or e164 in self.taken:
            return False
        self.taken.add(e164)
        return True

    def __call__(self, rng: random.Random, draw: Callable[[], str] | None = None) -> str:
        while True:
            typed = draw() if draw else self.draw(rng)
            if self.claim(typed):
                return typed


def _visitors(rng: random.Random, phones: _Phones) -> list[Person]:
    """Four Urdu and three Lao speakers per shop, so every shipped language has a customer."""
    people = []
    for kind, pool, count in (("ur", names.URDU_NAMES, 4), ("lo", names.LAO_NAMES, 3)):
        for name, roman in rng.sample(pool, count):
            foreign = rng.random() < 0.6
            typed = phones(rng, partial(_visitor_phone, rng, kind) if foreign else None)
            people.append(Person(name, roman, kind, typed, _born(rng)))
    return people


def _bakery_people(rng: random.Random, today: date, phones: _Phones) -> list[Person]:
    people = [
        Person(z, roman, "my", phones(rng), _born(rng)) for z, _unicode, roman in names.ZAWGYI_TYPED
    ]
    people += _visitors(rng, phones)
    while len(people) < BAKERY.customers - 1:
        born = _born(rng)
        burmese, roman = _burmese_name(rng, rng.random() < 0.55, today.year - born.year)
        english = rng.random() < 0.15
        name = roman if english else burmese
        people.append(Person(name, roman, "en" if english else "my", phones(rng), born))
    return people


def _malaysian(rng: random.Random) -> tuple[str, str]:
    community = rng.choices(("malay", "chinese", "indian"), weights=(53, 29, 18))[0]
    female = rng.random() < 0.5
    if community == "malay":
        given = rng.choice(names.MALAY_FEMALE if female else names.MALAY_MALE)
        name = f"{given} {'binti' if female else 'bin'} {rng.choice(names.MALAY_FATHERS)}"
        return name, rng.choices(("ms", "en"), weights=(85, 15))[0]
    if community == "chinese":
        surname, given = rng.choice(names.CHINESE_SURNAMES), rng.choice(names.CHINESE_GIVEN)
        english = rng.choice(names.CHINESE_ENGLISH)
        name = rng.choice((f"{english} {surname}", f"{english} {surname} {given}"))
        if rng.random() < 0.5:
            name = f"{surname} {given}"
        return name, rng.choices(("en", "ms"), weights=(55, 45))[0]
    given = rng.choice(names.INDIAN_FEMALE if female else names.INDIAN_MALE)
    name = f"{given} {'a/p' if female else 'a/l'} {rng.choice(names.INDIAN_FATHERS)}"
    return name, rng.choice(("en", "ms"))


def _cafe_people(rng: random.Random, today: date, phones: _Phones) -> list[Person]:
    people = _visitors(rng, phones)
    while len(people) < CAFE.customers - 1:
        name, locale = _malaysian(rng)
        people.append(Person(name, name, locale, phones(rng), _born(rng)))
    return people


def people(rng: random.Random, shop: DemoShop, today: date) -> list[Person]:
    """The shop's customers in the order they signed up; the first is the README's example."""
    phones = _Phones(shop, _mm_phone if shop is BAKERY else _my_phone)
    name, roman, first_phone = FIRST_CUSTOMERS[shop.slug]
    if not phones.claim(first_phone):
        raise ValueError(f"{first_phone!r} is not a valid number in {shop.country}")
    first = Person(name, roman, shop.locale, first_phone, date(1972, 3, 14))
    build = _bakery_people if shop is BAKERY else _cafe_people
    rest = build(rng, today, phones)
    rng.shuffle(rest)
    return [first, *rest]


# --- profiles --------------------------------------------------------------------------------


_TITLES = {"u", "daw", "ma", "ko", "maung", "bin", "binti", "al", "ap"}


def _email(rng: random.Random, person: Person, taken: set[str]) -> str:
    words = [w for w in re.sub(r"[^a-z ]", "", person.roman.lower()).split() if w not in _TITLES]
    local = rng.choice((".".join(words[:2]), "".join(words), words[0] + str(rng.randint(70, 99))))
    domain = rng.choice(("example.com", "example.net", "example.org"))
    address = f"{local}@{domain}"
    while address in taken:
        address = f"{local}{rng.randint(1, 999)}@{domain}"
    taken.add(address)
    return address


def _extras(rng: random.Random, shop: DemoShop, person: Person) -> tuple[list[str], dict[str, Any]]:
    tags: list[str] = []
    attributes: dict[str, Any] = {}
    if rng.random() < 0.3:
        tags.append("regular")
    if shop is BAKERY:
        township, township_en = rng.choice(names.YANGON_TOWNSHIPS)
        attributes["township"] = township if person.locale == "my" else township_en
        if rng.random() < 0.4:
            attributes["favourite"] = rng.choice(names.BAKERY_FAVOURITES)
        if rng.random() < 0.15:
            tags.append("birthday-cake")
            attributes["cake_size"] = rng.choice(("1 lb", "2 lb", "3 lb"))
        if rng.random() < 0.06:
            tags.append("wholesale")
            attributes["business"] = rng.choice(names.BAKERY_BUSINESSES)
            attributes["delivery_days"] = rng.choice(("Mon Thu", "daily", "Sat"))
    else:
        attributes["area"] = rng.choice(names.KL_AREAS)
        if rng.random() < 0.5:
            attributes["usual"] = rng.choice(names.CAFE_USUALS)
        for tag, share in (("work-from-cafe", 0.12), ("oat-milk", 0.1), ("student", 0.1)):
            if rng.random() < share:
                tags.append(tag)
        if rng.random() < 0.05:
            tags.append("corporate")
            attributes["company"] = rng.choice(names.CAFE_COMPANIES)
    return tags, attributes


def profile(
    rng: random.Random,
    shop: DemoShop,
    person: Person,
    today: date,
    emails: set[str],
    store_id: uuid.UUID,
) -> CustomerCreate:
    share = {"my": 0.3, "ms": 0.5}.get(person.locale, 0.7)
    wants_email = rng.random() < share
    phone = person.phone if not wants_email or rng.random() < 0.95 else None
    email = _email(rng, person, emails) if wants_email else None
    birthday = person.born if rng.random() < 0.7 else None
    anniversary = None
    if today.year - person.born.year > 25 and rng.random() < 0.25:
        married = person.born.year + rng.randint(22, 35)
        if married < today.year:
            anniversary = date(married, rng.randint(1, 12), rng.randint(1, 28))
    consent: dict[str, bool] = {}
    if phone:
        consent["sms"] = rng.random() < 0.75
        if rng.random() < 0.5:
            consent["viber" if shop is BAKERY else "whatsapp"] = True
    if email:
        consent["email"] = rng.random() < 0.6
    tags, attributes = _extras(rng, shop, person)
    return CustomerCreate(
        name=person.name,
        phone=phone,
        email=email,
        birthday=birthday,
        anniversary=anniversary,
        locale=person.locale,
        tags=tags,
        attributes=attributes,
        consent=consent,
        consent_source="demo",
        store_id=store_id,
    )

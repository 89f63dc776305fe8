"""What the demo shops sell and how they reward it: menus, loyalty programs, reward catalogues.

Prices are integer minor units: kyat for the bakery (MMK has no minor unit), sen for the café.
Item names are in the shop's own language, as its till shows them. The seasonal double-points
ranges are placed relative to the day the demo is seeded, so the year of history always contains
one Thingyan and one Merdeka, and the program already lists the next ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from regulars.loyalty.program import (
    Bonuses,
    DoublePoints,
    EarnRule,
    PointsPayment,
    Program,
    ReferralRule,
    StampCard,
    Tier,
    Tiers,
)
from regulars.loyalty.schemas import RewardCreate


@dataclass(frozen=True)
class Item:
    sku: str
    name: str
    category: str
    price: int  # minor units
    weight: int  # how often it sells, relative to the rest of the menu
    whole_cake: bool = False  # bought for an occasion, not with the morning coffee


BAKERY_MENU = (
    Item("BUTTER-CAKE", "ထောပတ်ကိတ် တစ်ချပ်", "cake", 3500, 6),
    Item("BLACK-FOREST", "ဘလက်ဖောရက်စ်ကိတ် တစ်ချပ်", "cake", 4500, 4),
    Item("SPONGE-ROLL", "လိပ်ကိတ်", "cake", 6000, 2),
    Item("SANWIN", "ဆနွင်းမကင်း", "cake", 5000, 4),
    Item("CAKE-1LB", "မွေးနေ့ကိတ်မုန့် (၁ ပေါင်)", "cake", 15000, 0, whole_cake=True),
    Item("CAKE-2LB", "မွေးနေ့ကိတ်မုန့် (၂ ပေါင်)", "cake", 25000, 0, whole_cake=True),
    Item("LOAF", "ပေါင်မုန့် အလုံး", "bread", 2500, 6),
    Item("BUTTER-BUN", "ထောပတ်ပေါင်မုန့်", "bread", 1200, 5),
    Item("COCONUT-BUN", "အုန်းသီးပေါင်မုန့်", "bread", 1200, 4),
    Item("CUSTARD-BREAD", "ကတ်စတတ်ပေါင်မုန့်", "bread", 1500, 4),
    Item("PAUKSI", "ကြက်သားပေါက်စီ", "snack", 1500, 5),
    Item("CHICKEN-PUFF", "ကြက်သားပတ်တီး", "snack", 1500, 5),
    Item("EGG-TART", "ကြက်ဥတတ်", "snack", 1000, 5),
    Item("CREAM-HORN", "ခရင်မ်ဟွန်း", "snack", 1200, 3),
    Item("BEAN-PAUKSI", "ပဲပေါက်စီ", "snack", 1200, 3),
    Item("COFFEE", "ကော်ဖီ", "coffee", 2500, 7),
    Item("ICED-COFFEE", "ကော်ဖီအေး", "coffee", 3000, 4),
    Item("CAPPUCCINO", "ကာပူချီနို", "coffee", 3500, 2),
    Item("TEA", "လက်ဖက်ရည်", "tea", 1500, 5),
    Item("LIME-JUICE", "သံပုရာရည်", "drink", 2000, 2),
)
CAFE_MENU = (
    Item("KOPI-O", "Kopi O", "coffee", 350, 5),
    Item("KOPI", "Kopi", "coffee", 420, 7),
    Item("KOPI-C", "Kopi C", "coffee", 450, 3),
    Item("KOPI-PENG", "Kopi Peng", "coffee", 480, 5),
    Item("CHAM-PENG", "Cham Peng", "coffee", 500, 2),
    Item("KOPI-IPOH", "Kopi Putih Ipoh", "coffee", 550, 4),
    Item("AMERICANO", "Americano", "coffee", 900, 3),
    Item("LATTE", "Latte", "coffee", 1200, 4),
    Item("ICED-LATTE", "Latte Ais", "coffee", 1300, 3),
    Item("OAT-FLAT-WHITE", "Flat White Susu Oat", "coffee", 1450, 2),
    Item("MATCHA-LATTE", "Matcha Latte", "tea", 1350, 2),
    Item("TEH-TARIK", "Teh Tarik", "tea", 380, 5),
    Item("TEH-O-LIMAU", "Teh O Ais Limau", "tea", 400, 2),
    Item("MILO-DINO", "Milo Dinosaur", "drink", 650, 2),
    Item("NASI-LEMAK", "Nasi Lemak Biasa", "food", 1200, 4),
    Item("NASI-LEMAK-AYAM", "Nasi Lemak Ayam Goreng", "food", 1690, 3),
    Item("MEE-GORENG", "Mee Goreng Mamak", "food", 1100, 2),
    Item("ROTI-KAYA", "Roti Bakar Kaya", "food", 450, 5),
    Item("TELUR-SEPARUH", "Telur Separuh Masak", "food", 350, 4),
    Item("KEK-PANDAN", "Kek Pandan (sepotong)", "cake", 800, 2),
    Item("CROISSANT", "Croissant Mentega", "pastry", 900, 2),
)
DRINKS = frozenset({"coffee", "tea", "drink"})

# The profile attributes a customer was given ("favourite", "usual") are what they buy.
FAVOURITES = {
    "butter cake": "BUTTER-CAKE",
    "chicken puff": "CHICKEN-PUFF",
    "egg tart": "EGG-TART",
    "coconut bun": "COCONUT-BUN",
    "black forest cake": "BLACK-FOREST",
    "custard bread": "CUSTARD-BREAD",
    "sponge roll": "SPONGE-ROLL",
    "cream horn": "CREAM-HORN",
    "kopi-o kosong": "KOPI-O",
    "teh tarik kurang manis": "TEH-TARIK",
    "iced latte": "ICED-LATTE",
    "oat flat white": "OAT-FLAT-WHITE",
    "Milo dinosaur": "MILO-DINO",
    "cham peng": "CHAM-PENG",
    "kopi C": "KOPI-C",
    "matcha latte": "MATCHA-LATTE",
}


def _seasons(today: date, month: int, day: int, days: int) -> list[tuple[date, date]]:
    """The latest range starting on or before `today` (inside a year of history) and the next."""
    start = date(today.year, month, day)
    if start > today:
        start = date(today.year - 1, month, day)
    upcoming = date(start.year + 1, month, day)
    return [(s, s + timedelta(days=days - 1)) for s in (start, upcoming)]


def bakery_program(today: date) -> Program:
    return Program(
        referral=ReferralRule(family_tiers=["gold"]),  # gold members hand on a family code
        earn=EarnRule(points=1, per_amount=1000, category_multipliers={"cake": 200}),
        bonuses=Bonuses(
            birthday_month_percent=200,
            first_purchase_points=20,
            double_points=[
                DoublePoints(name="Thingyan", start=start, end=end, percent=200)
                for start, end in _seasons(today, 4, 13, 4)
            ],
        ),
        stamp_cards=[
            StampCard(
                code="coffee",
                name="Coffee card",
                categories=["coffee"],
                stamps_required=8,
                reward_name="ကော်ဖီ တစ်ခွက် အခမဲ့",
                reward_sku="COFFEE",
            )
        ],
        tiers=Tiers(
            window_months=12,
            downgrade_grace_days=30,
            levels=[
                Tier(code="member", name="Member", min_spend=0),
                Tier(
                    code="silver",
                    name="Silver",
                    min_spend=300_000,
                    multiplier=125,
                    perks="ကော်ဖီ အရွယ်ကြီး အခမဲ့ မြှင့်ပေးခြင်း",
                ),
                Tier(
                    code="gold",
                    name="Gold",
                    min_spend=1_000_000,
                    multiplier=150,
                    perks="မွေးနေ့လတွင် ကိတ်မုန့်တစ်ချပ် အခမဲ့၊ ကိတ်မှာယူမှုများကို ဦးစားပေး",
                ),
            ],
        ),
        expiry_months=12,
        points_payment=PointsPayment(enabled=True, point_value=10, max_percent=50),
    )


def cafe_program(today: date) -> Program:
    return Program(
        earn=EarnRule(points=1, per_amount=100, category_multipliers={"coffee": 200}),
        bonuses=Bonuses(
            double_points=[
                DoublePoints(name="Merdeka", start=start, end=end, percent=200)
                for start, end in _seasons(today, 8, 31, 1)
            ],
        ),
        stamp_cards=[
            StampCard(
                code="kopi",
                name="Kad Kopi",
                categories=["coffee"],
                stamps_required=10,
                reward_name="Kopi percuma",
                reward_sku="KOPI",
            )
        ],
        tiers=Tiers(
            window_months=12,
            downgrade_grace_days=30,
            levels=[
                Tier(code="member", name="Member", min_spend=0),
                Tier(
                    code="silver",
                    name="Silver",
                    min_spend=50_000,
                    multiplier=125,
                    perks="Naik saiz minuman percuma",
                ),
                Tier(
                    code="gold",
                    name="Gold",
                    min_spend=150_000,
                    multiplier=150,
                    perks="Kopi percuma pada bulan hari jadi; tempahan korporat diutamakan",
                ),
            ],
        ),
        expiry_months=12,
        points_payment=PointsPayment(enabled=True, point_value=1, max_percent=50),
    )


BAKERY_REWARDS = (
    RewardCreate(
        name="ကော်ဖီ တစ်ခွက် အခမဲ့", kind="free_item", cost_points=200, sku="COFFEE", valid_days=60
    ),
    RewardCreate(
        name="၅,၀၀၀ ကျပ် လျှော့ဈေး", kind="amount_off", cost_points=450, amount=5000, valid_days=60
    ),
    RewardCreate(name="၁၀% လျှော့ဈေး", kind="percent_off", cost_points=600, percent=10),
    RewardCreate(
        name="မွေးနေ့ကိတ်မုန့် (၁ ပေါင်) အခမဲ့",
        kind="free_item",
        cost_points=1200,
        sku="CAKE-1LB",
        stock=12,
        valid_days=90,
    ),
)
CAFE_REWARDS = (
    RewardCreate(name="Kopi percuma", kind="free_item", cost_points=300, sku="KOPI"),
    RewardCreate(name="Diskaun RM5", kind="amount_off", cost_points=450, amount=500, valid_days=60),
    RewardCreate(name="Diskaun 15%", kind="percent_off", cost_points=700, percent=15),
    RewardCreate(
        name="Nasi Lemak Ayam percuma",
        kind="free_item",
        cost_points=900,
        sku="NASI-LEMAK-AYAM",
        stock=15,
        valid_days=60,
    ),
)

"""A year of trade at a demo shop, rung up through the real checkout service.

Every sale, redemption, refund and nightly job goes through the same service functions the API
uses, with the clock frozen at the moment it happens, so balances, stamps, tiers and expiry are
exactly what the program's rules make of that history. Customers keep habits: wholesale buyers
and office orders come every few days with big baskets, regulars come weekly at their usual hour
for their usual item, most others come now and then or once. Some sales are anonymous.
"""

from __future__ import annotations

import heapq
import itertools
import random
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from regulars import daily
from regulars.checkout import refunds as checkout_refunds
from regulars.checkout import service as checkout
from regulars.checkout.schemas import CheckoutIn, CustomerRef, LineIn, RefundIn, RefundLineIn
from regulars.demo.loyalty import DRINKS, Item
from regulars.kit import clock
from regulars.kit.context import Ctx
from regulars.loyalty import ledger, rules
from regulars.loyalty import rewards as loyalty_rewards
from regulars.loyalty.program import Program

# Chances per visit, tuned with the habits below so the two shops ring up about 3,500 sales.
REDEEM_CHANCE = 0.3  # a customer who can afford a reward takes one home for next time
USE_VOUCHER_CHANCE = 0.85  # at a later visit
PAY_WITH_POINTS_CHANCE = 0.04
REFUND_CHANCE = 0.01
STRAY_STORE_CHANCE = 0.15  # a visit to the other branch
MAX_VOUCHERS = 3  # nobody hoards rewards; three at most are brought to one sale
CORE_KEPT = 8  # core customers that a smaller year (share < 1) always keeps
# Expiry runs on the first of every month. The tier job visits every account, and inside a
# one-year history a 12-month window only loses spend to refunds, so it runs quarterly (and on
# the last day): the same rules, at a fraction of the seed's time.
TIER_JOB_MONTHS = 3
WHOLE_CAKE_CHANCE = 0.015


@dataclass(frozen=True)
class Store:
    id: uuid.UUID
    code: str
    opened: date


@dataclass(frozen=True)
class Member:
    """A customer as the simulation sees them: when and where they signed up, and their ways."""

    id: uuid.UUID
    joined: datetime
    store: uuid.UUID
    birthday: date | None
    tags: tuple[str, ...]
    favourite: str | None  # SKU


@dataclass(frozen=True)
class Till:
    """One shop's counter: who rings up, what is sold, when it is open."""

    kind: str  # "bakery" | "cafe": how a basket is put together
    cashier: Ctx
    manager: Ctx
    system: Ctx
    zone: ZoneInfo
    hours: tuple[int, int]  # opening and closing hour, local
    menu: tuple[Item, ...]
    program: Program
    stores: tuple[Store, ...]  # the main store first
    bulk_tag: str  # the customer tag of big regular orders
    anonymous_per_day: tuple[int, ...]  # drawn from, per day


@dataclass(frozen=True)
class Habit:
    gap: float  # mean days between visits; 0: never comes back
    until: date  # stops coming after this day
    hour: float  # the usual time of day, local
    bulk: bool = False


@dataclass
class Stats:
    sales: int = 0
    anonymous: int = 0
    redemptions: int = 0
    vouchers_used: int = 0
    points_payments: int = 0
    refunds: int = 0
    jobs: Counter[str] = field(default_factory=Counter)


def _habit(rng: random.Random, till: Till, m: Member, today: date) -> Habit:
    opens, closes = till.hours
    hour = rng.uniform(opens, closes - 1)
    joined = m.joined.astimezone(till.zone).date()
    if till.bulk_tag in m.tags:  # a tea shop's or an office's standing order, early
        return Habit(rng.uniform(18, 28), today, rng.uniform(opens, opens + 2), bulk=True)
    if "work-from-cafe" in m.tags:
        return Habit(rng.uniform(8, 16), today, rng.uniform(9, 11))
    draw = rng.random()
    if "regular" in m.tags:
        gap = rng.uniform(6, 9) if draw < 0.15 else rng.uniform(21, 45)
        until = today if rng.random() < 0.9 else joined + timedelta(days=rng.randint(60, 300))
        return Habit(gap, until, hour)
    if draw < 0.4:
        return Habit(rng.uniform(45, 90), joined + timedelta(days=rng.randint(45, 400)), hour)
    if draw < 0.55:  # came back once
        gap = rng.uniform(10, 120)
        return Habit(gap, joined + timedelta(days=int(gap * 1.5) + 1), hour)
    return Habit(0, joined, hour)


class _Year:
    """The year at one shop: a time-ordered queue of sales, refunds and nightly jobs, each run
    through the services at its moment, with what the customers hold tracked between them."""

    def __init__(
        self, session: Session, rng: random.Random, till: Till, first_day: date, now: datetime
    ):
        self.session, self.rng, self.till, self.now = session, rng, till, now
        self.first_day = first_day
        self.today = now.astimezone(till.zone).date()
        self.items = {item.sku: item for item in till.menu}
        self.stats = Stats()
        self.receipts: Counter[str] = Counter()
        self.refunds = itertools.count(1)
        self.holding: Counter[uuid.UUID] = Counter()  # unused vouchers, by customer
        self.cakes: set[tuple[uuid.UUID, int]] = set()  # (customer, year) of a birthday cake
        self.queue: list[tuple[datetime, int, Callable[[], None]]] = []
        self.order = itertools.count()
        rewards = loyalty_rewards.list_rewards(session, till.manager, active_only=True)
        self.rewards = [(r.id, r.cost_points) for r in rewards]
        self.stock = {r.id: r.stock for r in rewards if r.stock is not None}

    # --- time ------------------------------------------------------------------------------

    def at(self, day: date, hour: float) -> datetime:
        opens, closes = self.till.hours
        hour = min(max(hour, opens), closes - 1 / 60)
        seconds = int(hour * 3600) + self.rng.randrange(60)
        moment = datetime.combine(day, time(), tzinfo=self.till.zone) + timedelta(seconds=seconds)
        return moment.astimezone(UTC)

    def later(self, when: datetime, action: Callable[[], None]) -> None:
        if when < self.now:
            heapq.heappush(self.queue, (when, next(self.order), action))

    def open_stores(self, day: date) -> list[Store]:
        return [s for s in self.till.stores if s.opened <= day]

    # --- the plan --------------------------------------------------------------------------

    def plan(self, members: list[Member], share: float) -> None:
        """Every visit of the year, in time order; `share` < 1 rings up only that part of the
        customers and anonymous days (a quicker seed, same rules)."""
        cores = 0
        for m in members:
            habit = _habit(self.rng, self.till, m, self.today)
            if m is members[0]:  # the README's example customer: there from the first day, weekly
                habit = Habit(7, self.today, habit.hour)
            # A smaller year still has its longest-standing core: the first few bulk buyers and
            # weekly regulars, whose spend reaches the upper tiers.
            core = (habit.bulk or 0 < habit.gap < 10) and habit.until == self.today
            core = core or m is members[0]
            if share < 1 and not (core and cores < CORE_KEPT) and self.rng.random() >= share:
                continue
            cores += core
            for when in self.visits(m, habit):
                self.later(when, partial(self.sale, when, m, habit))
        day = self.first_day
        while day <= self.today:
            walk_ins = self.rng.choice(self.till.anonymous_per_day)
            for _ in range(walk_ins if share == 1 or self.rng.random() < share else 0):
                hour = self.rng.uniform(*self.till.hours)
                when = self.at(day, hour)
                self.later(when, partial(self.sale, when, None, None))
            if day.day == 1 and day > self.first_day:
                job = datetime.combine(day, time(3), tzinfo=self.till.zone).astimezone(UTC)
                tiers = day.month % TIER_JOB_MONTHS == 1
                self.later(job, partial(self.jobs, job, tiers))
            day += timedelta(days=1)

    def visits(self, m: Member, habit: Habit) -> Iterator[datetime]:
        yield m.joined + timedelta(minutes=self.rng.randint(2, 8))  # signed up at the till
        if not habit.gap:
            return
        day = m.joined.astimezone(self.till.zone).date()
        last = min(habit.until, self.today)
        while True:
            day += timedelta(days=max(1, round(habit.gap * self.rng.uniform(0.5, 1.5))))
            if day > last:
                return
            yield self.at(day, habit.hour + self.rng.gauss(0, 0.75))

    def run(self) -> Stats:
        while self.queue:
            _when, _n, action = heapq.heappop(self.queue)
            action()
        self.jobs(self.now, tiers=True)
        return self.stats

    # --- baskets ---------------------------------------------------------------------------

    def pick(self, allowed: Callable[[Item], bool]) -> Item:
        pool = [i for i in self.till.menu if i.weight and allowed(i)]
        return self.rng.choices(pool, weights=[i.weight for i in pool])[0]

    def basket(self, m: Member | None, habit: Habit | None, day: date) -> Counter[str]:
        rng, lines = self.rng, Counter[str]()
        if habit and habit.bulk:  # a tea shop's bread and snacks; an office's drinks and lunch
            menu = [i for i in self.till.menu if i.weight]
            drinks = [i for i in menu if i.category in DRINKS]
            food = [i for i in menu if i.category not in DRINKS]
            picks = rng.sample(food, rng.randint(2, 4))
            if self.till.kind == "cafe":
                picks += rng.sample(drinks, rng.randint(1, 3))
            for item in picks:
                lines[item.sku] += rng.randint(5, 15) if item.category != "bread" else 20
            return lines
        favourite = m.favourite if m else None
        if favourite and rng.random() < 0.7:
            lines[favourite] += 1
        if self.till.kind == "cafe":
            if not any(self.items[s].category in DRINKS for s in lines):
                cheap = m is not None and "student" in m.tags  # kopi and teh, not lattes
                drink = self.pick(lambda i: i.category in DRINKS and (not cheap or i.price < 500))
                lines[drink.sku] += 1
            staying = m is not None and "work-from-cafe" in m.tags  # lunch and a refill
            if staying or rng.random() < 0.55:
                lines[self.pick(lambda i: i.category not in DRINKS).sku] += 1
            if rng.random() < (0.7 if staying else 0.15):
                lines[self.pick(lambda i: True).sku] += 1
        else:
            for _ in range(rng.choice((0, 1, 1, 2, 2, 3)) + (0 if lines else 1)):
                item = self.pick(lambda i: True)
                bulky = item.category in ("bread", "snack")
                lines[item.sku] += rng.choice((1, 1, 1, 2, 2, 3, 4, 6) if bulky else (1, 1, 1, 2))
        if m and "birthday-cake" in m.tags and m.birthday and m.birthday.month == day.month:
            if (m.id, day.year) not in self.cakes:
                self.cakes.add((m.id, day.year))
                lines[rng.choice(("CAKE-1LB", "CAKE-2LB"))] += 1
        elif self.till.kind == "bakery" and rng.random() < WHOLE_CAKE_CHANCE:
            lines[rng.choice(("CAKE-1LB", "CAKE-2LB"))] += 1
        return lines

    # --- events ----------------------------------------------------------------------------

    def sale(self, when: datetime, m: Member | None, habit: Habit | None) -> None:
        rng, session, ctx = self.rng, self.session, self.till.cashier
        day = when.astimezone(self.till.zone).date()
        stores = self.open_stores(day)
        store = stores[0] if m is None else next(s for s in stores if s.id == m.store)
        if len(stores) > 1 and rng.random() < (0.4 if m is None else STRAY_STORE_CHANCE):
            store = rng.choice([s for s in stores if s is not store])
        with clock.frozen(when):
            lines = self.basket(m, habit, day)
            codes: list[str] = []
            if m is not None and self.holding[m.id]:
                waiting = loyalty_rewards.open_vouchers(session, ctx, m.id)
                free: Counter[str] = Counter()
                for voucher in waiting[:MAX_VOUCHERS]:
                    if rng.random() < USE_VOUCHER_CHANCE:
                        codes.append(voucher.code)
                        if voucher.sku:
                            free[voucher.sku] += 1
                for sku, count in free.items():  # each free item has to be in the basket
                    lines[sku] = max(lines[sku], count)
                self.holding[m.id] = len(waiting) - len(codes)
            points = self.points_to_pay(m, lines) if m is not None and not codes else 0
            self.receipts[store.code] += 1
            body = CheckoutIn(
                receipt_id=f"{store.code}-{self.receipts[store.code]:06d}",
                store_id=store.id,
                customer=CustomerRef(id=m.id) if m else None,
                lines=[
                    LineIn(
                        sku=sku,
                        name=self.items[sku].name,
                        category=self.items[sku].category,
                        quantity=qty,
                        unit_price=self.items[sku].price,
                    )
                    for sku, qty in lines.items()
                ],
                vouchers=codes,
                redeem_points=points,
            )
            result, _replayed = checkout.commit(session, ctx, body)
            self.stats.sales += 1
            self.stats.anonymous += m is None
            self.stats.vouchers_used += len(codes)
            self.stats.points_payments += points > 0
            if m is None:
                return
            self.holding[m.id] += sum(s["completed_now"] for s in result["stamps"])
            if self.holding[m.id] < MAX_VOUCHERS and rng.random() < REDEEM_CHANCE:
                self.redeem(m, result["balance"] or 0)
        if rng.random() < REFUND_CHANCE:
            back = when + timedelta(minutes=rng.randint(20, 36 * 60))
            purchase_id = uuid.UUID(result["purchase_id"])
            whole = rng.random() < 0.5 or len(lines) == 1
            part = None if whole else rng.choice(list(lines))
            self.later(back, partial(self.refund, back, purchase_id, part))

    def points_to_pay(self, m: Member, lines: Counter[str]) -> int:
        if self.rng.random() >= PAY_WITH_POINTS_CHANCE:
            return 0
        goods = sum(self.items[sku].price * qty for sku, qty in lines.items())
        # The lock refreshes the account row the sale is about to read.
        balance = ledger.lock_account(self.session, self.till.cashier, m.id).balance
        points = min(balance, rules.points_payment_cap(self.till.program, goods))
        return points if points >= 50 else 0

    def redeem(self, m: Member, balance: int) -> None:
        affordable = [
            (reward_id, cost)
            for reward_id, cost in self.rewards
            if cost <= balance and self.stock.get(reward_id, 1) > 0
        ]
        if not affordable:
            return
        # Most take the best reward they can afford; some take something cheaper.
        best = self.rng.random() < 0.6
        reward_id, _cost = affordable[-1] if best else self.rng.choice(affordable)
        if reward_id in self.stock:
            self.stock[reward_id] -= 1
        loyalty_rewards.redeem(self.session, self.till.cashier, m.id, reward_id)
        self.holding[m.id] += 1
        self.stats.redemptions += 1

    def refund(self, when: datetime, purchase_id: uuid.UUID, sku: str | None) -> None:
        lines = [RefundLineIn(sku=sku, quantity=1)] if sku else []
        body = RefundIn(refund_id=f"RF-{next(self.refunds):04d}", lines=lines)
        with clock.frozen(when):
            checkout_refunds.refund(self.session, self.till.manager, purchase_id, body)
        self.stats.refunds += 1

    def _in_session(self, fn: Callable[[Session], Any]) -> Any:
        """The daily jobs' transactions, inside the demo's one seeding transaction."""
        return fn(self.session)

    def jobs(self, when: datetime, tiers: bool) -> None:
        """What the nightly `regulars expire` and `regulars recompute-tiers` would have done."""
        with clock.frozen(when):
            expired = daily.JOBS["points.expire"].run(self.till.system, self._in_session)
            self.stats.jobs["points_expired"] += expired["points"]
            self.stats.jobs["expiry_runs"] += 1
            if tiers:
                changed = daily.JOBS["tiers.recompute"].run(self.till.system, self._in_session)
                self.stats.jobs["tier_changes"] += changed["tier_changes"]
                self.stats.jobs["tier_runs"] += 1


def trade(
    session: Session,
    rng: random.Random,
    till: Till,
    members: list[Member],
    first_day: date,
    now: datetime,
    share: float = 1.0,
) -> dict[str, Any]:
    """Ring up a year of sales at `till`; returns what happened, for the seed's summary."""
    year = _Year(session, rng, till, first_day, now)
    year.plan(members, share)
    stats = year.run()
    return {
        "sales": stats.sales,
        "anonymous_sales": stats.anonymous,
        "redemptions": stats.redemptions,
        "vouchers_used": stats.vouchers_used,
        "points_payments": stats.points_payments,
        "refunds": stats.refunds,
        **stats.jobs,
    }

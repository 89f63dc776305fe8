"""What the dashboard shows, built from the analytics service's figures: KPI cards with the
period before, the charts (web/charts.py) and the tables behind them (also served as CSV)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from babel.numbers import format_decimal, format_percent
from markupsafe import Markup

from regulars.analytics.models import SEGMENTS
from regulars.web import charts, i18n
from regulars.web.i18n import N_

SEGMENT_NAMES = {
    "champions": N_("Champions"),
    "loyal": N_("Loyal"),
    "potential_loyalists": N_("Potential loyalists"),
    "new": N_("New"),
    "at_risk": N_("At risk"),
    "cant_lose": N_("Can't lose"),
    "hibernating": N_("Hibernating"),
    "lost": N_("Lost"),
}


@dataclass(frozen=True)
class Card:
    key: str
    label: str
    now: str
    before: str
    change: int | None  # basis points against the period before
    good_when_up: bool = True


def percent(bp: int | None, lang: str) -> str:
    return "–" if bp is None else str(format_percent(bp / 10_000, "#,##0.#%", locale=lang))


def decimal(bp: int | None, lang: str) -> str:
    return "–" if bp is None else str(format_decimal(bp / 10_000, "#,##0.00", locale=lang))


def _change(now: int | None, before: int | None) -> int | None:
    if now is None or not before:
        return None
    return (now - before) * 10_000 // before


class View:
    """Formats for one reader: language and currency."""

    def __init__(self, lang: str, currency: str):
        self.lang, self.currency = lang, currency
        self.t = i18n.gettext_for(lang).gettext

    def money(self, minor: int | None) -> str:
        return "–" if minor is None else i18n.money(minor, self.currency, self.lang)

    def number(self, value: int | None) -> str:
        return "–" if value is None else str(format_decimal(value, locale=self.lang))

    def show(self, kind: str, value: int | None) -> str:
        if kind == "money":
            return self.money(value)
        if kind == "ratio_percent":
            return percent(value, self.lang)
        if kind == "ratio_decimal":
            return decimal(value, self.lang)
        return self.number(value)

    def cards(self, report: dict[str, Any]) -> list[Card]:
        now, before = report["current"], report["previous"]
        out = []
        specs: list[tuple[str, str, str, bool]] = [
            ("revenue", N_("Revenue"), "money", True),
            ("sales", N_("Sales"), "number", True),
            ("active_members", N_("Active members"), "number", True),
            ("new_customers", N_("New customers"), "number", True),
            ("returning_customers", N_("Returning customers"), "number", True),
            ("repeat_purchase_rate", N_("Repeat purchase rate"), "ratio_percent", True),
            ("purchase_frequency", N_("Purchases per active member"), "ratio_decimal", True),
            ("average_spend_new", N_("Average spend, new customers"), "money", True),
            ("average_spend_returning", N_("Average spend, returning customers"), "money", True),
            ("average_member_sale", N_("Average sale, members"), "money", True),
            ("average_non_member_sale", N_("Average sale, non-members"), "money", True),
            ("at_risk", N_("Members at risk"), "number", False),
            ("churned", N_("Churned members"), "number", False),
            ("redemption_rate", N_("Points redemption rate"), "ratio_percent", True),
            ("points_liability", N_("Points owed to members"), "money", False),
        ]
        for key, label, kind, up in specs:
            a, b = now[key], before[key]
            if kind.startswith("ratio"):
                a, b = a["basis_points"], b["basis_points"]
            out.append(
                Card(key, self.t(label), self.show(kind, a), self.show(kind, b), _change(a, b), up)
            )
        return out

    def spend_sentence(self, report: dict[str, Any]) -> str | None:
        bp = report["current"]["returning_spend_more_bp"]
        if bp is None:
            return None
        if bp >= 0:
            text = N_("Returning customers spend %(percent)s more than new customers.")
        else:
            text = N_("Returning customers spend %(percent)s less than new customers.")
        return self.t(text) % {"percent": percent(abs(bp), self.lang)}

    def member_sentence(self, report: dict[str, Any]) -> str | None:
        bp = report["current"]["member_sale_more_bp"]
        if bp is None:
            return None
        if bp >= 0:
            text = N_("A member's sale is %(percent)s larger than a non-member's.")
        else:
            text = N_("A member's sale is %(percent)s smaller than a non-member's.")
        return self.t(text) % {"percent": percent(abs(bp), self.lang)}

    # --- charts and their tables -----------------------------------------------------------

    def revenue_chart(self, days: list[dict[str, Any]]) -> Markup:
        labels = [i18n.day(d["day"], self.lang) for d in days]
        series = [
            charts.Series(self.t("Members"), [d["members"] for d in days], "series-1"),
            charts.Series(self.t("Non-members"), [d["non_members"] for d in days], "series-2"),
        ]
        return charts.line_chart(
            series, labels, label=self.t("Revenue per day"), y_format=self.money
        )

    def mix_rows(self, report: dict[str, Any]) -> list[tuple[str, int]]:
        now = report["current"]
        return [
            (self.t("New customers"), now["new_revenue"]),
            (self.t("Returning customers"), now["returning_revenue"]),
            (self.t("Non-members"), now["non_member_revenue"]),
        ]

    def mix_chart(self, report: dict[str, Any]) -> Markup:
        return charts.bar_chart(
            self.mix_rows(report),
            label=self.t("Revenue by customer"),
            value_format=self.money,
            rtl=i18n.direction(self.lang) == "rtl",
        )

    def cohort_chart(self, data: dict[str, Any], shares: list[list[int | None]]) -> Markup:
        rows = [r["cohort"] for r in data["rows"]]
        width = len(data["months"])
        columns = [self.number(k) for k in range(width)]
        return charts.heatmap(
            rows, columns, shares,
            label=self.t("Customers buying again, by month of first purchase"),
            cell_format=lambda bp: str(format_decimal(round(bp / 100), locale=self.lang)),
        )  # fmt: skip

    def segment_rows(self, summary: dict[str, Any]) -> list[tuple[str, int]]:
        found = {s["segment"]: s["customers"] for s in summary["segments"]}
        return [(self.t(SEGMENT_NAMES[s]), found.get(s, 0)) for s in SEGMENTS]

    def segment_chart(self, summary: dict[str, Any]) -> Markup:
        return charts.bar_chart(
            self.segment_rows(summary),
            label=self.t("Customers per segment"),
            value_format=self.number,
            rtl=i18n.direction(self.lang) == "rtl",
            css="series-3",
        )

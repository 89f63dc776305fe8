"""Analytics: KPIs for a period, cohort retention, RFM segments (docs/analytics.md)."""

"""Loyalty: program rules, points ledger, tiers, stamp cards, rewards and vouchers."""

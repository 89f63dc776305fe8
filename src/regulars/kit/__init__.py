"""Shared plumbing: errors, pagination, clock, money, codes, base model."""

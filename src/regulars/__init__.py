"""Regulars: customer loyalty and retention for small businesses."""

__version__ = "0.1.0"

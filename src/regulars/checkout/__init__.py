"""Checkout: quote, commit and refund. The one place a sale is recorded."""

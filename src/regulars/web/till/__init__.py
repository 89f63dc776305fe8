"""The till (POS screen)."""

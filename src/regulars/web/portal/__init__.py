"""The customer portal: member card, history, sign-in by phone code."""

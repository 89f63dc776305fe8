"""Server-rendered pages: staff dashboard, POS, customer portal."""

"""Staff pages: customers, loyalty settings, imports."""

"""Customer profiles, identity (phone, member code, QR), consent, notes, import and export."""

"""Automated messages: welcome, birthday, anniversary, restock, win-back, points expiring, tier
up, reward unlocked, thank-you. Each is switched on per merchant (all start off);
docs/automations.md."""

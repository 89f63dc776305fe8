from __future__ import annotations

import pytest

from regulars.kit.ratelimit import RateLimiter
from regulars.offers import api


@pytest.fixture(autouse=True)
def fresh_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts with the validation limits untouched by the tests before it."""
    monkeypatch.setattr(api, "PER_KEY", RateLimiter(120, 60))
    monkeypatch.setattr(api, "PER_CLIENT", RateLimiter(60, 60))

from __future__ import annotations

from collections.abc import Iterator

import pytest

from regulars.messaging import runtime


@pytest.fixture(autouse=True)
def fresh_runtime() -> Iterator[runtime.Runtime]:
    """Each test starts from a known runtime (no fallback channel) and leaves none behind."""
    before = runtime.current()
    rt = runtime.Runtime(fallback=None, max_attempts=3, backoff_base=30.0)
    runtime.set_runtime(rt)
    yield rt
    runtime.set_runtime(before)

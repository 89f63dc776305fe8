"""/docs renders the OpenAPI 3.1 document with assets served by the app itself."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.test_browser import LiveServer, browser, live_server  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser


def test_docs_render_the_checkout_operation_offline(
    live_server: LiveServer,  # noqa: F811
    browser: Any,  # noqa: F811
) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    outside: list[str] = []
    page.on(
        "request",
        lambda r: None if r.url.startswith(live_server.url) else outside.append(r.url),
    )
    page.goto(f"{live_server.url}/docs")
    checkout = page.locator('.opblock-summary-path[data-path="/api/v1/checkout"]')
    checkout.first.wait_for(timeout=15_000)
    assert page.locator(".opblock-summary-method").first.is_visible()
    assert page.locator("text=Unable to render this definition").count() == 0
    assert page.inner_text(".info .title").startswith("Regulars API")
    assert outside == []

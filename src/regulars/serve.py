"""How `regulars serve` runs uvicorn: asyncio's event loop, httptools, TCP_NODELAY always.

asyncio sets TCP_NODELAY only on sockets whose `proto` says TCP. With `--workers 2` uvicorn binds
the listening socket itself as `socket.socket(AF_INET)`, whose `proto` is 0, and so is that of
every connection it accepts: asyncio then leaves Nagle's algorithm on, which with the client's
delayed ACK held each response ~40 ms (one connection: 18 commits/s instead of 90). The protocol
below sets the option on every TCP connection it is given, however the socket was made.
"""

from __future__ import annotations

import asyncio
import gc
import socket
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class HttpProtocol(HttpToolsProtocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)


def create_served_app() -> Any:
    """The app as `regulars serve` runs it, one per worker process.

    What start-up made (modules, metadata, schemas, locale data) lives as long as the process, so
    it is moved out of the garbage collector's sight: a full collection then walks only what
    requests made. Without this a collection under load stopped the loop for up to ~100 ms
    (SQLite p99 at one connection 25-32 ms; with it 2.5-3.4 ms). Only here: tests start hundreds
    of apps, and a full collection before each doubled the suite's time."""
    from regulars.app import create_app
    from regulars.settings import Settings

    settings = Settings.from_env()
    app = create_app(settings, daily_jobs=settings.daily_jobs)
    gc.collect()
    gc.freeze()
    return app


def run(host: str, port: int, workers: int) -> None:
    import uvicorn

    uvicorn.run(
        "regulars.serve:create_served_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        # asyncio's own loop, not uvloop: with the till's transactions inline on the loop,
        # uvloop served ~20% more requests but let some connections wait over a second while
        # others were served (p99 1.1 s against 0.3 s at 32 connections; docs/decisions.md).
        loop="asyncio",
        http=HttpProtocol,
        log_config=None,
        access_log=False,
    )

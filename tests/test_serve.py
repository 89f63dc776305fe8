"""`regulars serve`: every TCP connection gets TCP_NODELAY, even on a socket made as uvicorn makes
it for several workers (whose `proto` is 0, so asyncio leaves Nagle's algorithm on)."""

from __future__ import annotations

import asyncio
import gc
import socket
from typing import Any

from fastapi.testclient import TestClient
from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from regulars.serve import HttpProtocol, create_served_app


async def _hello(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


async def _nodelay_of_accepted(protocol: type[HttpToolsProtocol]) -> int:
    config = Config(app=_hello, loop="asyncio", log_config=None, lifespan="off")
    config.load()
    state = ServerState()
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)  # as uvicorn binds for workers
    assert listener.proto == 0
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: protocol(config=config, server_state=state, app_state={}), sock=listener
    )
    _reader, writer = await asyncio.open_connection(*listener.getsockname())
    try:
        for _ in range(100):
            if state.connections:
                break
            await asyncio.sleep(0.01)
        (connection,) = state.connections
        sock = connection.transport.get_extra_info("socket")  # type: ignore[attr-defined]
        return int(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
    finally:
        writer.close()
        server.close()
        await server.wait_closed()


def test_connections_on_a_socket_with_proto_0_get_tcp_nodelay() -> None:
    assert asyncio.run(_nodelay_of_accepted(HttpProtocol)) == 1


def test_the_plain_uvicorn_protocol_leaves_them_without_it() -> None:
    """The reason for HttpProtocol. When this fails, asyncio sets the option itself and
    HttpProtocol can go."""
    assert asyncio.run(_nodelay_of_accepted(HttpToolsProtocol)) == 0


def test_the_served_app_keeps_start_up_out_of_the_collectors_sight(
    settings: Any, monkeypatch: Any
) -> None:
    """A full collection in a server process walks only what requests made."""
    monkeypatch.setenv("REGULARS_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("REGULARS_VAR_DIR", str(settings.var_dir))
    monkeypatch.setenv("REGULARS_SECRET_KEY", "test-secret")
    gc.unfreeze()
    try:
        app = create_served_app()
        assert gc.get_freeze_count() > 10_000
        with TestClient(app) as client:
            assert client.get("/healthz").status_code == 200
        app.state.db.dispose()
    finally:
        gc.unfreeze()  # this process goes on to run other tests

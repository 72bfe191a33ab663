"""serve_app: the learner's aiohttp application on loopback, what its handlers raised,
and its startup and cleanup."""

from __future__ import annotations

import logging
import socket
import textwrap

import aiohttp
from aiohttp import web

from harness.judge import serve_app
from harness.judge.frames import LearnerFile

SHOWN_AS = "katas/27_aiohttp_server/kata.py"
SHOP = """
from aiohttp import web

EVENTS = []


async def stock(app):
    EVENTS.append("opened")
    yield
    EVENTS.append("closed")


async def create_order(request):
    order = await request.json()
    return web.json_response({"quantity": order["quantity"]})


async def forget_to_answer(request):
    pass


async def socket_buffer(request):
    sock = request.transport.get_extra_info("socket")
    return web.json_response(sock.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF))


def create_app():
    app = web.Application()
    app.cleanup_ctx.append(stock)
    app.router.add_post("/orders", create_order)
    app.router.add_get("/nothing", forget_to_answer)
    app.router.add_get("/buffer", socket_buffer)
    return app
"""


def learner_module(tmp_path) -> tuple[LearnerFile, dict]:
    path = tmp_path / "kata.py"
    path.write_text(textwrap.dedent(SHOP), encoding="utf-8")
    namespace: dict = {"socket": socket}
    exec(compile(path.read_text(encoding="utf-8"), str(path), "exec"), namespace)
    return LearnerFile(str(path), SHOWN_AS), namespace


async def test_a_handler_error_is_kept_with_the_learners_line_and_out_of_the_log(tmp_path, caplog):
    """The client gets 500; the test gets the error and the line; pytest's log gets nothing."""
    learner, shop = learner_module(tmp_path)
    async with (
        serve_app(shop["create_app"](), learner) as app,
        aiohttp.ClientSession() as session,
        session.post(app.url("/orders"), json={"item": "coffee"}) as response,
    ):
        status = response.status
    assert status == 500, f"a handler that raised should answer 500, got {status}"
    [error] = app.errors
    assert error.what == "raised KeyError: 'quantity'", error
    assert isinstance(error.error, KeyError), f"the exception itself is kept: {error.error!r}"
    assert [(w.file, w.line, w.function) for w in error.where] == [
        (SHOWN_AS, 15, "create_order")
    ], error.where
    assert str(error) == f"raised KeyError: 'quantity' ({SHOWN_AS}:15 in create_order())", str(error)
    logged = [r for r in caplog.records if r.name == "aiohttp.server"]
    assert not logged, f"the handler's error should stay out of pytest's log: {logged}"
    assert not logging.getLogger("aiohttp.server").filters, "the filter should be gone after"


async def test_a_handler_that_returns_nothing_is_named_in_aiohttps_words(tmp_path):
    """No exception, still a 500: aiohttp's own message is kept."""
    learner, shop = learner_module(tmp_path)
    async with (
        serve_app(shop["create_app"](), learner) as app,
        aiohttp.ClientSession() as session,
        session.get(app.url("/nothing")) as response,
    ):
        status = response.status
    assert status == 500, f"a handler returning None should answer 500, got {status}"
    assert [e.what for e in app.errors] == [
        'failed: aiohttp says "Missing return statement on request handler"'
    ], app.errors


async def test_the_apps_cleanup_context_runs_at_startup_and_at_close_once(tmp_path):
    """Startup before the first request; cleanup when the block ends, or at close()."""
    learner, shop = learner_module(tmp_path)
    events = shop["EVENTS"]
    async with serve_app(shop["create_app"](), learner) as app:
        assert events == ["opened"], f"startup should have run once: {events}"
        await app.close()
        assert events == ["opened", "closed"], f"close() should run the cleanup: {events}"
    assert events == ["opened", "closed"], f"the cleanup should run once: {events}"
    assert app.closed


async def test_the_small_buffer_port_gives_its_connections_a_small_send_buffer(tmp_path):
    """SO_SNDBUF set on the second listening socket: each connection it accepts has it
    too; the first port's connections keep the system's (far larger) buffers."""
    learner, shop = learner_module(tmp_path)
    async with (
        serve_app(shop["create_app"](), learner, small_send_buffer=4096) as app,
        aiohttp.ClientSession() as session,
    ):
        sizes = {}
        for port, url in (("small", app.small_buffer_url("/buffer")), ("usual", app.url("/buffer"))):
            async with session.get(url) as response:
                sizes[port] = await response.json()
    # Linux doubles the value asked for (its bookkeeping).
    assert 0 < sizes["small"] <= 2 * 4096, f"the small port's send buffer: {sizes}"
    assert sizes["usual"] > sizes["small"], f"the usual port's send buffer: {sizes}"


async def test_an_app_that_fails_to_start_raises_and_leaves_nothing_open(tmp_path):
    """An error in startup reaches the test as it is."""

    async def broken(app: web.Application):
        raise RuntimeError("no stock service")
        yield

    app = web.Application()
    app.cleanup_ctx.append(broken)
    learner, _ = learner_module(tmp_path)
    try:
        async with serve_app(app, learner):
            raise AssertionError("the block should not run when startup fails")
    except RuntimeError as error:
        assert str(error) == "no stock service", error
    else:
        raise AssertionError("the startup error should reach the test")

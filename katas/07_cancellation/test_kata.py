"""Kata 07 — cancellation. Run: pytest katas/07_cancellation"""

import asyncio
import time

import pytest
from aiohttp import web

from harness.judge import assert_result, draw_timeline

INTERVAL = 0.02  # the poller reads the sensor every 20 ms
READINGS = 2  # the poller must have batched at least this many readings before it is stopped
PAYMENT_LATENCY = 0.1  # the payment provider takes 100 ms to capture a payment
PATIENCE = 1.0  # seconds to wait for something that takes a few tens of ms


class Sensor:
    """The fake sensor: /reading serves 20.0, 20.5, 21.0, ...; /batches stores a batch."""

    def __init__(self, service):
        self.served: list[float] = []
        self.flushed: list[object] = []
        service.route("/reading", handler=self.reading)
        service.route("/batches", handler=self.batch)

    async def reading(self, request: web.Request) -> web.Response:
        value = 20.0 + len(self.served) / 2
        self.served.append(value)
        return web.json_response({"celsius": value})

    async def batch(self, request: web.Request) -> web.Response:
        self.flushed.append(await request.json())
        return web.json_response({"stored": True})


async def wait_until(condition, task: asyncio.Task, *, waiting_for, returned: str) -> None:
    """Wait (at most PATIENCE) until ``condition()``; if the task ends first, say why."""
    __tracebackhide__ = True
    deadline = time.perf_counter() + PATIENCE
    while not condition():
        if task.done():
            result = task.result()  # re-raises the task's error (e.g. a stub) here
            pytest.fail(returned.format(result=result), pytrace=False)
        if time.perf_counter() > deadline:
            what = waiting_for() if callable(waiting_for) else waiting_for
            task.cancel()  # stop it while the service is still up, so it can clean up
            await asyncio.wait({task}, timeout=PATIENCE)
            pytest.fail(f"after {PATIENCE:g} s, still waiting for {what}", pytrace=False)
        await asyncio.sleep(0.005)


async def cancel_and_wait(task: asyncio.Task, call: str) -> None:
    """``task.cancel()``, then wait for the task to end without letting its error out here."""
    __tracebackhide__ = True
    task.cancel()
    done, _ = await asyncio.wait({task}, timeout=PATIENCE)
    if not done:
        pytest.fail(
            f"{call} was still running {PATIENCE:g} s after task.cancel(): it caught "
            "asyncio.CancelledError and carried on. After cleaning up, re-raise it "
            "(`raise`), or better, clean up in `finally:` and do not catch it at all.",
            pytrace=False,
        )
    if not task.cancelled() and task.exception() is not None:
        raise task.exception()  # an error in the cleanup code: show it as it is


async def running_poller(kata, service) -> asyncio.Task:
    """A poller task that has batched at least READINGS readings."""
    task = asyncio.create_task(kata.poll_sensor(service.base_url, INTERVAL))
    # The poller reads one at a time, so when reading N+1 starts, N are in the batch.
    await wait_until(
        lambda: len(service.calls_to("/reading")) > READINGS,
        task,
        waiting_for=lambda: f"poll_sensor(url, {INTERVAL}) to read the sensor "
        f"{READINGS + 1} times; the service saw {len(service.calls_to('/reading'))} "
        "GET /reading so far",
        returned=f"poll_sensor(url, {INTERVAL}) returned {{result!r}} before it was "
        "cancelled; it should keep reading the sensor until someone cancels its task "
        "(a `while True:` loop).",
    )
    return task


async def test_the_poller_keeps_reading_until_it_is_cancelled(kata, service):
    """A background job runs until its task is cancelled, then stops at its next await."""
    Sensor(service)
    task = await running_poller(kata, service)
    await cancel_and_wait(task, f"poll_sensor(url, {INTERVAL})")
    reads_when_stopped = len(service.calls_to("/reading"))
    await asyncio.sleep(2 * INTERVAL)
    reads = len(service.calls_to("/reading"))
    assert reads == reads_when_stopped, (
        f"the sensor was read {reads - reads_when_stopped} more times after the poller's "
        "task was cancelled; cancelling a task should stop its work"
    )


async def test_a_cancelled_poller_flushes_its_batch(kata, service):
    """Code in `finally:` runs when a task is cancelled: that is where cleanup goes."""
    sensor = Sensor(service)
    task = await running_poller(kata, service)
    await cancel_and_wait(task, f"poll_sensor(url, {INTERVAL})")
    assert sensor.flushed, (
        "the batch was never flushed: after task.cancel() the service saw no POST /batches, "
        f"so the readings {sensor.served[:READINGS]}... were lost.\n"
        f"{draw_timeline(service.calls)}\n"
        "task.cancel() raises CancelledError at the poller's current await. CancelledError "
        "is not an Exception, so `except Exception:` does not see it; `finally:` always runs."
    )
    assert len(sensor.flushed) == 1, (
        f"the service got {len(sensor.flushed)} batches: {sensor.flushed}; flush the batch "
        "once, when the poller is stopped"
    )
    readings = sensor.flushed[0].get("readings") if isinstance(sensor.flushed[0], dict) else None
    assert (
        isinstance(readings, list)
        and len(readings) >= READINGS
        and readings == sensor.served[: len(readings)]
    ), (
        f"the flushed batch was {sensor.flushed[0]!r}; expected {{'readings': [...]}} with "
        f"every reading the sensor served, in order: {sensor.served}"
    )


async def test_a_cancelled_poller_reports_that_it_was_cancelled(kata, service):
    """Never swallow CancelledError: whoever cancelled the task must see it cancelled."""
    Sensor(service)
    task = await running_poller(kata, service)
    await cancel_and_wait(task, f"poll_sensor(url, {INTERVAL})")
    assert task.cancelled(), (
        "the task swallowed the cancellation: task.cancelled() is False after task.cancel() "
        f"and waiting for it; poll_sensor returned {task.result()!r} instead of letting "
        "CancelledError out. Whoever cancelled it (a TaskGroup, asyncio.timeout, a "
        "shutdown) relies on seeing it cancelled. Clean up in `finally:`; if you catch "
        "CancelledError, end the `except` block with `raise`."
    )


async def test_checkout_returns_the_payment_receipt(kata, service):
    """Without any cancellation, checkout simply returns what the payment returned."""
    service.route("/payments", json={"order": "order-7", "status": "captured"})
    receipt = await kata.checkout(service.base_url, "order-7")
    assert_result(
        receipt, {"order": "order-7", "status": "captured"}, call="checkout(url, 'order-7')"
    )


@pytest.mark.workload
async def test_a_payment_in_flight_finishes_even_if_checkout_is_cancelled(
    kata, kata_file, service
):
    """`asyncio.shield` lets must-finish work complete while its caller is cancelled."""
    service.route(
        "/payments", json={"order": "order-42", "status": "captured"}, latency=PAYMENT_LATENCY
    )
    task = asyncio.create_task(kata.checkout(service.base_url, "order-42"))
    await wait_until(
        lambda: service.calls_to("/payments"),
        task,
        waiting_for="checkout(url, 'order-42') to send POST /payments",
        returned="checkout(url, 'order-42') returned {result!r} before the payment was sent",
    )
    # The shopper closes the tab while the payment provider is still working.
    await cancel_and_wait(task, "checkout(url, 'order-42')")
    await background_work_of(kata_file)
    payment = service.calls_to("/payments")[0]
    await service.settle(within=PATIENCE)
    timeline = draw_timeline(service.calls)
    assert payment.outcome == "answered", (
        f"the payment was abandoned: checkout was cancelled while POST /payments was in "
        f"flight, and the payment was cancelled with it (outcome: {payment.outcome}).\n"
        f"{timeline}\n"
        "The card may or may not have been charged: nobody knows. Wrap the payment in "
        "asyncio.shield(...) so cancelling checkout does not cancel the payment itself."
    )
    assert len(service.calls_to("/payments")) == 1, (
        f"the payment was sent {len(service.calls_to('/payments'))} times; send it once\n"
        f"{timeline}"
    )
    assert task.cancelled(), (
        "checkout swallowed the cancellation: its task.cancelled() is False after "
        f"task.cancel(); it returned {task.result()!r}. The shield protects the payment, "
        "not the caller: `await asyncio.shield(...)` still raises CancelledError in "
        "checkout, and checkout should let it out."
    )


async def background_work_of(kata_file, timeout: float = PATIENCE) -> None:
    """Wait for the tasks running code from the file under test (e.g. a shielded payment)."""
    current = asyncio.current_task()
    mine = [
        task
        for task in asyncio.all_tasks()
        if task is not current
        and getattr(getattr(task.get_coro(), "cr_code", None), "co_filename", None)
        == str(kata_file)
    ]
    if mine:
        await asyncio.wait(mine, timeout=timeout)

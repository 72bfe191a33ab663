"""Kata 07 — cancellation. Run: pytest katas/07_cancellation"""

import asyncio
import time

import pytest
from aiohttp import web

from harness.judge import assert_result, draw_timeline, excepts, expect, fail, wrote

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


async def wait_until(
    condition, task: asyncio.Task, *, waiting_for, returned: str, returned_fix: str | None = None
) -> None:
    """Wait (at most PATIENCE) until ``condition()``; if the task ends first, say why."""
    __tracebackhide__ = True
    deadline = time.perf_counter() + PATIENCE
    while not condition():
        if task.done():
            result = task.result()  # re-raises the task's error (e.g. a stub) here
            fail(returned.format(result=result), fix=returned_fix)
        if time.perf_counter() > deadline:
            what = waiting_for() if callable(waiting_for) else waiting_for
            task.cancel()  # stop it while the service is still up, so it can clean up
            await asyncio.wait({task}, timeout=PATIENCE)
            fail(f"after {PATIENCE:g} s, still waiting for {what}.")
        await asyncio.sleep(0.005)


async def cancel_and_wait(kata, task: asyncio.Task, call: str) -> None:
    """``task.cancel()``, then wait for the task to end without letting its error out here."""
    __tracebackhide__ = True
    task.cancel()
    done, _ = await asyncio.wait({task}, timeout=PATIENCE)
    if not done:
        fail(
            f"{call} was still running {PATIENCE:g} s after task.cancel(): it caught "
            "asyncio.CancelledError and carried on" + here(kata),
            fix="clean up in `finally:` and do not catch CancelledError at all; or end the "
            "`except` block with `raise`.",
            where=cancellation_caught(kata),
        )
    if not task.cancelled() and task.exception() is not None:
        raise task.exception()  # an error in the cleanup code: show it as it is


def cancellation_caught(kata) -> tuple:
    """The learner's `except` clauses that catch CancelledError (the first one), as a place."""
    return tuple(h.where for h in excepts(kata) if h.catches(asyncio.CancelledError))[:1]


def here(kata) -> str:
    return ", here:" if cancellation_caught(kata) else "."


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
        "cancelled; it should keep reading the sensor until someone cancels its task.",
        returned_fix="read in a `while True:` loop: only the cancellation ends it.",
    )
    return task


async def test_the_poller_keeps_reading_until_it_is_cancelled(kata, service):
    """A background job runs until its task is cancelled, then stops at its next await."""
    Sensor(service)
    task = await running_poller(kata, service)
    await cancel_and_wait(kata, task, f"poll_sensor(url, {INTERVAL})")
    reads_when_stopped = len(service.calls_to("/reading"))
    await asyncio.sleep(2 * INTERVAL)
    reads = len(service.calls_to("/reading"))
    expect(
        reads == reads_when_stopped,
        f"the sensor was read {reads - reads_when_stopped} more times after the poller's "
        "task was cancelled and had ended.",
        fix="read the sensor in the poller's own loop, not in tasks it starts: then "
        "cancelling the poller stops every read.",
    )


async def test_a_cancelled_poller_flushes_its_batch(kata, service):
    """Code in `finally:` runs when a task is cancelled: that is where cleanup goes."""
    sensor = Sensor(service)
    task = await running_poller(kata, service)
    await cancel_and_wait(kata, task, f"poll_sensor(url, {INTERVAL})")
    if not sensor.flushed:
        fail(
            "the batch was never flushed: after task.cancel() the service saw no POST "
            f"/batches, so the readings {sensor.served[:READINGS]}... were lost"
            + (", and this clause never ran:" if flush_skipped(kata) else "."),
            fix=flush_fix(kata),
            evidence=draw_timeline(service.calls),
            where=flush_skipped(kata),
        )
    expect(
        len(sensor.flushed) == 1,
        f"the service got {len(sensor.flushed)} batches: {sensor.flushed}.",
        fix="flush the batch once, when the poller is stopped.",
    )
    readings = sensor.flushed[0].get("readings") if isinstance(sensor.flushed[0], dict) else None
    expect(
        isinstance(readings, list)
        and len(readings) >= READINGS
        and readings == sensor.served[: len(readings)],
        f"the flushed batch was {sensor.flushed[0]!r}; expected {{'readings': [...]}} with "
        f"every reading the sensor served, in order: {sensor.served}.",
    )


def flush_skipped(kata) -> tuple:
    """An `except` clause of the learner's that a cancellation does not enter."""
    return tuple(
        h.where for h in excepts(kata) if h.names and not h.catches(asyncio.CancelledError)
    )[:1]


def flush_fix(kata) -> str:
    """Why the flush did not run, for what the learner wrote."""
    if flush_skipped(kata):
        return (
            "asyncio.CancelledError is a BaseException, not an Exception, so this `except` "
            "does not see it: flush in `finally:`, which always runs."
        )
    return (
        "task.cancel() raises CancelledError at the poller's current await, so code after "
        "the loop never runs: flush in `finally:`, with `await flush_batch(...)` while the "
        "session is still open."
    )


async def test_a_cancelled_poller_reports_that_it_was_cancelled(kata, service):
    """Never swallow CancelledError: whoever cancelled the task must see it cancelled."""
    Sensor(service)
    task = await running_poller(kata, service)
    await cancel_and_wait(kata, task, f"poll_sensor(url, {INTERVAL})")
    if not task.cancelled():
        fail(
            "the task swallowed the cancellation: task.cancelled() is False after "
            f"task.cancel(), and poll_sensor returned {task.result()!r}" + here(kata),
            fix="whoever cancelled it (a TaskGroup, asyncio.timeout, a shutdown) must see it "
            "cancelled: clean up in `finally:`, or end the `except` block with `raise`.",
            where=cancellation_caught(kata),
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
    await cancel_and_wait(kata, task, "checkout(url, 'order-42')")
    await background_work_of(kata_file)
    payment = service.calls_to("/payments")[0]
    await service.settle(within=PATIENCE)
    timeline = draw_timeline(service.calls)
    if payment.outcome != "answered":
        fail(
            "the payment was abandoned: checkout was cancelled while POST /payments was in "
            "flight, and the payment was cancelled with it. Was the card charged? Nobody knows.",
            fix=(
                "shield the payment's task itself, `asyncio.shield(payment)`, not a coroutine "
                "that awaits it."
                if wrote(kata, "shield")
                else "wrap the payment in asyncio.shield(...), so cancelling checkout does not "
                "cancel the payment itself."
            ),
            evidence=timeline,
        )
    sent = len(service.calls_to("/payments"))
    expect(sent == 1, f"the payment was sent {sent} times; send it once.", evidence=timeline)
    if not task.cancelled():
        fail(
            "checkout swallowed the cancellation: its task.cancelled() is False after "
            f"task.cancel(), and it returned {task.result()!r}" + here(kata),
            fix="the payment must finish, not checkout: `await asyncio.shield(...)` still "
            "raises CancelledError in checkout, and checkout should let it out.",
            where=cancellation_caught(kata),
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

"""Assertions about *how* the learner's code ran, with messages written for a learner.

Deterministic evidence comes first (how many requests the service saw in flight at
once, what the heartbeat saw); the clock comes second, with wide ratio gaps:
the sequential time is at least 3x the bound, and the bound at least 2x the ideal.
"""

from __future__ import annotations

import asyncio
import inspect
import math
import os
import sys
import threading
import time
from collections.abc import Awaitable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from harness.judge.frames import LearnerFile
from harness.judge.report import Diagnosis, Mistake, Where
from harness.judge.services import Call, FakeService

T = TypeVar("T")

BAR = "█"
CUT = "✗"  # a request the client abandoned


# --- the clock ---------------------------------------------------------------------
@dataclass
class Stopwatch:
    started: float = field(default_factory=time.perf_counter)
    stopped: float | None = None

    @property
    def elapsed(self) -> float:
        end = self.stopped if self.stopped is not None else time.perf_counter()
        return end - self.started


@contextmanager
def stopwatch() -> Iterator[Stopwatch]:
    watch = Stopwatch()
    try:
        yield watch
    finally:
        watch.stopped = time.perf_counter()


@dataclass(frozen=True)
class Budget:
    """A wall-clock bound stated as ratios of the intended latency.

    ``ideal`` is the critical path when the work overlaps, ``sequential`` the time
    when it runs one piece at a time. The bound sits at ``slack`` x ideal, and the
    constructor refuses a workload whose sequential time is not 3x that bound: such a
    test could not tell the two apart on a noisy machine.
    """

    ideal: float
    sequential: float
    slack: float = 2.0

    def __post_init__(self) -> None:
        if self.slack < 2.0:
            raise ValueError(f"the bound must be at least 2x the ideal, got {self.slack}x")
        if self.sequential < 3 * self.bound * (1 - 1e-9):  # exactly 3x is fine
            raise ValueError(
                f"workload too small to judge: sequential {self.sequential:.2f} s is not "
                f"3x the bound {self.bound:.2f} s; add requests or latency"
            )

    @property
    def bound(self) -> float:
        return self.slack * self.ideal


# --- the request timeline ----------------------------------------------------------------
def draw_timeline(calls: list[Call], width: int = 30, now: float | None = None) -> str:
    """The requests as a small text chart, one row each, so a staircase shows.

    A request still in flight is drawn up to ``now`` (the service's clock) if given.
    """
    if not calls:
        return "    (the service saw no requests)"
    start = min(c.started for c in calls)
    end = max((c.ended if c.ended is not None else (now or c.started)) for c in calls)
    scale = width / max(end - start, 1e-9)
    label_width = min(max(len(c.label) for c in calls), 28)
    rows = []
    for call in calls:
        first = int((call.started - start) * scale)
        finish = call.ended if call.ended is not None else end
        last = max(first + 1, round((finish - start) * scale))
        bar = " " * first + BAR * (last - first)
        mark = f" {CUT} abandoned" if call.outcome == "abandoned" else ""
        rows.append(
            f"    {call.label[:label_width]:<{label_width}} |{bar:<{width}}| "
            f"{call.started - start:4.2f}–{finish - start:4.2f} s{mark}"
        )
    return "\n".join(rows)


def peak_in_flight(
    calls: list[Call],
    *,
    since: float | None = None,
    until: float | None = None,
    now: float | None = None,
) -> int:
    """The most requests in flight at once between ``since`` and ``until`` (service times),
    from the record's start and end times.

    The service's own ``peak_in_flight`` covers its whole life; this one answers for a
    stretch of it, e.g. "after the failures, were there still five at once?". A request
    still in flight runs until ``now`` if given, else for ever. A request that ends when
    another starts does not overlap it.
    """
    low = -math.inf if since is None else since
    high = math.inf if until is None else until
    events: list[tuple[float, int]] = []
    for call in calls:
        ended = call.ended if call.ended is not None else (math.inf if now is None else now)
        start, stop = max(call.started, low), min(ended, high)
        if start < stop:
            events += [(start, 1), (stop, -1)]
    events.sort()  # at equal times, an end (-1) sorts before a start (+1)
    peak = current = 0
    for _, step in events:
        current += step
        peak = max(peak, current)
    return peak


def draw_in_flight(calls: list[Call], width: int = 40, now: float | None = None) -> str:
    """How many requests were in flight over time, as one row of digits: a chart for
    the many requests a timeline has no room for.

        in flight |55555555555555555555555555554321| 0.00–0.26 s

    Each column is the most in flight during its slice of time (``+`` for ten or more,
    ``·`` for none). Given ``now`` (the service's clock), the chart runs until then, so
    a stretch where nothing ran shows as dots.
    """
    if not calls:
        return "    (the service saw no requests)"
    start = min(c.started for c in calls)
    end = now if now is not None else max(c.ended or c.started for c in calls)
    step = max(end - start, 1e-9) / width
    columns = []
    for column in range(width):
        since = start + column * step
        n = peak_in_flight(calls, since=since, until=since + step, now=now)
        columns.append("·" if n == 0 else str(n) if n < 10 else "+")
    return f"    in flight |{''.join(columns)}| 0.00–{end - start:4.2f} s"


def _requests(n: int) -> str:
    return f"{n} request" + ("" if n == 1 else "s")


def assert_ran_concurrently(
    service: FakeService,
    *,
    budget: Budget,
    expected_requests: int,
    min_in_flight: int | None = None,
) -> None:
    """The service saw the requests overlap, and the whole batch took about the ideal.

    Evidence in order: the number of requests (so a missing one is named first), the
    peak in flight seen by the server (deterministic), then the server-side span from
    the first request's start to the last one's end against ``budget.bound``.
    """
    __tracebackhide__ = True
    calls = service.calls
    timeline = draw_timeline(calls, now=service.now())
    if len(calls) != expected_requests:
        raise Mistake(
            Diagnosis(
                f"the service expected {_requests(expected_requests)} but saw {len(calls)}.",
                evidence=timeline,
            )
        )
    want = expected_requests if min_in_flight is None else min_in_flight
    span = service.span()
    if service.peak_in_flight == 1 and want > 1:
        raise Mistake(
            Diagnosis(
                f"your {_requests(len(calls))} ran one at a time: {span:.2f} s (together "
                f"they take ≈ {budget.ideal:.2f} s). Each one waited for the one before it"
                + (", awaited here:" if _awaited_at(calls) else "."),
                evidence=timeline,
                where=_awaited_at(calls),
                fix="start them all, then await them together (asyncio.gather or a TaskGroup).",
            )
        )
    if service.peak_in_flight < want:
        raise Mistake(
            Diagnosis(
                f"at most {service.peak_in_flight} of your {_requests(len(calls))} were in "
                f"flight at once; expected {want}: {span:.2f} s (together ≈ {budget.ideal:.2f} s).",
                evidence=timeline,
                fix="start every request before awaiting any of them.",
            )
        )
    if span > budget.bound:
        raise Mistake(
            Diagnosis(
                f"your {_requests(len(calls))} overlapped but took {span:.2f} s, more than "
                f"{budget.bound:.2f} s (ideal ≈ {budget.ideal:.2f} s): something between them waits.",
                evidence=timeline,
                fix="look for an await or a blocking call between starting the requests.",
            )
        )


def _awaited_at(calls: list[Call]) -> tuple[Where, ...]:
    """The learner's line that awaited the second request (the first that waited its turn):
    the caller of the function that sent it, when there is one — usually the loop that
    awaits each request in turn — else the line that sent it."""
    chain = calls[1].where if len(calls) > 1 else ()
    return chain[-2:-1] if len(chain) >= 2 else chain[-1:]


# --- a run that stops making progress -------------------------------------------------------
class Stalled(Exception):
    """The learner's code stopped making progress: see :func:`run_watched`."""

    def __init__(self, idle: float, waited: float) -> None:
        super().__init__(f"no progress for {idle:.2f} s after {waited:.2f} s")
        self.idle = idle  # how long the loop ran with nothing in flight and nothing new (0: patience ran out)
        self.waited = waited  # how long the code ran in all


def last_activity(service: FakeService) -> float | None:
    """When the service last saw a request start or end (its clock), None before any."""
    times = [c.started for c in service.calls] + [c.ended for c in service.calls if c.ended]
    return max(times, default=None)


async def run_watched(
    awaitable: Awaitable[T], service: FakeService, *, idle: float = 0.3, patience: float = 3.0
) -> T:
    """Await the code under test, but stop it when it stalls, long before the test's timeout.

    It has stalled when the service has had nothing in flight and no new request for
    ``idle`` seconds while the code still has not returned (a semaphore slot never given
    back, a queue nobody reads, a ``join()`` that waits for a ``task_done()`` that never
    comes), or when ``patience`` seconds have passed. Then the code is cancelled and
    :class:`Stalled` is raised, for the test to explain with the service's record.

    Quiet time is counted only while the event loop runs: the watch looks every
    ``idle / 6`` seconds at most, and a look that comes late (a loaded machine that
    stopped the whole process) adds no more than two intervals. So only a loop that
    kept running with nothing to do for ``idle`` seconds is a stall, never a busy machine.
    """
    if not inspect.isawaitable(awaitable):
        return awaitable  # a plain value: the test says what it expected instead
    task = asyncio.ensure_future(awaitable)
    interval = min(idle / 6, 0.05)
    started = looked = service.now()
    seen = (len(service.calls), last_activity(service))
    quiet = 0.0
    try:
        while True:
            done, _ = await asyncio.wait({task}, timeout=interval)
            if done:
                return task.result()
            now = service.now()
            step, looked = min(now - looked, 2 * interval), now
            activity = (len(service.calls), last_activity(service))
            if service.in_flight or activity != seen:
                quiet, seen = 0.0, activity
            else:
                quiet += step
            if quiet >= idle or now - started >= patience:
                raise Stalled(quiet if quiet >= idle else 0.0, now - started)
    finally:
        if not task.done():
            task.cancel()
            await asyncio.wait({task}, timeout=1.0)  # code that swallows it is the plugin's to report


# --- the event loop's heartbeat -------------------------------------------------------------
@dataclass
class Stall:
    """The loop missed its heartbeat for ``seconds``; ``where`` is the learner's line."""

    seconds: float
    where: tuple[Where, ...]


class LoopMonitor:
    """A heartbeat task on the loop plus a watchdog thread that looks at the stack.

    The heartbeat ticks every ``tick`` seconds; the largest gap between ticks is the
    loop's worst lag. When the heartbeat is late by more than ``threshold``, the
    watchdog samples the loop thread's stack and remembers the deepest line from the
    learner's file, so a stall can be blamed on ``kata.py:14``.
    """

    def __init__(
        self, kata_file: LearnerFile | Path | str, *, tick: float = 0.005, threshold: float = 0.05
    ):
        if not isinstance(kata_file, LearnerFile):
            # As given, not resolved: it must equal the code's co_filename, the loader's path.
            kata_file = LearnerFile(os.fspath(kata_file), Path(kata_file).name)
        self.learner = kata_file
        self.tick = tick
        self.threshold = threshold
        self.max_lag = 0.0
        self.beats = 0  # how many times the heartbeat ran: a loop held by a spin barely ticks
        self.lag_total = 0.0  # all the heartbeat's lateness added up: time the loop could not run
        self.stalls: list[Stall] = []
        self._last_beat = time.perf_counter()
        self._blamed: tuple[Where, ...] = ()
        self._running = False
        self._task: asyncio.Task[None] | None = None
        self._watchdog: threading.Thread | None = None
        self._loop_thread = threading.get_ident()

    async def __aenter__(self) -> LoopMonitor:
        self._loop_thread = threading.get_ident()
        self._running = True
        self._last_beat = time.perf_counter()
        self._task = asyncio.create_task(self._beat(), name="heartbeat")
        self._watchdog = threading.Thread(target=self._watch, name="watchdog", daemon=True)
        self._watchdog.start()
        await asyncio.sleep(0)  # let the first beat happen before the learner's code
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self._running = False
        assert self._task is not None and self._watchdog is not None
        self._task.cancel()
        try:
            await self._task
        except asyncio.CancelledError:
            pass
        self._note_gap(time.perf_counter() - self._last_beat)
        self._watchdog.join()

    async def _beat(self) -> None:
        while True:
            await asyncio.sleep(self.tick)
            now = time.perf_counter()
            self._note_gap(now - self._last_beat - self.tick)
            self._last_beat = now
            self.beats += 1

    def _note_gap(self, lag: float) -> None:
        self.max_lag = max(self.max_lag, lag)
        self.lag_total += max(lag, 0.0)
        if lag > self.threshold:
            self.stalls.append(Stall(lag, self._blamed))
        self._blamed = ()

    def _watch(self) -> None:
        while self._running:
            time.sleep(self.threshold / 2)
            late = time.perf_counter() - self._last_beat - self.tick
            if late > self.threshold and not self._blamed:
                loop_stack = sys._current_frames().get(self._loop_thread)
                self._blamed = self.learner.stack(loop_stack)

    @property
    def worst(self) -> Stall | None:
        return max(self.stalls, key=lambda s: s.seconds, default=None)


BLOCKING_ADVICE = (
    "blocking and CPU-heavy calls must leave the loop: await asyncio.to_thread(...) or "
    "loop.run_in_executor(...)."
)


def assert_loop_stayed_responsive(
    monitor: LoopMonitor, *, max_lag: float, advice: str = BLOCKING_ADVICE
) -> None:
    """The heartbeat never waited longer than ``max_lag`` while the learner's code ran."""
    __tracebackhide__ = True
    if monitor.max_lag <= max_lag:
        return
    worst = monitor.worst
    raise Mistake(
        Diagnosis(
            f"the event loop was blocked for {monitor.max_lag:.2f} s: a heartbeat task that "
            f"should tick every {monitor.tick * 1000:.0f} ms could not run (allowed lag "
            f"{max_lag:.2f} s)" + (", while your code ran here:" if worst and worst.where else "."),
            where=worst.where if worst else (),
            fix=advice,
        )
    )


# --- results --------------------------------------------------------------------------------
def assert_result(got: object, expected: object, *, call: str) -> None:
    """``got`` equals ``expected``; a coroutine object instead of a value is named."""
    __tracebackhide__ = True
    if inspect.isawaitable(got):
        kind = _awaitable_kind(got)
        if inspect.iscoroutine(got):
            got.close()  # it will never run; closing it keeps the warning out of later tests
        raise Mistake(
            Diagnosis(
                f"{call} returned {kind} instead of its result: it only runs, and only has "
                "a result, once something awaits it.",
                fix="`await` it inside an `async def`, or run it with asyncio.run(...) from a "
                "plain function.",
            )
        )
    if got != expected:
        raise Mistake(Diagnosis(f"{call} returned {got!r}; expected {expected!r}."))


def _awaitable_kind(value: object) -> str:
    if inspect.iscoroutine(value):
        return f"a coroutine ({value.__qualname__}())"
    name = type(value).__name__
    if name == "_GatheringFuture":
        return "the future of asyncio.gather (pending)"
    if isinstance(value, asyncio.Task):
        return "a Task"
    if isinstance(value, asyncio.Future):
        return "a Future"
    return f"an awaitable {name}"

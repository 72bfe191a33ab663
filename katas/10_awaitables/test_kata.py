"""Kata 10 — awaitables. Run: pytest katas/10_awaitables"""

import asyncio
import contextlib
import inspect
import threading
import time

import pytest

from harness.judge import (
    LoopMonitor,
    assert_loop_stayed_responsive,
    assert_result,
    expect,
    fail,
    stopwatch,
    wrote,
)

# The scale calls back DELAY seconds after it is asked.
DELAY = 0.05
# Every await in these tests gives up after DEADLINE, so a future that never resolves
# fails fast. A result handed over with call_soon_threadsafe reaches the awaiting code
# within NOTICED_WITHIN (4x DELAY). One set from the scale's thread without it (or
# queued there with loop.call_soon) is noticed only when the sleeping loop wakes up for
# something else: here a timer set for WAKE_UP (2x NOTICED_WITHIN), before the DEADLINE.
NOTICED_WITHIN = 0.2
WAKE_UP = 0.4
DEADLINE = 0.6
# While three scales weigh, the heartbeat may be late by MAX_LAG. Waiting for them with a
# blocking call stalls it 3 x DELAY = 0.15 s (3x); with a future the loop runs on
# (the heartbeat was late by <= 0.01 s on a 2-core machine at load 4-6: MAX_LAG is 5x).
# A late heartbeat counts only when the watchdog saw the learner's code holding the loop:
# on an overloaded machine the OS alone can keep the loop thread off a core that long.
MAX_LAG = 0.05


class ScaleError(Exception):
    """What the scale reports when it cannot weigh."""


class LegacyScale:
    """A shop scale with an old callback API, like many device drivers.

    `read_weight(callback)` returns at once. DELAY seconds later, the scale's own thread
    calls `callback(grams, None)`, or `callback(None, error)` when the scale fails.
    """

    __test__ = False

    def __init__(self, grams: float | None = None, *, error: Exception | None = None):
        self.grams = grams
        self.error = error
        self.reads = 0
        self.answers: list[str] = []  # what the scale called back with
        self.callback_errors: list[BaseException] = []  # raised by the callback
        self._threads: list[threading.Thread] = []

    def read_weight(self, callback) -> None:
        self.reads += 1
        thread = threading.Thread(target=self._weigh, args=(callback,), name="scale", daemon=True)
        self._threads.append(thread)
        thread.start()

    def _weigh(self, callback) -> None:
        time.sleep(DELAY)
        try:
            if self.error is None:
                self.answers.append(f"{self.grams} grams")
                callback(self.grams, None)
            else:
                self.answers.append(f"the error {self.error!r}")
                callback(None, self.error)
        except BaseException as error:  # a driver would log it and carry on
            self.callback_errors.append(error)

    def join(self) -> None:
        for thread in self._threads:
            thread.join(timeout=1)


@pytest.fixture
def scales():
    """Makes scales: ``scales(250.0)``, ``scales(error=ScaleError(...))``; joins their threads."""
    made: list[LegacyScale] = []

    def make(grams: float | None = None, *, error: Exception | None = None) -> LegacyScale:
        made.append(LegacyScale(grams, error=error))
        return made[-1]

    yield make
    for scale in made:
        scale.join()


NEVER_RESOLVED = (
    "{call} was still waiting after {deadline} s, though the scale called back after "
    "{delay} s with {answers}: the future never got a result.{raised}"
)
NEVER_RESOLVED_FIX = (
    "every path of the callback must resolve the future: set_result for a weight, "
    "set_exception for an error."
)
NEVER_ASKED = (
    "{call} was still waiting after {deadline} s, and the scale was never asked for a weight."
)
NEVER_ASKED_FIX = "call scale.read_weight(callback) with a callback that resolves the future."
CALLBACK_RAISED = " Your callback raised {error!r} in the scale's thread."
NOT_AN_ITERATOR = (
    "{call} raised TypeError: {error}. `await obj` calls obj.__await__() and needs an "
    "iterator back; a coroutine is not one."
)
NOT_AN_ITERATOR_FIX = (
    "return some_coroutine(...).__await__() (a coroutine's own iterator), or write "
    "__await__ as a generator: `return (yield from some_coroutine(...).__await__())`."
)
NOT_AWAITABLE = (
    "{call} raised TypeError: {error}. Only awaitables can be awaited; a plain number cannot."
)
NOT_AWAITABLE_FIX = "check each item with inspect.isawaitable(item) and await only those."
ADDED_UNAWAITED = (
    "{call} raised TypeError: {error}. An awaitable was added up without being awaited: "
    "{why}"
)
ADDED_UNAWAITED_FIX = "inspect.isawaitable(item) recognises every awaitable: coroutines, Futures, Weighings."
AWAIT_THE_CALLBACK = (
    "let the loop wait for the scale: await a Future that the callback resolves (with "
    "loop.call_soon_threadsafe), instead of a loop or a blocking call that waits for it."
)
NOT_WOKEN = (
    "{call} took {elapsed:.2f} s, though the scale called back after {delay} s: the event "
    "loop did not notice the {answer} until it woke up for something else (here a "
    "timer the test set for {wake_up} s). Your callback runs in the scale's thread, where "
    "{how} but does not wake the loop up."
)
NOT_WOKEN_FIX = (
    "hand it to the loop's own thread: loop.call_soon_threadsafe(future.{setter}, {value}) "
    "runs {setter} there, and wakes the loop up."
)


async def within_deadline(
    awaitable, *, call: str, scales: list[LegacyScale] = (), keep_awake: bool = True
):
    """Await, but give up after DEADLINE with a message instead of hanging.

    With ``keep_awake``, a task wakes the loop every few milliseconds meanwhile, as a
    busy application would: then a result set without call_soon_threadsafe is noticed
    anyway, and only the tests about waking the loop up fail for that mistake. Without
    it, one timer wakes the loop at WAKE_UP: a result that was waiting for the loop to
    wake up is noticed then, late, rather than lost to the deadline.
    """
    __tracebackhide__ = True
    deadline = asyncio.timeout(DEADLINE)
    ticker = asyncio.create_task(tick_forever()) if keep_awake else None
    alarm = None if keep_awake else asyncio.get_running_loop().call_later(WAKE_UP, wake_up)
    try:
        async with deadline:
            return await awaitable
    except TimeoutError:
        if not deadline.expired():
            raise
    finally:
        if alarm is not None:
            alarm.cancel()
        if ticker is not None:
            ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await ticker
    answers = " and ".join(answer for scale in scales for answer in scale.answers)
    if scales and not answers:
        fail(NEVER_ASKED.format(call=call, deadline=DEADLINE), fix=NEVER_ASKED_FIX)
    errors = [error for scale in scales for error in scale.callback_errors]
    raised = CALLBACK_RAISED.format(error=errors[0]) if errors else ""
    fail(
        NEVER_RESOLVED.format(call=call, deadline=DEADLINE, delay=DELAY, answers=answers, raised=raised),
        fix=NEVER_RESOLVED_FIX,
    )


def wake_up() -> None:
    """Nothing: a timer's only effect is that the loop wakes up and runs what is ready."""


async def tick_forever() -> None:
    while True:
        await asyncio.sleep(0.005)


def explain_type_error(error: TypeError, call: str, kata) -> None:
    """The usual TypeErrors of awaiting, in the learner's terms (others are left as they are)."""
    __tracebackhide__ = True
    text = str(error)
    if "__await__()" in text:
        fail(NOT_AN_ITERATOR.format(call=call, error=error), fix=NOT_AN_ITERATOR_FIX)
    if "'await' expression" in text or "can't be awaited" in text:
        fail(NOT_AWAITABLE.format(call=call, error=error), fix=NOT_AWAITABLE_FIX)
    if "unsupported operand" in text:
        why = (
            "asyncio.iscoroutine(item) is True only for coroutines, and a Weighing and a "
            "Future are awaitable too."
            if wrote(kata, "iscoroutine")
            else "the check that picks what to await missed a kind of awaitable."
        )
        fail(ADDED_UNAWAITED.format(call=call, error=error, why=why), fix=ADDED_UNAWAITED_FIX)


def assert_callbacks_did_not_raise(*scales: LegacyScale) -> None:
    __tracebackhide__ = True
    for scale in scales:
        for error in scale.callback_errors:
            fail(CALLBACK_RAISED.format(error=error).strip())


def assert_noticed_at_once(kata, watch, *, call: str, answer: str, setter: str, value: str) -> None:
    """The result (or error) reached the awaiting code soon after the scale called back."""
    __tracebackhide__ = True
    if watch.elapsed <= NOTICED_WITHIN:
        return
    if wrote(kata, "call_soon") and not wrote(kata, "call_soon_threadsafe"):
        how = "loop.call_soon queues the call"
    else:
        how = f"future.{setter} changes the future"
    fail(
        NOT_WOKEN.format(
            call=call, elapsed=watch.elapsed, delay=DELAY, answer=answer, wake_up=WAKE_UP, how=how
        ),
        fix=NOT_WOKEN_FIX.format(setter=setter, value=value),
    )


async def test_read_weight_gives_the_weight_the_scale_reports(kata, scales):
    """A Future turns the callback into something to await: its result is the weight."""
    scale = scales(250.0)
    call = "await read_weight(scale)"
    grams = await within_deadline(kata.read_weight(scale), call=call, scales=[scale])
    assert_callbacks_did_not_raise(scale)
    assert_result(grams, 250.0, call=call)
    expect(scale.reads == 1, f"{call} asked the scale {scale.reads} times; once is enough.")


async def test_the_loop_wakes_up_as_soon_as_the_scale_calls_back(kata, scales):
    """call_soon_threadsafe hands the result to the loop's thread and wakes the loop up."""
    scale = scales(250.0)
    call = "await read_weight(scale)"
    with stopwatch() as watch:
        grams = await within_deadline(
            kata.read_weight(scale), call=call, scales=[scale], keep_awake=False
        )
    assert_callbacks_did_not_raise(scale)
    assert_result(grams, 250.0, call=call)
    assert_noticed_at_once(kata, watch, call=call, answer="weight", setter="set_result", value="grams")


async def test_a_scale_error_is_raised_by_the_await(kata, scales):
    """set_exception on the future makes the `await` raise the callback's error."""
    scale = scales(error=ScaleError("the scale is not level"))
    call = "await read_weight(scale)"
    try:
        grams = await within_deadline(kata.read_weight(scale), call=call, scales=[scale])
    except ScaleError as raised:
        expect(
            raised is scale.error,
            f"{call} raised {raised!r}, a new error; expected the scale's own {scale.error!r}.",
            fix="hand the error object the callback got to future.set_exception.",
        )
    else:
        fail(
            f"{call} returned {grams!r}, but the scale called back with the error "
            f"{scale.error!r}; the await should raise it.",
            fix="resolve the future with future.set_exception(error) when the callback gets an error.",
        )
    assert_callbacks_did_not_raise(scale)


async def test_the_loop_wakes_up_as_soon_as_the_scale_reports_an_error(kata, scales):
    """An error from the scale's thread reaches the loop thread-safely too, and wakes it up."""
    scale = scales(error=ScaleError("the scale is not level"))
    call = "await read_weight(scale)"
    with stopwatch() as watch:
        try:
            await within_deadline(kata.read_weight(scale), call=call, scales=[scale], keep_awake=False)
        except ScaleError:
            pass  # the error's identity is the test above's business
    assert_callbacks_did_not_raise(scale)
    assert_noticed_at_once(kata, watch, call=call, answer="error", setter="set_exception", value="error")


async def test_a_weighing_can_be_awaited_like_a_coroutine(kata, scales):
    """An object whose __await__ returns an iterator is awaitable, without being a coroutine."""
    scale = scales(250.0)
    weighing = kata.Weighing(scale)
    expect(
        inspect.isawaitable(weighing),
        "Weighing(scale) is not awaitable: its class has no __await__ method.",
        fix="give Weighing a method `def __await__(self):` that returns an iterator.",
    )
    call = "await Weighing(scale)"
    steps = kata.Weighing(scales(250.0)).__await__()  # what `await` calls first
    if inspect.iscoroutine(steps):
        steps.close()  # it will never run: no "never awaited" warning
        fail(
            NOT_AN_ITERATOR.format(call=call, error="__await__() returned a coroutine"),
            fix=NOT_AN_ITERATOR_FIX,
        )
    if hasattr(steps, "close"):
        steps.close()
    try:
        grams = await within_deadline(weighing, call=call, scales=[scale])
    except TypeError as error:
        explain_type_error(error, call, kata)
        raise
    assert_callbacks_did_not_raise(scale)
    assert_result(grams, 250.0, call=call)
    expect(scale.reads == 1, f"{call} asked the scale {scale.reads} times; once is enough.")


async def test_total_weight_awaits_every_kind_of_awaitable(kata, scales):
    """inspect.isawaitable sees coroutines, Futures and objects with __await__ alike."""
    loop = asyncio.get_running_loop()
    delivered = loop.create_future()
    loop.call_later(DELAY / 5, delivered.set_result, 30.0)
    weighed, read = scales(250.0), scales(80.0)
    basket = [120.0, kata.Weighing(weighed), kata.read_weight(read), delivered, 5]
    call = "await total_weight([120.0, Weighing(scale), read_weight(scale), a_future, 5])"
    try:
        total = await within_deadline(kata.total_weight(basket), call=call, scales=[weighed, read])
    except TypeError as error:
        explain_type_error(error, call, kata)
        raise
    finally:
        for item in basket:
            if inspect.iscoroutine(item):
                item.close()  # a no-op if it ran; else it was never awaited: no warning
    assert_callbacks_did_not_raise(weighed, read)
    assert_result(total, 485.0, call=call)


@pytest.mark.workload
async def test_the_loop_keeps_ticking_while_the_scales_weigh(kata, kata_file, scales):
    """Awaiting a Future leaves the event loop free; a blocking wait would hold it."""
    basket = [scales(250.0), scales(80.0), scales(1200.0)]
    call = "await asyncio.gather(*(read_weight(scale) for scale in three_scales))"
    async with LoopMonitor(kata_file) as monitor:
        weights = await within_deadline(
            asyncio.gather(*(kata.read_weight(scale) for scale in basket)),
            call=call,
            scales=basket,
        )
    if monitor.worst is not None and monitor.worst.where:  # the learner's line held the loop
        assert_loop_stayed_responsive(monitor, max_lag=MAX_LAG, advice=AWAIT_THE_CALLBACK)
    assert_callbacks_did_not_raise(*basket)
    assert_result(weights, [250.0, 80.0, 1200.0], call=call)

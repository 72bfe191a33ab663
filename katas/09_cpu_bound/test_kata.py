"""Kata 09 — CPU-bound work. Run: pytest katas/09_cpu_bound"""

import importlib
import pickle
import sys
import threading
import traceback
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool

import pytest

from harness.judge import (
    LoopMonitor,
    Mistake,
    assert_loop_stayed_responsive,
    assert_result,
    fail,
    pool_context,
    wrote,
)

# primes.py is imported by its package path (the folder name is not an identifier), so
# that a worker process can import `primes_below` by the same name.
primes_below = importlib.import_module("katas.09_cpu_bound.primes").primes_below

WORKERS = 2
# One count below HEAVY takes >= 0.17 s of CPU on an idle machine (Python 3.11-3.13).
HEAVY, HEAVY_COUNT = 120_000, 11_301
# The heartbeat may be late by MAX_LAG. Counting on the loop stalls it for both counts
# of the workload at once, >= 0.35 s (3.5x MAX_LAG; a single count alone is 1.7x). With
# the counting in the pool, the heartbeat was late by <= 0.03 s on a 2-core machine at
# load 8, and by 0.05 s at worst with three runs of this kata at once (MAX_LAG is 2x-3x).
# A late heartbeat counts against the learner's code only when the watchdog saw that
# code holding the loop: at load 17 (2 cores), the OS alone kept the loop thread off a
# core for 0.11 s while the counting ran in the pool, with no line of the learner's
# file on the loop's stack.
MAX_LAG = 0.1

TO_THE_POOL = (
    "hand primes_below and its argument to the process pool you were given: "
    "`await loop.run_in_executor(pool, primes_below, limit)`."
)
GIL = (
    "primes_below is pure Python and holds the GIL, so a thread takes turns with the "
    "event loop instead of running beside it"
)
IN_A_THREAD = "{call} returned {got!r}, but your code ran primes_below in a thread ({how}): {gil}; the process pool you were given never received the work."
ON_THE_LOOP = (
    "{call} returned {got!r} without sending any work to the process pool you were given: "
    "primes_below ran right here, on the event loop, which could do nothing else meanwhile."
)
OWN_POOL = "your code sent primes_below to a ProcessPoolExecutor of its own, not to `pool`, the one it was given."
OWN_POOL_FIX = (
    "use the pool you were given: `await loop.run_in_executor(pool, primes_below, limit)`. "
    "Every new pool starts its worker processes again (slow): a program makes one and shares it."
)
SHUT_DOWN = (
    "your code shut down the pool it was given: leaving `with pool:` calls pool.shutdown(). "
    "The caller made that pool, and the counts after this one could not use it."
)
SHUT_DOWN_FIX = "use the pool without `with`: the caller closes it when everything is counted."
NOT_PICKLABLE = (
    "{call} failed: the pool could not send the function to a worker process ({error}). "
    "It pickles the function, which works only for a function the worker can import by "
    "name (defined at the top level of a module): not a lambda, not a function defined "
    "inside another one."
)
NOT_PICKLABLE_FIX = (
    "pass primes_below itself, with its argument: `run_in_executor(pool, primes_below, limit)` "
    "(or functools.partial(primes_below, limit))."
)
ONE_AT_A_TIME = (
    "{call}: the pool counted one limit at a time (at most {peak} of {jobs} counts in "
    "flight), though its {workers} workers can count side by side."
)
ONE_AT_A_TIME_FIX = "start every count first, then await them together (asyncio.gather or a TaskGroup)."


class Workers:
    """The kata's process pool, shared by its tests: a pool's workers are slow to start
    (with spawn, as on macOS and Windows, each one imports pytest again). A test that
    leaves work running in it, or breaks it, gets it replaced for the next test."""

    __test__ = False

    def __init__(self) -> None:
        self.executor: ProcessPoolExecutor | None = None

    def get(self) -> ProcessPoolExecutor:
        if self.executor is None:
            self.executor = ProcessPoolExecutor(WORKERS, mp_context=pool_context())
            # Start every worker now, in a fixture: while the test process has no other
            # thread (fork is safe then), and not later inside the learner's code.
            for job in [self.executor.submit(int) for _ in range(WORKERS)]:
                job.result()
        return self.executor

    def close(self) -> None:
        """Shut down, and never wait forever on a worker: a stuck one would otherwise
        hang this teardown and again the interpreter's exit."""
        executor, self.executor = self.executor, None
        if executor is None:
            return
        processes = list(executor._processes.values())  # private, same in Python 3.11-3.14
        executor.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.join(timeout=2.0)
            if process.is_alive():
                process.terminate()
                process.join()


class WatchedPool(Executor):
    """The `pool` the learner's code gets: the kata's process pool, watched for one test.
    It records the jobs it is given and how many were in flight at once, and where the
    learner's code sent work instead of it."""

    __test__ = False

    def __init__(self, executor: ProcessPoolExecutor, learner):
        self.executor = executor
        self.learner = learner
        self.jobs: list[tuple] = []
        self.peak_in_flight = 0
        self.in_flight = 0
        self.broken = False
        self.thread_jobs: list[tuple] = []  # the learner's lines that sent work to a thread
        self.mistakes: list[Mistake] = []  # work refused: another pool, a shutdown
        self._lock = threading.Lock()

    def submit(self, fn, /, *args, **kwargs):
        # A job that cannot be pickled fails here, as the pool itself would fail it, but
        # before it reaches the pool: CPython 3.11 mishandles such a job (a worker gets
        # stuck, shutdown hangs) about once in 20 runs on a busy machine.
        try:
            pickle.dumps((fn, args, kwargs))
        except Exception as error:  # PicklingError, or AttributeError from the C pickler
            raise pickle.PicklingError(f"cannot pickle {fn!r}: {error}") from error
        future = self.executor.submit(fn, *args, **kwargs)
        with self._lock:
            self.jobs.append((fn, args))
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        future.add_done_callback(self._job_done)
        return future

    def _job_done(self, future: Future) -> None:
        with self._lock:
            self.in_flight -= 1
        if not future.cancelled() and isinstance(future.exception(), BrokenProcessPool):
            self.broken = True

    def shutdown(self, wait=True, *, cancel_futures=False):
        """The fixture closes the pool; the learner's code must not (`with pool:`)."""
        learner_lines = self.learner.stack(sys._getframe(1))
        if learner_lines:
            self._refuse(SHUT_DOWN, SHUT_DOWN_FIX, learner_lines)

    def _refuse(self, what: str, fix: str, where: tuple) -> None:
        """Fail the learner's call with ``what``, and remember it in case they catch it."""
        __tracebackhide__ = True
        try:
            fail(what, fix=fix, where=where)
        except Mistake as mistake:
            self.mistakes.append(mistake)
            raise

    def watch_other_executors(self, monkeypatch) -> None:
        """Any other process pool is refused before it starts a worker (so nothing forks
        while the test's threads run, and no stray pool is left to hang the exit); a
        thread pool's jobs are noted."""
        process_submit, thread_submit = ProcessPoolExecutor.submit, ThreadPoolExecutor.submit
        watched = self

        def other_process_pool(pool, fn, /, *args, **kwargs):
            if pool is not watched.executor:
                watched._refuse(OWN_POOL, OWN_POOL_FIX, watched.learner.stack(sys._getframe(1)))
            return process_submit(pool, fn, *args, **kwargs)

        def thread_pool(pool, fn, /, *args, **kwargs):
            learner_lines = watched.learner.stack(sys._getframe(1))
            if learner_lines:
                watched.thread_jobs.append(learner_lines)
            return thread_submit(pool, fn, *args, **kwargs)

        monkeypatch.setattr(ProcessPoolExecutor, "submit", other_process_pool)
        monkeypatch.setattr(ThreadPoolExecutor, "submit", thread_pool)


@pytest.fixture(scope="module")
def workers():
    """The process pool of this kata's tests: two workers, started once."""
    kept = Workers()
    yield kept
    kept.close()


@pytest.fixture
def pool(workers, kata_file, monkeypatch):
    """The pool handed to the learner's code, watched for this test."""
    watched = WatchedPool(workers.get(), kata_file)
    watched.watch_other_executors(monkeypatch)
    yield watched
    monkeypatch.undo()
    if watched.in_flight or watched.broken:  # a fresh pool for the next test
        workers.close()


async def counted(coroutine, pool: WatchedPool, *, call: str):
    """Await the learner's coroutine; work refused by the test or a function the pool
    could not pickle is explained (also when a TaskGroup wraps it in a group)."""
    __tracebackhide__ = True
    try:
        result = await coroutine
    except Exception as error:
        if pool.mistakes:
            raise pool.mistakes[0] from None
        unpicklable = next((e for e in leaves(error) if failed_to_pickle(e)), None)
        if unpicklable is None:
            raise
        fail(
            NOT_PICKLABLE.format(call=call, error=short(unpicklable)),
            fix=NOT_PICKLABLE_FIX,
            where=pool.learner.traceback(unpicklable.__traceback__),
        )
    if pool.mistakes:  # refused, and the learner's code carried on (return_exceptions=True...)
        raise pool.mistakes[0]
    return result


def leaves(error: BaseException) -> list[BaseException]:
    if isinstance(error, BaseExceptionGroup):
        return [leaf for inner in error.exceptions for leaf in leaves(inner)]
    return [error]


def short(error: BaseException) -> str:
    """The pickling error's last words: "Can't pickle local object 'count_primes.<locals>.<lambda>'"."""
    text = str(error.__cause__ or error).strip()
    return text.splitlines()[-1] if text else type(error).__name__


def failed_to_pickle(error: BaseException) -> bool:
    """The pool could not pickle the job (the message differs between Python versions)."""
    frames = traceback.extract_tb(error.__traceback__)
    in_pickler = any(f.filename.endswith(("reduction.py", "pickle.py")) for f in frames)
    return in_pickler or isinstance(error, pickle.PicklingError) or "pickle" in str(error)


def assert_the_pool_got(pool: WatchedPool, kata, jobs: int, *, call: str, got: object) -> None:
    __tracebackhide__ = True
    if not pool.jobs and pool.thread_jobs:
        how = "asyncio.to_thread" if wrote(kata, "to_thread") else "run_in_executor with None"
        fail(
            IN_A_THREAD.format(call=call, got=got, how=how, gil=GIL),
            fix=TO_THE_POOL,
            where=pool.thread_jobs[0],
        )
    if not pool.jobs:
        fail(ON_THE_LOOP.format(call=call, got=got), fix=TO_THE_POOL)
    if len(pool.jobs) != jobs:
        fail(f"{call} gave the pool {len(pool.jobs)} jobs; expected {jobs}, one per limit.")


async def test_count_primes_gets_the_count_from_the_process_pool(pool, kata):
    """loop.run_in_executor(pool, func, *args) runs func in a worker process; await it."""
    call = "await count_primes(pool, primes_below, 100)"
    count = await counted(kata.count_primes(pool, primes_below, 100), pool, call=call)
    assert_result(count, 25, call=call)
    assert_the_pool_got(pool, kata, 1, call=call, got=count)


async def test_counts_come_back_in_the_order_of_the_limits(pool, kata):
    """Every limit gets its own count, and the counts keep the order of the limits."""
    limits = [1000, 10, 2, 100]
    call = f"await count_primes_for_each(pool, primes_below, {limits})"
    counts = await counted(kata.count_primes_for_each(pool, primes_below, limits), pool, call=call)
    assert_result(counts, [168, 4, 0, 25], call=call)
    assert_the_pool_got(pool, kata, len(limits), call=call, got=counts)


@pytest.mark.workload
async def test_the_heartbeat_keeps_ticking_while_the_pool_counts(pool, kata, kata_file):
    """CPU work in other processes leaves the event loop free, and the counts overlap."""
    limits = [HEAVY] * WORKERS
    call = f"await count_primes_for_each(pool, primes_below, {limits})"
    async with LoopMonitor(kata_file) as monitor:
        counts = await counted(
            kata.count_primes_for_each(pool, primes_below, limits), pool, call=call
        )
    held_by_the_learner = monitor.worst is not None and bool(monitor.worst.where)
    if held_by_the_learner and not pool.thread_jobs:  # the heartbeat names the line
        assert_loop_stayed_responsive(monitor, max_lag=MAX_LAG, advice=TO_THE_POOL)
    assert_the_pool_got(pool, kata, len(limits), call=call, got=counts)
    if pool.peak_in_flight < len(limits):
        fail(
            ONE_AT_A_TIME.format(call=call, peak=pool.peak_in_flight, jobs=len(limits), workers=WORKERS),
            fix=ONE_AT_A_TIME_FIX,
        )
    assert_result(counts, [HEAVY_COUNT] * len(limits), call=call)

"""Kata 09 — CPU-bound work. Run: pytest katas/09_cpu_bound"""

import importlib
import pickle
import threading
import traceback
from concurrent.futures import ProcessPoolExecutor

import pytest

from harness.judge import LoopMonitor, assert_loop_stayed_responsive, assert_result, pool_context

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
MAX_LAG = 0.1

NOT_IN_THE_POOL = (
    "{call} returned {got!r}, but the process pool you passed in never received the "
    "work: primes_below ran in this process, in a thread (asyncio.to_thread, or "
    "run_in_executor with None) or on the event loop itself. Pure Python holds the GIL, "
    "so a thread takes turns with the event loop instead of running beside it. Hand "
    "primes_below and its argument to the pool you were given."
)
CPU_BOUND_ADVICE = (
    "primes_below is CPU-bound pure Python: in a thread it would still take turns with "
    "the event loop for the GIL. Send it to the process pool you were given."
)
NOT_PICKLABLE = (
    "{call} failed: {error}\nThe pool sends the function to a worker process by pickling "
    "it, which only works for a function that the worker can import by name (defined at "
    "the top level of a module). A lambda or a function defined inside another one could "
    "not be sent to a worker process: pass primes_below itself, with its argument "
    "(run_in_executor(pool, func, *args), or functools.partial)."
)


class WatchedPool(ProcessPoolExecutor):
    """A process pool that records the jobs it is given and how many were in flight."""

    __test__ = False

    def __init__(self, workers: int):
        super().__init__(workers, mp_context=pool_context())
        self.jobs: list[tuple] = []
        self.peak_in_flight = 0
        self._in_flight = 0
        self._lock = threading.Lock()
        # Start every worker now, in the fixture: while the test process has no other
        # thread, and not later inside the learner's code. These jobs are not recorded.
        warm_up = [ProcessPoolExecutor.submit(self, int) for _ in range(workers)]
        for job in warm_up:
            job.result()

    def submit(self, fn, /, *args, **kwargs):
        # A job that cannot be pickled fails here, as the pool itself would fail it, but
        # before it reaches the pool: CPython 3.11 mishandles such a job (a worker gets
        # stuck, shutdown hangs) about once in 20 runs on a busy machine.
        try:
            pickle.dumps((fn, args, kwargs))
        except Exception as error:  # PicklingError, or AttributeError from the C pickler
            raise pickle.PicklingError(f"cannot pickle {fn!r}: {error}") from error
        future = super().submit(fn, *args, **kwargs)
        with self._lock:
            self.jobs.append((fn, args))
            self._in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self._in_flight)
        future.add_done_callback(self._job_done)
        return future

    def _job_done(self, future: object) -> None:
        with self._lock:
            self._in_flight -= 1

    def close(self) -> None:
        """Shut down, and never wait forever on a worker: a stuck one would otherwise
        hang this teardown and again the interpreter's exit."""
        workers = list(self._processes.values())  # private, same in Python 3.11-3.13
        self.shutdown(wait=False, cancel_futures=True)
        for worker in workers:
            worker.join(timeout=2.0)
            if worker.is_alive():
                worker.terminate()
                worker.join()


@pytest.fixture
def pool():
    """A process pool of two workers, started before the test's own threads."""
    executor = WatchedPool(WORKERS)
    yield executor
    executor.close()


async def counted(coroutine, *, call: str):
    """Await the learner's coroutine; a function the pool could not pickle is explained."""
    __tracebackhide__ = True
    try:
        return await coroutine
    except Exception as error:
        if not failed_to_pickle(error):
            raise
        message = NOT_PICKLABLE.format(call=call, error=f"{type(error).__name__}: {error}")
    raise AssertionError(message)


def failed_to_pickle(error: Exception) -> bool:
    """The pool could not pickle the job (the message differs between Python versions)."""
    frames = traceback.extract_tb(error.__traceback__)
    in_pickler = any(f.filename.endswith(("reduction.py", "pickle.py")) for f in frames)
    return in_pickler or isinstance(error, pickle.PicklingError) or "pickle" in str(error)


def assert_the_pool_got(pool: WatchedPool, jobs: int, *, call: str, got: object) -> None:
    __tracebackhide__ = True
    if not pool.jobs:
        raise AssertionError(NOT_IN_THE_POOL.format(call=call, got=got))
    if len(pool.jobs) != jobs:
        raise AssertionError(
            f"{call} gave the pool {len(pool.jobs)} jobs; expected {jobs}, one per limit"
        )


def assert_heartbeat_kept_ticking(monitor: LoopMonitor) -> None:
    __tracebackhide__ = True
    assert_loop_stayed_responsive(monitor, max_lag=MAX_LAG, advice=CPU_BOUND_ADVICE)


async def test_count_primes_gets_the_count_from_the_process_pool(pool, kata):
    """loop.run_in_executor(pool, func, *args) runs func in a worker process; await it."""
    call = "await count_primes(pool, primes_below, 100)"
    count = await counted(kata.count_primes(pool, primes_below, 100), call=call)
    assert_result(count, 25, call=call)
    assert_the_pool_got(pool, 1, call=call, got=count)


async def test_counts_come_back_in_the_order_of_the_limits(pool, kata):
    """Every limit gets its own count, and the counts keep the order of the limits."""
    limits = [1000, 10, 2, 100]
    call = f"await count_primes_for_each(pool, primes_below, {limits})"
    counts = await counted(kata.count_primes_for_each(pool, primes_below, limits), call=call)
    assert_result(counts, [168, 4, 0, 25], call=call)
    assert_the_pool_got(pool, len(limits), call=call, got=counts)


@pytest.mark.workload
async def test_the_heartbeat_keeps_ticking_while_the_pool_counts(pool, kata, kata_file):
    """CPU work in other processes leaves the event loop free, and the counts overlap."""
    limits = [HEAVY] * WORKERS
    call = f"await count_primes_for_each(pool, primes_below, {limits})"
    async with LoopMonitor(kata_file) as monitor:
        counts = await counted(kata.count_primes_for_each(pool, primes_below, limits), call=call)
    counted_on_the_loop = monitor.worst is not None and monitor.worst.where is not None
    if not pool.jobs and not counted_on_the_loop:
        raise AssertionError(NOT_IN_THE_POOL.format(call=call, got=counts))
    assert_heartbeat_kept_ticking(monitor)
    assert_the_pool_got(pool, len(limits), call=call, got=counts)
    if pool.peak_in_flight < len(limits):
        raise AssertionError(
            f"{call}: the pool counted one limit at a time (at most {pool.peak_in_flight} "
            f"of {len(limits)} counts in flight). Its {WORKERS} workers can count side by "
            "side: start every count first, then await them together."
        )
    assert_result(counts, [HEAVY_COUNT] * len(limits), call=call)

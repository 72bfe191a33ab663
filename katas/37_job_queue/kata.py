"""Kata 37 — a job queue (capstone): jobs wait in an aiosqlite table; N workers claim
them one at a time in a transaction, retry failures after a growing wait, and hold each
claim as a lease that runs out if the worker dies; shutdown lets the jobs in flight
finish. The table is the queue, so a queue that dies loses nothing.

Edit this file until `pytest katas/37_job_queue` is green. The tests are steps, in order:
`pytest katas/37_job_queue -k step_1_` runs the first.
"""

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import aiosqlite

SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id          INTEGER PRIMARY KEY,
    payload     TEXT NOT NULL,
    status      TEXT NOT NULL DEFAULT 'queued',  -- queued | running | done | failed
    attempts    INTEGER NOT NULL DEFAULT 0,      -- attempts started so far
    run_after   REAL NOT NULL DEFAULT 0,         -- a queued job waits until then (its backoff)
    lease_until REAL,                            -- a running job's claim runs out then
    error       TEXT                             -- why the last attempt failed
);
"""


@dataclass(frozen=True)
class Job:
    """A claimed job, as the handler gets it. `attempt` is 1 on the first try."""

    id: int
    payload: str
    attempt: int


Handler = Callable[[Job], Awaitable[None]]


def exponential_backoff(attempt: int, base: float = 0.1) -> float:
    """Seconds to wait after failed attempt `attempt` (1, 2, 3 ...) before the next.

    exponential_backoff(1) -> 0.1, (2) -> 0.2, (3) -> 0.4
    """
    # TODO: base, then twice as long after each failed attempt.
    raise NotImplementedError


class JobQueue:
    """A persistent job queue in the SQLite file `db_path`.

    queue = JobQueue("jobs.db", send_invoice, workers=4)
    await queue.open()
    await queue.enqueue("invoice-17")
    await queue.start()      # `workers` tasks run jobs: await send_invoice(job)
    ...
    await queue.shutdown()   # let the jobs in flight finish, start no new one, close

    Times in the table are `time.time()` (seconds since the epoch): they must mean the
    same to the next process that opens the file.
    """

    def __init__(
        self,
        db_path: str | Path,
        handler: Handler,
        *,
        workers: int = 4,
        max_attempts: int = 3,
        lease: float = 30.0,
        backoff: Callable[[int], float] = exponential_backoff,
        poll_interval: float = 0.5,
    ) -> None:
        self.db_path = db_path
        self.handler = handler  # await self.handler(job) does a job's work
        self.workers = workers  # how many jobs run at once
        self.max_attempts = max_attempts  # a job that failed this many times is 'failed'
        self.lease = lease  # seconds a claim lasts: a worker that dies loses its job then
        self.backoff = backoff  # seconds to wait after a failed attempt n: backoff(n)
        self.poll_interval = poll_interval  # an idle worker looks for jobs this often
        self.db: aiosqlite.Connection | None = None
        # TODO: what the workers share: a lock for the connection, a stop signal, the tasks.

    async def open(self) -> None:
        """Connect, and create the table if the file does not have it yet.

        This one is done for you. WAL lets readers and a writer work at once, and with
        synchronous=NORMAL a commit costs microseconds instead of a disk flush
        (kata 31_aiosqlite_transactions).
        """
        self.db = await aiosqlite.connect(self.db_path)
        await self.db.execute("PRAGMA journal_mode=WAL")
        await self.db.execute("PRAGMA synchronous=NORMAL")
        await self.db.executescript(SCHEMA)
        await self.db.commit()

    async def enqueue(self, payload: str) -> int:
        """Store a new job (status 'queued'); return its id. Committed when it returns."""
        # TODO: an INSERT with the payload as a parameter, a commit, the new row's id.
        raise NotImplementedError

    async def claim(self) -> Job | None:
        """Take the oldest ready job, or return None if no job is ready.

        Ready: 'queued' with its run_after passed, or 'running' with its lease_until
        passed (its worker died or hangs). The claim marks the job 'running', adds 1 to
        its attempts and sets lease_until = now + lease, in one transaction: two
        callers never get the same job.
        """
        # TODO: read the oldest ready job and mark it running, as one step.
        raise NotImplementedError

    async def start(self) -> None:
        """Start `workers` worker tasks; return at once."""
        # TODO: start the workers and keep their tasks.
        raise NotImplementedError

    async def _work(self) -> None:
        """One worker: until shutdown begins, claim a job and run it; when no job is
        ready, wait poll_interval and look again."""
        # TODO: the worker's loop.
        raise NotImplementedError

    async def _run(self, job: Job) -> None:
        """Run one job with the handler and record how it went.

        Returned: 'done'. Raised an Exception: back to 'queued' with run_after =
        now + backoff(attempt), or 'failed' after max_attempts; the error in `error`.
        Cancelled: nothing to record — the job stays claimed, and its lease brings it back.
        """
        # TODO: call the handler; write the outcome to the job's row.
        raise NotImplementedError

    async def shutdown(self, grace: float = 5.0) -> None:
        """Stop claiming jobs; give the jobs in flight `grace` seconds to finish; cancel
        the workers still running after that; close the database."""
        # TODO: signal the workers to stop, wait for them, cancel the late ones, close.
        raise NotImplementedError

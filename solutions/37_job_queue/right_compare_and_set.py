"""Kata 37 — accepted variant: no lock and no transaction, a compare-and-set claim: read
a ready job, then `UPDATE ... WHERE id = ? AND attempts = ?` wins it only if no one else
changed it in between (rowcount says so); an idle worker sleeps; shutdown is
asyncio.timeout around gather."""

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
    id: int
    payload: str
    attempt: int


Handler = Callable[[Job], Awaitable[None]]

CANDIDATES = """
SELECT id, payload, status, attempts FROM jobs
WHERE (status = 'queued' AND run_after <= ?) OR (status = 'running' AND lease_until <= ?)
ORDER BY id LIMIT 5
"""


def exponential_backoff(attempt: int, base: float = 0.1) -> float:
    return base * 2 ** (attempt - 1)


class JobQueue:
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
        self.handler = handler
        self.workers = workers
        self.max_attempts = max_attempts
        self.lease = lease
        self.backoff = backoff
        self.poll_interval = poll_interval
        self.db: aiosqlite.Connection | None = None
        self.stopping = asyncio.Event()
        self.tasks: list[asyncio.Task[None]] = []

    async def open(self) -> None:
        # isolation_level=None: autocommit, every statement is its own transaction.
        self.db = await aiosqlite.connect(self.db_path, isolation_level=None)
        await self.db.execute("PRAGMA journal_mode=WAL")
        await self.db.execute("PRAGMA synchronous=NORMAL")
        await self.db.executescript(SCHEMA)

    async def enqueue(self, payload: str) -> int:
        cursor = await self.db.execute("INSERT INTO jobs (payload) VALUES (?)", (payload,))
        return cursor.lastrowid

    async def claim(self) -> Job | None:
        while True:
            now = time.time()
            candidates = await self.db.execute_fetchall(CANDIDATES, (now, now))
            if not candidates:
                return None
            for job_id, payload, status, attempts in candidates:
                # Won only if the row is still as we read it: a claim that got there first
                # has added one to its attempts.
                cursor = await self.db.execute(
                    "UPDATE jobs SET status = 'running', attempts = attempts + 1, lease_until = ? "
                    "WHERE id = ? AND status = ? AND attempts = ?",
                    (now + self.lease, job_id, status, attempts),
                )
                if cursor.rowcount == 1:
                    return Job(job_id, payload, attempts + 1)

    async def start(self) -> None:
        self.tasks = [asyncio.create_task(self._work()) for _ in range(self.workers)]

    async def _work(self) -> None:
        while not self.stopping.is_set():
            job = await self.claim()
            if job is None:
                await asyncio.sleep(self.poll_interval)
            else:
                await self._run(job)

    async def _run(self, job: Job) -> None:
        try:
            await self.handler(job)
        except Exception as error:
            if job.attempt < self.max_attempts:
                status, retry_at = "queued", time.time() + self.backoff(job.attempt)
            else:
                status, retry_at = "failed", 0
            await self.db.execute(
                "UPDATE jobs SET status = ?, run_after = ?, lease_until = NULL, error = ? "
                "WHERE id = ? AND attempts = ?",
                (status, retry_at, repr(error), job.id, job.attempt),
            )
            return
        await self.db.execute(
            "UPDATE jobs SET status = 'done', lease_until = NULL WHERE id = ? AND attempts = ?",
            (job.id, job.attempt),
        )

    async def shutdown(self, grace: float = 5.0) -> None:
        self.stopping.set()
        if self.tasks:
            try:
                async with asyncio.timeout(grace):
                    # At the timeout, the cancelled gather cancels the workers still running.
                    await asyncio.gather(*self.tasks)
            except TimeoutError:
                pass
            await asyncio.wait(self.tasks)  # each has ended before the connection closes
        await self.db.close()

"""Kata 37 — accepted variant: the claim is one `UPDATE ... RETURNING` statement (its
own transaction: no lock, no BEGIN); the workers run in a TaskGroup inside one supervising
task; an outcome is one UPDATE with CASE; shutdown waits with wait_for(shield(...))."""

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

# One statement: SQLite picks the oldest ready job and marks it, with no moment in between
# for another claim to read it (needs SQLite 3.35+ for RETURNING).
CLAIM = """
UPDATE jobs SET status = 'running', attempts = attempts + 1, lease_until = :lease_until
WHERE id = (
    SELECT id FROM jobs
    WHERE (status = 'queued' AND run_after <= :now)
       OR (status = 'running' AND lease_until <= :now)
    ORDER BY id LIMIT 1
)
RETURNING id, payload, attempts
"""

FAILED = """
UPDATE jobs SET
    status = CASE WHEN attempts >= :max_attempts THEN 'failed' ELSE 'queued' END,
    run_after = :retry_at, lease_until = NULL, error = :error
WHERE id = :id AND attempts = :attempt
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
        self.crew: asyncio.Task[None] | None = None  # runs the workers' TaskGroup

    async def open(self) -> None:
        self.db = await aiosqlite.connect(self.db_path)
        await self.db.execute("PRAGMA journal_mode=WAL")
        await self.db.execute("PRAGMA synchronous=NORMAL")
        await self.db.executescript(SCHEMA)
        await self.db.commit()

    async def enqueue(self, payload: str) -> int:
        cursor = await self.db.execute("INSERT INTO jobs (payload) VALUES (?)", (payload,))
        await self.db.commit()
        return cursor.lastrowid

    async def claim(self) -> Job | None:
        now = time.time()
        # execute_fetchall runs and finishes the statement in one call on aiosqlite's thread.
        rows = await self.db.execute_fetchall(CLAIM, {"now": now, "lease_until": now + self.lease})
        await self.db.commit()
        return Job(*rows[0]) if rows else None

    async def start(self) -> None:
        self.crew = asyncio.create_task(self._crew())

    async def _crew(self) -> None:
        async with asyncio.TaskGroup() as group:
            for _ in range(self.workers):
                group.create_task(self._work())

    async def _work(self) -> None:
        while not self.stopping.is_set():
            job = await self.claim()
            if job is not None:
                await self._run(job)
                continue
            try:
                async with asyncio.timeout(self.poll_interval):
                    await self.stopping.wait()
            except TimeoutError:
                pass

    async def _run(self, job: Job) -> None:
        try:
            await self.handler(job)
        except Exception as error:
            await self.db.execute(
                FAILED,
                {
                    "max_attempts": self.max_attempts,
                    "retry_at": time.time() + self.backoff(job.attempt),
                    "error": repr(error),
                    "id": job.id,
                    "attempt": job.attempt,
                },
            )
        else:
            await self.db.execute(
                "UPDATE jobs SET status = 'done', lease_until = NULL WHERE id = ? AND attempts = ?",
                (job.id, job.attempt),
            )
        await self.db.commit()

    async def shutdown(self, grace: float = 5.0) -> None:
        self.stopping.set()
        if self.crew is not None:
            try:  # shield: at the timeout, wait_for cancels the shield, not the crew
                await asyncio.wait_for(asyncio.shield(self.crew), grace)
            except TimeoutError:
                self.crew.cancel()  # the TaskGroup cancels every worker still running
                await asyncio.wait({self.crew})
        await self.db.close()

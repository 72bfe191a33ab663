"""Mistake: the outcome of a job is written but never committed: the connection's
transaction stays open, and the next claim's BEGIN fails and ends the worker."""

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import aiosqlite

MISTAKE = "an earlier write on this connection was never committed"

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

# A job is ready when it waits and its backoff is over, or when it runs but its worker's
# lease has run out (the worker died or hangs): the oldest ready job goes first.
READY = """
SELECT id, payload, attempts FROM jobs
WHERE (status = 'queued' AND run_after <= :now) OR (status = 'running' AND lease_until <= :now)
ORDER BY id LIMIT 1
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
        self.lock = asyncio.Lock()  # one transaction at a time on the shared connection
        self.stopping = asyncio.Event()
        self.tasks: list[asyncio.Task[None]] = []

    async def open(self) -> None:
        self.db = await aiosqlite.connect(self.db_path)
        await self.db.execute("PRAGMA journal_mode=WAL")
        await self.db.execute("PRAGMA synchronous=NORMAL")
        await self.db.executescript(SCHEMA)
        await self.db.commit()

    async def _write(self, sql: str, parameters: tuple | dict) -> int:
        async with self.lock, self.db.execute(sql, parameters) as cursor:
            return cursor.lastrowid  # <- mistake

    async def enqueue(self, payload: str) -> int:
        job_id = await self._write("INSERT INTO jobs (payload) VALUES (?)", (payload,))
        await self.db.commit()
        return job_id

    async def claim(self) -> Job | None:
        now = time.time()
        async with self.lock:
            await self.db.execute("BEGIN IMMEDIATE")  # the write lock, against other connections
            try:
                async with self.db.execute(READY, {"now": now}) as cursor:
                    row = await cursor.fetchone()
                if row is not None:
                    job = Job(row[0], row[1], row[2] + 1)
                    await self.db.execute(
                        "UPDATE jobs SET status = 'running', attempts = ?, lease_until = ? WHERE id = ?",
                        (job.attempt, now + self.lease, job.id),
                    )
                await self.db.commit()
            except BaseException:
                await self.db.rollback()
                raise
        return None if row is None else job

    async def start(self) -> None:
        self.tasks = [
            asyncio.create_task(self._work(), name=f"worker-{n}") for n in range(1, self.workers + 1)
        ]

    async def _work(self) -> None:
        while not self.stopping.is_set():
            job = await self.claim()
            if job is None:
                try:  # nothing ready: look again after poll_interval, or stop
                    await asyncio.wait_for(self.stopping.wait(), self.poll_interval)
                except TimeoutError:
                    pass
                continue
            await self._run(job)

    async def _run(self, job: Job) -> None:
        try:
            await self.handler(job)
        except Exception as error:  # a failed attempt; a cancellation is not one
            if job.attempt >= self.max_attempts:
                await self._write(
                    "UPDATE jobs SET status = 'failed', lease_until = NULL, error = ? "
                    "WHERE id = ? AND attempts = ?",
                    (repr(error), job.id, job.attempt),
                )
            else:
                await self._write(
                    "UPDATE jobs SET status = 'queued', lease_until = NULL, run_after = ?, error = ? "
                    "WHERE id = ? AND attempts = ?",
                    (time.time() + self.backoff(job.attempt), repr(error), job.id, job.attempt),
                )
        else:
            # `attempts = ?`: only while this attempt still holds the job (a lease that ran
            # out has given it to another worker, whose result counts).
            await self._write(
                "UPDATE jobs SET status = 'done', lease_until = NULL WHERE id = ? AND attempts = ?",
                (job.id, job.attempt),
            )

    async def shutdown(self, grace: float = 5.0) -> None:
        self.stopping.set()
        if self.tasks:
            done, cut = await asyncio.wait(self.tasks, timeout=grace)
            for task in cut:
                task.cancel()
            await asyncio.gather(*self.tasks, return_exceptions=True)
        if self.db is not None:
            await self.db.close()

"""Mistake: the jobs wait in an asyncio.Queue, and the table is only a record of them: a
new queue on the same file finds nothing to do, and jobs that were waiting are lost."""

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import aiosqlite

MISTAKE = "The new queue did not find the jobs the first one had left"

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
        self.pending: asyncio.Queue[tuple[int, str, int]] = asyncio.Queue()  # the jobs to run

    async def open(self) -> None:
        self.db = await aiosqlite.connect(self.db_path)
        await self.db.execute("PRAGMA journal_mode=WAL")
        await self.db.execute("PRAGMA synchronous=NORMAL")
        await self.db.executescript(SCHEMA)
        await self.db.commit()

    async def _write(self, sql: str, parameters: tuple | dict) -> int:
        async with self.lock, self.db.execute(sql, parameters) as cursor:
            await self.db.commit()
            return cursor.lastrowid

    async def enqueue(self, payload: str) -> int:
        job_id = await self._write("INSERT INTO jobs (payload) VALUES (?)", (payload,))
        self.pending.put_nowait((job_id, payload, 1))  # <- mistake
        return job_id

    async def claim(self) -> Job | None:
        try:
            job = Job(*self.pending.get_nowait())
        except asyncio.QueueEmpty:
            return None
        await self._write(
            "UPDATE jobs SET status = 'running', attempts = ?, lease_until = ? WHERE id = ?",
            (job.attempt, time.time() + self.lease, job.id),
        )
        return job

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
                    "UPDATE jobs SET status = 'queued', lease_until = NULL, error = ? "
                    "WHERE id = ? AND attempts = ?",
                    (repr(error), job.id, job.attempt),
                )
                retry = (job.id, job.payload, job.attempt + 1)
                asyncio.get_running_loop().call_later(
                    self.backoff(job.attempt), self.pending.put_nowait, retry
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

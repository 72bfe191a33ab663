"""Kata 37 — a job queue (capstone). Run: pytest katas/37_job_queue

Each test is one step, named after what it checks; its docstring says which kata taught
it. Go green in order: the steps build on each other.
"""

import asyncio
import math
import sys
import time
from dataclasses import dataclass

import aiosqlite
import pytest

from harness.judge import Budget, draw_timeline, excepts, expect, fail

POLL = 0.01  # the workers' poll interval in every test: an idle worker looks this often
LONG_LEASE = 5.0  # no lease runs out in the steps that are not about leases
# Step 4, the workload: 12 invoices of 0.05 s each with 6 workers are 2 rounds (0.1 s);
# one at a time they take 0.6 s. The bound is 2x the ideal, and 3x the bound is 0.6 s.
SEND_TIME = 0.05
WORKLOAD = Budget(ideal=2 * SEND_TIME, sequential=12 * SEND_TIME)
# Step 6: the waits the test's backoff asks for after failed attempts 1 and 2. The second
# is 3x the first, so a queue that waits the same time twice is off by 0.1 s, not by 10 ms.
BACKOFF = {1: 0.05, 2: 0.15}
# Steps 7 and 10: a lease long enough for a send, short enough for a test.
SHORT_LEASE = 0.1
GRACE = 0.1  # step 9's grace period
WITHIN = 2.0  # how long a test waits for something that takes a few polls at most


# --- the mail service: the jobs' work --------------------------------------------------------
class InvoiceRejected(Exception):
    """The mail server refused an invoice: a failed attempt."""


@dataclass
class Send:
    """One call of the handler: one attempt at sending one invoice."""

    payload: str
    started: float
    ended: float | None = None
    outcome: str = "in flight"  # sent | failed | cancelled | in flight

    @property
    def label(self) -> str:  # what draw_timeline writes in front of the bar
        return f"{self.payload} {self.outcome}"


class Mailroom:
    """The handler the tests give the queue: `await mailroom(job)` sends job.payload.

    It records every send (start, end, outcome) and how many were in flight at once, and
    does what the test asks: hold every send at a gate, reject the first sends of an
    invoice, or hang on one — as a worker whose process died would: never returning and
    deaf to cancellation — until the test releases it.
    """

    __test__ = False

    def __init__(self, *, latency=0.0, held=False, rejected=None, hung=(), deaf=True):
        self.latency = latency
        self.gate = asyncio.Event()
        if not held:
            self.gate.set()
        self.rejected = rejected or {}  # payload -> how many of its first sends fail
        self.hung = set(hung)  # these invoices' first send hangs
        self.deaf = deaf  # a hung send ignores cancellation
        self.released = asyncio.Event()  # ends the hung sends (the test's cleanup)
        self.sends: list[Send] = []
        self.in_flight = 0
        self.peak = 0
        self.strange_call: str | None = None
        self.clock = time.perf_counter

    async def __call__(self, job) -> None:
        payload = getattr(job, "payload", None)
        if not isinstance(payload, str):
            self.strange_call = f"{job!r}"
            raise TypeError(f"the handler wants a Job, got {job!r}")
        earlier = len(self.of(payload))
        send = Send(payload, self.clock())
        self.sends.append(send)
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            if payload in self.hung and earlier == 0:
                await self._hang()
            await self.gate.wait()
            if self.latency:
                await asyncio.sleep(self.latency)
            if earlier < self.rejected.get(payload, 0):
                send.outcome = "failed"
                raise InvoiceRejected(f"550 mailbox unavailable for {payload}")
            send.outcome = "sent"
        except asyncio.CancelledError:
            send.outcome = "cancelled"
            raise
        finally:
            send.ended = self.clock()
            self.in_flight -= 1

    async def _hang(self) -> None:
        while not self.released.is_set():
            try:
                await self.released.wait()
            except asyncio.CancelledError:
                if not self.deaf:
                    raise
                asyncio.current_task().uncancel()  # a hung call does not hear it

    def of(self, payload: str) -> list[Send]:
        return [send for send in self.sends if send.payload == payload]

    def sent(self, payload: str) -> int:
        return sum(send.outcome == "sent" for send in self.of(payload))

    def timeline(self) -> str:
        return draw_timeline(self.sends[:8]) + (
            f"\n    ... and {len(self.sends) - 8} more" if len(self.sends) > 8 else ""
        )

    def check_calls(self) -> None:
        __tracebackhide__ = True
        if self.strange_call is not None:
            fail(
                f"the queue called the handler with {self.strange_call}; the handler takes "
                "the claimed Job (its .payload is the invoice to send).",
                fix="call `await self.handler(job)` with the Job that claim() returned.",
            )


# --- the database, as the test reads it ------------------------------------------------------
@dataclass(frozen=True)
class Row:
    id: int
    payload: str
    status: str
    attempts: int
    error: str | None
    lease_until: float | None = None


class JobsTable:
    """The test's own connection to the queue's database file: what another process sees."""

    __test__ = False

    def __init__(self, path) -> None:
        self.path = path
        self.db: aiosqlite.Connection | None = None

    async def rows(self) -> list[Row]:
        if self.db is None:
            self.db = await aiosqlite.connect(self.path)
        found = await self.db.execute_fetchall(
            "SELECT id, payload, status, attempts, error, lease_until FROM jobs ORDER BY id"
        )
        return [Row(*row) for row in found]

    async def row(self, payload: str) -> Row | None:
        return next((row for row in await self.rows() if row.payload == payload), None)

    async def wait_until(self, settled, within: float = WITHIN) -> list[Row]:
        """The rows once ``settled(rows)`` holds, or as they are after ``within`` seconds."""
        deadline = time.perf_counter() + within
        rows = await self.rows()
        while not settled(rows) and time.perf_counter() < deadline:
            await asyncio.sleep(0.005)
            rows = await self.rows()
        return rows

    async def close(self) -> None:
        if self.db is not None:
            await self.db.close()


def statuses(rows: list[Row]) -> str:
    return ", ".join(f"{row.payload}: {row.status}" for row in rows)


def all_done(rows: list[Row]) -> bool:
    return bool(rows) and all(row.status == "done" for row in rows)


async def until(condition, within: float = WITHIN) -> bool:
    """Let the loop run until ``condition()`` holds; whether it did within ``within`` s."""
    deadline = time.perf_counter() + within
    while not condition():
        if time.perf_counter() > deadline:
            return False
        await asyncio.sleep(0.002)
    return True


# --- the queues a test opens, shut down after it -----------------------------------------------
class Queues:
    """Opens the learner's JobQueue on this test's database file; after the test, releases
    every hung send and stops every queue the test did not stop itself, quietly, so that
    each step judges its own lesson."""

    __test__ = False

    def __init__(self, kata, kata_file, path) -> None:
        self.kata = kata
        self.kata_file = kata_file
        self.path = str(path)
        self.opened: list = []
        self.stopped: list = []
        self.mailrooms: list[Mailroom] = []
        self.tasks_before = asyncio.all_tasks()
        # Every task started during the test, to tell a worker that died of an error (and
        # stopped taking jobs) from one that never took any.
        self.started: list[asyncio.Task] = []
        self.loop = asyncio.get_running_loop()
        self.factory = self.loop.get_task_factory()
        self.loop.set_task_factory(self._record)

    def _record(self, loop, coro, **options):
        task = (self.factory or asyncio.Task)(coro, loop=loop, **options)
        self.started.append(task)
        return task

    def check_workers(self) -> None:
        """Fail if a task running the learner's code ended with an error of its own."""
        __tracebackhide__ = True
        for task in self.started:
            if not task.done() or task.cancelled() or task.exception() is None:
                continue
            error = task.exception()
            where = self.kata_file.traceback(error.__traceback__)
            if not where:
                continue  # not the learner's code (the test's own tasks report their errors)
            open_transaction = "within a transaction" in str(error)
            fail(
                f"a task of your queue ended with {type(error).__name__}: {error}; a worker "
                "that ends takes no more jobs:",
                fix=(
                    "an earlier write on this connection was never committed, so its "
                    "transaction is still open: `await self.db.commit()` after each write."
                    if open_transaction
                    else "a worker loops until shutdown: only the handler's errors are "
                    "expected (catch Exception around `await self.handler(job)`); fix this one."
                ),
                where=where[-2:],
            )

    async def open(self, mailroom: Mailroom, **options):
        settings = {"workers": 3, "lease": LONG_LEASE, "poll_interval": POLL, **options}
        self.mailrooms.append(mailroom)
        queue = self.kata.JobQueue(self.path, mailroom, **settings)
        self.opened.append(queue)
        await queue.open()
        return queue

    async def shutdown(self, queue, grace: float) -> None:
        self.stopped.append(queue)
        await queue.shutdown(grace=grace)

    def running_tasks(self) -> list[asyncio.Task]:
        current = asyncio.current_task()
        return [t for t in asyncio.all_tasks() - self.tasks_before if t is not current and not t.done()]

    async def close(self) -> None:
        self.loop.set_task_factory(self.factory)
        for mailroom in self.mailrooms:
            mailroom.released.set()
            mailroom.gate.set()
        for queue in reversed(self.opened):
            if queue not in self.stopped:
                try:
                    async with asyncio.timeout(1.0):
                        await queue.shutdown(grace=0.5)
                except Exception:  # noqa: BLE001 - a step that is not about shutdown
                    pass
            db = getattr(queue, "db", None)
            if isinstance(db, aiosqlite.Connection):
                await db.close()
        left = self.running_tasks()
        for task in left:
            task.cancel()
        if left:
            await asyncio.wait(left, timeout=1.0)


@pytest.fixture
async def queues(kata, kata_file, tmp_path):
    made = Queues(kata, kata_file, tmp_path / "jobs.db")
    yield made
    await made.close()


@pytest.fixture
async def table(tmp_path):
    jobs = JobsTable(tmp_path / "jobs.db")
    yield jobs
    await jobs.close()


# --- a queue in a process of its own, for step 10 to kill --------------------------------------
# The child runs the learner's JobQueue on the test's file: it enqueues the invoices, starts
# the workers, and says "sending <payload>" for each send, which never ends. The parent kills it.
CHILD = r"""
import asyncio, importlib.util, sys, traceback

kata_path, db_path, lease, poll, *payloads = sys.argv[1:]
spec = importlib.util.spec_from_file_location("kata_under_test", kata_path)
kata = sys.modules["kata_under_test"] = importlib.util.module_from_spec(spec)


async def send(job):
    print("sending", job.payload, flush=True)
    await asyncio.Event().wait()  # the process is killed in the middle of the send


async def main():
    spec.loader.exec_module(kata)
    queue = kata.JobQueue(db_path, send, workers=2, lease=float(lease), poll_interval=float(poll))
    await queue.open()
    for payload in payloads:
        await queue.enqueue(payload)
    await queue.start()
    await asyncio.Event().wait()


try:
    asyncio.run(main())
except BaseException as error:
    mine = [f for f in traceback.extract_tb(error.__traceback__) if f.filename == kata_path]
    line, function = (mine[-1].lineno, mine[-1].name) if mine else (0, "")
    said = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
    print("error", line, function, said, flush=True)
"""


class DoomedQueue:
    """The learner's queue in a child process, killed mid-work as a crash or a deploy would."""

    __test__ = False

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.error: str | None = None  # what the child's queue raised, if it did
        self.line = 0  # where, in the learner's file
        self.function = ""

    @classmethod
    async def start(cls, kata_file, db_path, payloads: list[str]) -> "DoomedQueue":
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-c", CHILD, str(kata_file), str(db_path), str(SHORT_LEASE),
            str(POLL), *payloads,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
        )
        return cls(process)

    async def kill_while_sending(self, count: int) -> list[str]:
        """Wait until ``count`` sends have started (or WITHIN s), then kill the process."""
        sending: list[str] = []
        try:
            async with asyncio.timeout(WITHIN):
                while len(sending) < count and self.error is None:
                    said = (await self.process.stdout.readline()).decode().strip()
                    if not said:
                        break  # the child ended
                    kind, _, rest = said.partition(" ")
                    if kind == "sending":
                        sending.append(rest)
                    elif kind == "error":
                        line, self.function, self.error = rest.split(" ", 2)
                        self.line = int(line)
        except TimeoutError:
            pass
        finally:
            if self.process.returncode is None:
                self.process.kill()
            await self.process.communicate()
        return sending

    def where(self, kata_file) -> tuple:
        return (kata_file.at(self.line, self.function or None),) if self.line else ()


async def enqueue_all(queue, payloads: list[str]) -> list:
    return [await queue.enqueue(payload) for payload in payloads]


def invoices(count: int, first: int = 1) -> list[str]:
    return [f"invoice-{n}" for n in range(first, first + count)]


# --- the steps ------------------------------------------------------------------------------
async def test_step_1_enqueue_stores_each_job_as_a_queued_row(queues, table):
    """30_aiosqlite_basics: an INSERT with parameters, committed, so that any connection
    (another worker, another process) sees the job."""
    mailroom = Mailroom()
    queue = await queues.open(mailroom)
    payloads = ["invoice-1", "invoice-2", "invoice for O'Brien & Sons"]
    ids = await enqueue_all(queue, payloads)
    rows = await table.rows()
    expect(
        rows,
        f"after {len(payloads)} calls of enqueue, the jobs table is empty as another "
        "connection sees it: a change is invisible to others until it is committed.",
        fix="`await self.db.commit()` after the INSERT.",
    )
    expect(
        [(row.payload, row.status, row.attempts) for row in rows]
        == [(payload, "queued", 0) for payload in payloads],
        f"after enqueue({payloads[0]!r}), ... the jobs table holds "
        f"{[(r.payload, r.status, r.attempts) for r in rows]}; expected each payload once, "
        "in order, with status 'queued' and 0 attempts.",
        fix="`INSERT INTO jobs (payload) VALUES (?)` with the payload as a parameter: the "
        "table's defaults fill in the rest.",
    )
    expect(
        ids == [row.id for row in rows],
        f"enqueue returned {ids}; the new rows' ids are {[row.id for row in rows]}.",
        fix="return the new row's id: `cursor.lastrowid` of the INSERT.",
    )
    expect(not mailroom.sends, "an invoice was sent before start() was called.")


async def test_step_2_ten_claims_at_once_never_get_the_same_job(queues, table):
    """31_aiosqlite_transactions (and 18_locks): reading a queued job and marking it
    running is one step, or two workers read the same job before either has marked it."""
    queue = await queues.open(Mailroom())
    await enqueue_all(queue, invoices(4))
    claims = []
    before = time.time()
    async with aiosqlite.connect(table.path) as other_process:
        # Another connection holds the write lock for a moment, as a busy neighbour would:
        # every claim must wait for it, and all ten are waiting at once when it lets go.
        await other_process.execute("BEGIN IMMEDIATE")
        claims = [asyncio.create_task(queue.claim()) for _ in range(10)]
        await asyncio.sleep(0.1)
        await other_process.commit()
    try:
        async with asyncio.timeout(WITHIN):
            jobs = await asyncio.gather(*claims)
    except TimeoutError:
        fail(f"ten calls of claim() had not returned {WITHIN:g} s after the database was free.")
    claimed = [getattr(job, "id", job) for job in jobs if job is not None]
    twice = sorted({n for n in claimed if claimed.count(n) > 1})
    if twice:
        fail(
            f"ten claims at once handed out jobs {sorted(claimed)}: job {twice[0]} went to "
            f"{claimed.count(twice[0])} callers, so it would be sent {claimed.count(twice[0])} "
            "times. Each read it as queued before any of them had marked it running.",
            fix="make the read and the write one step: `BEGIN IMMEDIATE` before the SELECT, "
            "commit after the UPDATE, and an asyncio.Lock so that coroutines take turns on "
            "the shared connection (or one `UPDATE ... RETURNING` statement).",
        )
    expect(
        sorted(claimed) == [1, 2, 3, 4] and len(jobs) - len(claimed) == 6,
        f"ten claims on a queue of 4 jobs returned {jobs!r}; expected the jobs 1 to 4 once "
        "each, and None for the six callers who found nothing.",
    )
    expect(
        all(job.attempt == 1 and job.payload == f"invoice-{job.id}" for job in jobs if job),
        f"claim() returned {[job for job in jobs if job]!r}; expected Job(id, payload, "
        "attempt=1) for a first attempt.",
    )
    rows = await table.rows()
    expect(
        [(row.status, row.attempts) for row in rows] == [("running", 1)] * 4,
        f"after the claims, the rows say {[(row.status, row.attempts) for row in rows]}; "
        "expected ('running', 1) for each: a claim that is not in the database is lost if "
        "this process dies.",
        fix="in the claim's transaction: `UPDATE jobs SET status = 'running', attempts = "
        "attempts + 1, lease_until = ? WHERE id = ?`, then commit.",
    )
    # The lease is a time another process, or this one after a reboot, must read the same.
    leases = [row.lease_until for row in rows]
    expect(
        all(
            isinstance(lease, int | float) and before - 1 <= lease - LONG_LEASE <= time.time() + 1
            for lease in leases
        ),
        f"the claimed rows' lease_until say {leases}; with lease={LONG_LEASE:g}, expected "
        f"time.time() + {LONG_LEASE:g}, about {before + LONG_LEASE:.1f}. The times in the table "
        "are seconds since the epoch, so that they mean the same to any process and after a "
        "reboot; the event loop's clock and time.monotonic() count from an arbitrary moment.",
        fix="`lease_until = time.time() + self.lease` in the claim (and time.time() for "
        "run_after and now).",
    )


async def test_step_3_each_worker_takes_a_job_so_three_invoices_go_out_at_once(queues, table):
    """15_queues: N workers each take the next job, so N jobs run at once, never more; an
    idle worker polls the table, so a job enqueued later is still picked up."""
    mailroom = Mailroom(held=True)
    queue = await queues.open(mailroom, workers=3)
    await queue.start()
    await asyncio.sleep(3 * POLL)  # the workers find nothing and wait for the next poll
    await enqueue_all(queue, invoices(6))
    await until(lambda: mailroom.in_flight >= 3)
    queues.check_workers()
    await asyncio.sleep(0.05)  # if a fourth send were to start, it would by now
    mailroom.check_calls()
    expect(
        mailroom.peak == 3,
        f"with workers=3 and 6 invoices enqueued, at most {mailroom.peak} were being sent "
        f"at once; expected 3, one per worker"
        + (": each worker takes one job and runs it to the end." if mailroom.peak > 3 else "."),
        fix="start `workers` worker tasks; each loops: claim a job, run it, and when "
        "nothing is ready, sleep poll_interval and look again.",
    )
    mailroom.gate.set()
    rows = await table.wait_until(all_done)
    queues.check_workers()
    expect(
        all_done(rows),
        f"{WITHIN:g} s after the first sends finished, the jobs say: {statuses(rows)}.",
        fix="mark a job done (`status = 'done'`, committed) when its handler returns.",
    )
    expect(mailroom.peak == 3, f"{mailroom.peak} invoices were sent at once with workers=3.")


@pytest.mark.workload
async def test_step_4_twelve_invoices_are_each_sent_exactly_once_in_two_rounds(queues, table):
    """15_queues and 31_aiosqlite_transactions: six workers claim at the same moments, and
    still every job runs exactly once; 12 jobs of 0.05 s take two rounds, not twelve."""
    mailroom = Mailroom(latency=SEND_TIME)
    queue = await queues.open(mailroom, workers=6)
    payloads = invoices(12)
    await enqueue_all(queue, payloads)
    await queue.start()
    rows = await table.wait_until(lambda rows: all_done(rows) and not mailroom.in_flight)
    queues.check_workers()
    mailroom.check_calls()
    twice = [p for p in payloads if mailroom.sent(p) > 1]
    expect(
        not twice,
        f"{twice[0] if twice else ''} was sent {mailroom.sent(twice[0]) if twice else 0} "
        "times: two workers claimed the same job.",
        fix="claim in one transaction (BEGIN IMMEDIATE ... COMMIT, or UPDATE ... RETURNING).",
        evidence=mailroom.timeline(),
    )
    expect(
        all_done(rows) and all(row.attempts == 1 for row in rows),
        f"{WITHIN:g} s after start(), the jobs say: {statuses(rows)}; expected every one "
        "done, at its first attempt.",
        evidence=mailroom.timeline(),
    )
    expect(
        mailroom.peak <= 6,
        f"{mailroom.peak} invoices were sent at once with workers=6.",
        evidence=mailroom.timeline(),
    )
    span = max(s.ended for s in mailroom.sends) - min(s.started for s in mailroom.sends)
    expect(
        span <= WORKLOAD.bound,
        f"12 invoices of {SEND_TIME} s with 6 workers took {span:.2f} s (two rounds ≈ "
        f"{WORKLOAD.ideal:.2f} s; the bound is {WORKLOAD.bound:.2f} s): a worker waited "
        "between jobs.",
        fix="after a job, claim the next one at once; sleep poll_interval only when "
        "nothing was ready.",
        evidence=mailroom.timeline(),
    )


def test_step_5_the_backoff_doubles_after_each_failed_attempt(kata):
    """17_retries: wait base, 2 x base, 4 x base ... after failed attempts 1, 2, 3 ..."""
    got = [kata.exponential_backoff(attempt, base=0.1) for attempt in (1, 2, 3, 4)]
    expect(
        got == pytest.approx([0.1, 0.2, 0.4, 0.8]),
        f"exponential_backoff(attempt, base=0.1) for attempts 1 to 4 gave {got}; expected "
        "[0.1, 0.2, 0.4, 0.8].",
        fix="`return base * 2 ** (attempt - 1)`.",
    )


async def test_step_6_a_failing_invoice_is_retried_after_its_backoff_then_given_up(queues, table):
    """17_retries (and 15_queues): a failed job waits its backoff in the table, then goes
    again; after max_attempts it is marked failed, and the worker goes on to other jobs."""
    asked: list[int] = []

    def backoff(attempt: int) -> float:
        asked.append(attempt)
        return BACKOFF.get(attempt, 0.05)

    rejected = {"invoice-broken": math.inf, "invoice-flaky": 1}
    mailroom = Mailroom(rejected=rejected)
    queue = await queues.open(mailroom, workers=1, max_attempts=3, backoff=backoff)
    await enqueue_all(queue, ["invoice-broken", "invoice-flaky", "invoice-fine"])
    await queue.start()
    rows = await table.wait_until(lambda rows: {r.status for r in rows} <= {"done", "failed"})
    queues.check_workers()
    mailroom.check_calls()
    broken = mailroom.of("invoice-broken")
    expect(
        len(broken) <= 3,
        f"invoice-broken fails every time, and was tried {len(broken)} times with "
        "max_attempts=3: the queue never gave up on it.",
        fix="when attempt max_attempts fails, set the job's status to 'failed' instead of "
        "queueing it again.",
        evidence=mailroom.timeline(),
    )
    expect(
        all(row.status != "queued" and row.status != "running" for row in rows),
        f"{WITHIN:g} s after start(), the jobs say: {statuses(rows)}.",
        fix="after a failed attempt, put the job back ('queued', run_after = now + "
        "backoff(attempt)) or, after the last one, mark it 'failed'; and keep the worker "
        "going: catch the handler's Exception.",
        evidence=mailroom.timeline(),
    )
    for first, second in zip(broken, broken[1:]):
        attempt = broken.index(first) + 1
        waited = second.started - first.ended
        expect(
            waited >= 0.8 * BACKOFF[attempt],
            f"invoice-broken's attempt {attempt + 1} started {waited:.3f} s after attempt "
            f"{attempt} failed; backoff({attempt}) asked for {BACKOFF[attempt]} s. "
            f"(Your queue called backoff with {asked}.)",
            fix="on a failure, keep the job queued until `run_after = time.time() + "
            "self.backoff(job.attempt)`, and claim only jobs whose run_after has passed.",
            evidence=mailroom.timeline(),
        )
    by_payload = {row.payload: row for row in rows}
    expect(
        by_payload["invoice-broken"].status == "failed"
        and by_payload["invoice-broken"].attempts == 3
        and "550" in (by_payload["invoice-broken"].error or ""),
        f"invoice-broken's row says {by_payload['invoice-broken']}; expected status "
        "'failed', 3 attempts, and the last error (it says 550 mailbox unavailable).",
        fix="store the error as text: `repr(error)` in the error column.",
    )
    expect(
        by_payload["invoice-flaky"].status == "done" and mailroom.sent("invoice-flaky") == 1,
        f"invoice-flaky fails once, then goes through; its row says "
        f"{by_payload['invoice-flaky']}, after {len(mailroom.of('invoice-flaky'))} sends.",
    )
    expect(
        by_payload["invoice-fine"].status == "done",
        f"invoice-fine's row says {by_payload['invoice-fine'].status}: one worker, and a "
        "failing job stopped it.",
    )


async def test_step_7_a_job_whose_worker_hangs_is_taken_again_after_its_lease(queues, table):
    """05_timeouts, moved into the database: a claim is a lease. A worker that died or
    hangs never reports back; when its lease runs out, another worker takes the job."""
    mailroom = Mailroom(hung=["invoice-stuck"])
    queue = await queues.open(mailroom, workers=2, lease=SHORT_LEASE)
    await enqueue_all(queue, ["invoice-stuck", "invoice-2"])
    await queue.start()
    taken_again = await until(lambda: len(mailroom.of("invoice-stuck")) >= 2, SHORT_LEASE + WITHIN)
    queues.check_workers()
    mailroom.check_calls()
    stuck = mailroom.of("invoice-stuck")
    expect(
        taken_again,
        f"invoice-stuck's worker hung in the middle of the job (it never returns, and "
        f"ignores cancellation, as a dead process would); {SHORT_LEASE + WITHIN:g} s later, "
        f"with lease={SHORT_LEASE}, no other worker had taken the job.",
        fix="in the claim, set `lease_until = now + self.lease`, and treat a running job "
        "whose lease_until has passed as ready to claim again.",
        evidence=mailroom.timeline(),
    )
    waited = stuck[1].started - stuck[0].started
    expect(
        waited >= SHORT_LEASE / 2,
        f"invoice-stuck was taken again {waited:.3f} s after its first worker started it, "
        f"before its lease of {SHORT_LEASE} s ran out: a job in flight was handed out twice.",
        fix="claim a running job only when its lease_until has passed.",
        evidence=mailroom.timeline(),
    )
    rows = await table.wait_until(all_done)
    queues.check_workers()
    expect(all_done(rows), f"the jobs say: {statuses(rows)}; expected both done.")


async def test_step_8_shutdown_waits_for_the_jobs_in_flight_and_starts_no_new_one(queues, table):
    """34_graceful_shutdown: stop taking jobs, let the ones in flight finish, then close."""
    mailroom = Mailroom(held=True)
    queue = await queues.open(mailroom, workers=3)
    await enqueue_all(queue, invoices(6))
    await queue.start()
    await until(lambda: mailroom.in_flight >= 3)
    queues.check_workers()
    mailroom.check_calls()
    stopping = asyncio.create_task(queues.shutdown(queue, grace=WITHIN))
    await asyncio.sleep(0.05)  # shutdown has begun; the sends in flight are still held
    cancelled = [s.payload for s in mailroom.sends if s.outcome == "cancelled"]
    expect(
        not cancelled,
        f"shutdown cancelled {len(cancelled)} invoices in flight ({', '.join(cancelled)}) "
        f"at once; it had a grace period of {WITHIN:g} s to let them finish.",
        fix="stop the workers from claiming (an asyncio.Event they check before each "
        "claim), then wait for them — asyncio.wait(tasks, timeout=grace) — and cancel only "
        "those still running after the grace period.",
    )
    expect(
        not stopping.done(),
        "shutdown() returned while 3 invoices were still being sent.",
        fix="await the worker tasks (up to the grace period) before closing the database.",
    )
    mailroom.gate.set()
    try:
        async with asyncio.timeout(WITHIN):
            await stopping
    except TimeoutError:
        fail(f"shutdown() had not returned {WITHIN:g} s after the 3 sends in flight finished.")
    queues.check_workers()
    new = len(mailroom.sends) - 3
    expect(
        new == 0,
        f"shutdown() was called while 3 invoices were in flight and 3 waited; it sent "
        f"{new} more before returning: shutting down started new jobs.",
        fix="set the stop event first; a worker checks it before claiming its next job.",
    )
    rows = await table.rows()
    expect(
        [row.status for row in rows] == ["done"] * 3 + ["queued"] * 3,
        f"after shutdown the jobs say: {statuses(rows)}; expected the 3 in flight done "
        "and the 3 others still queued, for the next start.",
        fix="when a handler returns, write 'done' and commit before the worker goes on: "
        "shutdown then closes a connection with nothing left to commit.",
    )
    left = queues.running_tasks()
    expect(
        not left,
        f"after shutdown() returned, {len(left)} task(s) it started were still running "
        f"({', '.join(t.get_name() for t in left)}).",
        fix="await every worker task before shutdown returns.",
    )


async def test_step_9_shutdown_cuts_an_invoice_that_outlives_the_grace_period(
    kata, queues, table
):
    """34_graceful_shutdown and 07_cancellation: after the grace period, cancel what is
    still running. A cancelled job did not fail: it stays in the table for the next run."""
    mailroom = Mailroom(hung=["invoice-slow"], deaf=False)
    queue = await queues.open(mailroom, workers=1)
    await enqueue_all(queue, ["invoice-slow"])
    await queue.start()
    await until(lambda: mailroom.in_flight >= 1)
    queues.check_workers()
    started = time.perf_counter()
    try:
        async with asyncio.timeout(GRACE + WITHIN):
            await queues.shutdown(queue, grace=GRACE)
    except TimeoutError:
        fail(
            f"shutdown(grace={GRACE}) had not returned {GRACE + WITHIN:g} s later: the "
            "invoice still being sent after the grace period was never cut.",
            fix="after `asyncio.wait(tasks, timeout=grace)`, cancel the tasks still "
            "running and await them.",
        )
    took = time.perf_counter() - started
    expect(
        took >= 0.8 * GRACE,
        f"shutdown(grace={GRACE}) cut the invoice in flight after {took:.3f} s; it had "
        f"{GRACE} s to finish.",
        fix="wait up to the grace period before cancelling: asyncio.wait(tasks, timeout=grace).",
    )
    send = mailroom.of("invoice-slow")[0]
    expect(
        send.outcome == "cancelled",
        f"after shutdown(grace={GRACE}) returned, the invoice it had to cut is "
        f"{send.outcome}; expected it cancelled.",
        fix="cancel the worker tasks still running when the grace period is over.",
    )
    row = await table.row("invoice-slow")
    if row is not None and (row.status == "failed" or row.error):
        # The clause that kept the cancellation, not one that rolls back and raises again.
        handler = [
            h for h in excepts(kata) if h.catches(asyncio.CancelledError) and not h.reraises
        ]
        fail(
            f"the invoice cut by shutdown was recorded as a failed attempt: its row says "
            f"status {row.status!r}, error {row.error!r}. A cancellation is not a failure of "
            "the job: it is someone stopping you"
            + (", and this `except` caught it:" if handler else "."),
            fix="catch `Exception` around the handler: asyncio.CancelledError is a "
            "BaseException, so it passes through, and the job stays claimed for the next run.",
            where=(handler[0].where,) if handler else (),
        )
    expect(
        row is not None and row.status in ("running", "queued"),
        f"after the cut, invoice-slow's row says {row}; expected it still 'running' (its "
        "lease will hand it out again) or back to 'queued'.",
    )


async def test_step_10_a_killed_queue_loses_nothing_a_new_one_finishes_every_job(
    kata_file, queues, table
):
    """30_aiosqlite_basics and 31_aiosqlite_transactions: the table is the queue. The test
    kills a queue's process mid-work; a new queue on the same file finishes every job, once."""
    doomed = await DoomedQueue.start(kata_file, table.path, first_jobs := invoices(6))
    sending = await doomed.kill_while_sending(2)
    if len(sending) < 2:
        fail(
            "the test started your queue in a process of its own (workers=2, 6 invoices "
            "enqueued) to kill it mid-work; "
            + (
                f"the queue there raised {doomed.error} after {len(sending)} send(s) had started."
                if doomed.error
                else f"{WITHIN:g} s later it had started {len(sending)} send(s), not 2."
            ),
            fix="make steps 1 to 4 pass first: enqueue, claim, start, and the workers.",
            where=doomed.where(kata_file),
        )
    mailroom = Mailroom()
    second = await queues.open(mailroom, workers=2, lease=SHORT_LEASE)
    await enqueue_all(second, ["invoice-7"])
    await second.start()
    rows = await table.wait_until(all_done, SHORT_LEASE + WITHIN)
    queues.check_workers()
    mailroom.check_calls()
    lost = [row for row in rows if row.status != "done"]
    if lost:
        died_with = [row.payload for row in lost if row.payload in sending]
        left_behind = [
            row.payload for row in lost if row.payload in first_jobs and row.payload not in sending
        ]
        fail(
            f"the test killed the first queue's process while it was sending "
            f"{', '.join(sending)}; {SHORT_LEASE + WITHIN:g} s after a new queue opened the "
            f"same file, the jobs say: {statuses(rows)}."
            + (
                f" {', '.join(died_with)} died with the first queue's workers, and no one "
                "took them when their lease ran out."
                if died_with
                else ""
            )
            + (
                f" The new queue did not find the jobs the first one had left "
                f"({', '.join(left_behind)})."
                if left_behind
                else ""
            ),
            fix="keep every job in the table, not in memory, and claim running jobs whose "
            "lease_until has passed.",
            evidence=mailroom.timeline(),
        )
    counts = {payload: mailroom.sent(payload) for payload in invoices(7)}
    expect(
        all(count == 1 for count in counts.values()),
        f"the new queue sent the invoices {counts} times; expected each exactly once.",
        evidence=mailroom.timeline(),
    )

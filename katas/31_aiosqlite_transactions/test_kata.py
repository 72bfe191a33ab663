"""Kata 31 — transactions. Run: pytest katas/31_aiosqlite_transactions"""

import ast
import asyncio
import re
import sqlite3
from pathlib import Path

import pytest

from harness.judge import expect, fail, stopwatch, wrote

# The bank database (harness/judge/database.py): erin's account is closed.
OPENING = {"alice": 10_000, "bob": 5_000, "carol": 7_500, "dave": 2_500, "erin": 0}
TOTAL = sum(OPENING.values())

# Concurrent transfers start while another connection holds the write lock for HOLD
# seconds (bank_db.writing()): each transfer gets as far as it can — connect, read —
# before anyone may write. A transfer that reads before it holds the lock then reads
# an old balance every time, not only when the timing happens to be unlucky.
HOLD = 0.1
# Four transfers in a ring: every account pays 1000 and gets 1000 back, in whatever
# order they run, and none runs short on the way. (Four, not forty: writers that wait
# for SQLite's lock poll it every few tens of milliseconds, so each one costs time.)
RING = [("alice", "bob", 1000), ("bob", "carol", 1000), ("carol", "dave", 1000), ("dave", "alice", 1000)]
# Four withdrawals of 3000 from alice's 10 000: three go through, one cannot.
WITHDRAWALS = [("alice", payee, 3000) for payee in ("bob", "carol", "dave", "bob")]

MERCHANTS = ["bakery", "bookshop", "cinema", "florist", "grocer", "pharmacy", "taxi"]
PAYMENTS = [(name, MERCHANTS[i % len(MERCHANTS)], 100 + i % 900) for i, name in enumerate(["alice", "bob", "carol", "dave"] * 2500)]
# The batch timing: the test measures what a row-by-row commit costs here (SAMPLE rows,
# before and after your batch, the slower of the two), and allows your 10 000 rows a
# tenth of what 10 000 row-by-row commits would take. The test's connection runs with
# synchronous = OFF, so a commit costs the trip to aiosqlite's thread, not the disk:
# a row-by-row commit is two trips (≈ 100 µs here), an executemany row ≈ 1.5 µs; the
# 10x bound sits 5x above the batch and 10x below row-by-row commits (and 5x below one
# await per row in one transaction).
SAMPLE = 200
FASTER = 10
# A batch that has not finished after DEADLINE (50x what it takes) is cut short: it is
# row by row, and 10 000 rows of that would take seconds.
DEADLINE = 1.0
# A batch is timed again (up to ROUNDS times, the best one counts) only when it lands
# between CLEARLY_FAST and CLEARLY_SLOW times the bound: one stall of a loaded machine
# (seen once in 30 runs with two busy loops: 77 ms for a 15 ms batch) then cannot fail
# a right answer, and a wrong one is not run three times.
ROUNDS = 3
CLEARLY_FAST = 0.5
CLEARLY_SLOW = 3.0

LOCKED_FIX = (
    "start the transaction with `await db.execute(\"BEGIN IMMEDIATE\")`: it takes the write "
    "lock before you read, and waits for it (the connection's timeout, 5 s by default) "
    "while another connection writes. A transaction that reads first and asks for the "
    "lock later cannot wait: SQLite refuses it at once, as that could deadlock."
)
WAIT_FIX = (
    "let the connection wait for the lock: its `timeout` (seconds, 5 by default in "
    "aiosqlite.connect) is how long a writer waits for another writer to finish."
)
ONE_TRANSACTION_FIX = (
    "one transaction for the whole transfer: `BEGIN IMMEDIATE`, read the balance, debit, "
    "credit, record, then commit once; on any error, `await db.rollback()` and `raise`."
)


def cents(amount: int) -> str:
    return f"{amount:,}".replace(",", " ")


def ledger(balances: dict[str, int], expected: dict[str, int]) -> str:
    """Every balance as a learner reads it; one that `expected` knows and that differs is marked."""
    rows = []
    for name, got in balances.items():
        want = expected.get(name, got)
        mark = "" if got == want else f"   ✗ expected {cents(want)}"
        rows.append(f"    {name:<6} {cents(got):>7}{mark}")
    total = sum(balances.values())
    rows.append(f"    {'total':<6} {cents(total):>7}" + ("" if total == TOTAL else f"   ✗ expected {cents(TOTAL)}"))
    return "\n".join(rows)


async def at_once(kata, bank_db, plan: list[tuple[str, str, int]]) -> list[object]:
    """Every transfer of ``plan`` started together while another writer holds the lock;
    what each one returned or raised."""
    path = str(bank_db.path)
    async with bank_db.writing():
        tasks = [asyncio.create_task(kata.transfer(path, *move)) for move in plan]
        await asyncio.sleep(HOLD)
    return await asyncio.gather(*tasks, return_exceptions=True)


def refuse_locked(results: list[object], plan_size: int, kata_file) -> None:
    """No transfer gave up on the write lock."""
    __tracebackhide__ = True
    locked = [r for r in results if isinstance(r, sqlite3.OperationalError) and "locked" in str(r)]
    if not locked:
        return
    immediate = begins_immediate(kata_file)
    fail(
        f"{len(locked)} of {plan_size} transfers that ran at once raised "
        f"sqlite3.OperationalError: {locked[0]}: they gave up on the write lock while "
        "another connection held it"
        + (", though they began IMMEDIATE: they did not wait for it." if immediate else "."),
        fix=WAIT_FIX if immediate else LOCKED_FIX,
    )


def begins_immediate(kata_file) -> bool:
    """Whether the learner's code passes "BEGIN IMMEDIATE" to a call (db.execute(...))."""
    try:
        tree = ast.parse(Path(kata_file.path).read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return False
    return any(
        isinstance(arg, ast.Constant)
        and isinstance(arg.value, str)
        and re.match(r"\s*BEGIN\s+IMMEDIATE", arg.value, re.IGNORECASE)
        for call in ast.walk(tree)
        if isinstance(call, ast.Call)
        for arg in call.args
    )


def raise_unexpected(results: list[object], *, expected: tuple[type, ...] = ()) -> None:
    """An error nobody expected is shown as it is, at the learner's line."""
    for result in results:
        if isinstance(result, BaseException) and not isinstance(result, expected):
            raise result


# --- one transfer -----------------------------------------------------------------------------
async def test_a_transfer_moves_the_money_and_records_it(kata, bank_db):
    """Debit, credit and the transfer's record: all three, committed."""
    await kata.transfer(str(bank_db.path), "alice", "bob", 2500)
    balances = await bank_db.balances()
    expected = {**OPENING, "alice": 7_500, "bob": 7_500}
    expect(
        balances == expected,
        "after transfer(db_path, 'alice', 'bob', 2500), a new connection reads these balances:",
        evidence=ledger(balances, expected),
        fix="debit the payer, credit the payee, and commit: `await db.commit()`.",
    )
    recorded = await bank_db.transfers()
    expect(
        recorded == [("alice", "bob", 2500)],
        f"after transfer(db_path, 'alice', 'bob', 2500), the transfers table holds {recorded}; "
        "expected [('alice', 'bob', 2500)].",
        fix="record it: INSERT INTO transfers (payer, payee, amount_cents) VALUES (?, ?, ?).",
    )


async def test_an_overdraft_raises_insufficient_funds_and_changes_nothing(kata, bank_db):
    """The balance check comes before any money moves."""
    call = "transfer(db_path, 'dave', 'carol', 3000)"
    try:
        await kata.transfer(str(bank_db.path), "dave", "carol", 3000)
    except kata.InsufficientFunds:
        refused = True
    else:
        refused = False
    balances = await bank_db.balances()
    untouched = balances == OPENING and not await bank_db.transfers()
    if not refused and untouched:
        fail(
            f"{call} returned normally and moved no money: dave has 2 500 cents, and the "
            "caller must hear why the transfer did not happen.",
            fix="`raise InsufficientFunds(...)` when the balance is short, and let it reach "
            "the caller (roll back, then `raise`).",
        )
    expect(
        refused,
        f"{call} returned normally; dave has 2 500 cents, so it must raise InsufficientFunds. "
        "The bank reads:",
        evidence=ledger(balances, OPENING),
        fix="read the payer's balance first, and `raise InsufficientFunds(...)` when it is "
        "below the amount.",
    )
    expect(
        untouched,
        f"after {call} was refused, the bank reads:",
        evidence=ledger(balances, OPENING),
        fix=ONE_TRANSACTION_FIX,
    )


async def test_a_transfer_that_fails_midway_leaves_no_trace(kata, bank_db):
    """A transaction is all or nothing: when the credit fails, the debit is rolled back."""
    call = "transfer(db_path, 'alice', 'erin', 1000)"
    try:
        await kata.transfer(str(bank_db.path), "alice", "erin", 1000)  # erin's account is closed
    except NotImplementedError:
        raise
    except Exception:  # noqa: BLE001 - any error will do: it must only reach the caller
        raised = True
    else:
        raised = False
    balances = await bank_db.balances()
    if balances["alice"] != OPENING["alice"]:
        fail(
            f"{call} failed — erin's account is closed, so crediting her raises "
            f"sqlite3.IntegrityError — yet alice lost {cents(OPENING['alice'] - balances['alice'])} "
            "cents: her debit was committed without the credit.",
            evidence=ledger(balances, OPENING),
            fix=ONE_TRANSACTION_FIX,
        )
    recorded = await bank_db.transfers()
    expect(
        not recorded,
        f"{call} failed, yet the transfers table holds {recorded}: part of the transfer was kept.",
        fix=ONE_TRANSACTION_FIX,
    )
    expect(
        raised,
        f"{call} returned normally: erin's account is closed and no money moved, but the "
        "caller was not told.",
        fix="after rolling back, let the error go on: `raise` (or do not catch it at all).",
    )


# --- transfers at the same time ---------------------------------------------------------------------
async def test_money_is_conserved_under_concurrent_transfers(kata, kata_file, bank_db):
    """Each transfer's read and write happen in one transaction that holds the write lock."""
    results = await at_once(kata, bank_db, RING)
    refuse_locked(results, len(RING), kata_file)
    raise_unexpected(results)
    balances = await bank_db.balances()
    total = sum(balances.values())
    if balances != OPENING:
        changed = "" if total == TOTAL else (
            f"; the bank's total went from {cents(TOTAL)} to {cents(total)} cents: money "
            + ("appeared" if total > TOTAL else "vanished")
        )
        fail(
            f"{len(RING)} transfers in a ring (each account pays 1 000 and gets 1 000 back) ran "
            f"at once, and the balances did not end where they began{changed}. A balance "
            "written from a value read before another transfer wrote loses that transfer.",
            evidence=ledger(balances, OPENING),
            fix="do the arithmetic in SQL (`SET balance_cents = balance_cents - ?`) in a "
            "transaction that holds the write lock from the start: `BEGIN IMMEDIATE`.",
        )
    recorded = await bank_db.transfers()
    expect(
        sorted(recorded) == sorted(RING),
        f"{len(RING)} transfers ran, and the transfers table holds {len(recorded)}.",
    )


async def test_concurrent_withdrawals_never_overdraw_an_account(kata, kata_file, bank_db):
    """The balance checked is the balance debited: check it inside the locked transaction."""
    results = await at_once(kata, bank_db, WITHDRAWALS)
    refuse_locked(results, len(WITHDRAWALS), kata_file)
    raise_unexpected(results, expected=(kata.InsufficientFunds,))
    balances = await bank_db.balances()
    went_through = len(await bank_db.transfers())
    ran = f"{len(WITHDRAWALS)} transfers of 3 000 from alice's 10 000 ran at once"
    if balances["alice"] < 0:
        fail(
            f"{ran}, {went_through} went through, and her balance is {cents(balances['alice'])}: "
            "each one checked the balance before any of the others had debited it.",
            evidence=ledger(balances, {"alice": 1_000}),
            fix="check and debit in one transaction that holds the write lock from the start: "
            "`BEGIN IMMEDIATE`, then SELECT the balance, then UPDATE.",
        )
    expect(
        went_through == 3 and balances["alice"] == 1_000 and sum(balances.values()) == TOTAL,
        f"{ran}: {went_through} went through; expected 3. The bank reads:",
        evidence=ledger(balances, {"alice": 1_000}),
        fix=ONE_TRANSACTION_FIX,
    )
    refused = sum(1 for r in results if isinstance(r, kata.InsufficientFunds))
    expect(
        refused == 1,
        f"{ran}: 3 went through, and {refused} raised InsufficientFunds; expected 1: the one "
        "that found too little money must say so.",
        fix="raise InsufficientFunds (after rolling back), and let it reach the caller.",
    )


# --- a batch -------------------------------------------------------------------------------------
async def connection_for_batches(bank_db):
    """The test's connection, as a caller of record_payments owns it: every statement
    traced, commits cheap (synchronous = OFF: the cost is the trip, not the disk)."""
    db = await bank_db.connect()
    await db.execute("PRAGMA synchronous = OFF")
    statements: list[str] = []
    await db.set_trace_callback(statements.append)
    return db, statements


async def record(kata, kata_file, db, payments: list[tuple], *, call: str) -> None:
    """record_payments(db, payments); aiosqlite's `async with db:` is named for what it does."""
    __tracebackhide__ = True
    try:
        await kata.record_payments(db, payments)
    except RuntimeError as error:
        if "threads can only be started once" not in str(error):
            raise
        fail(
            f"{call} raised RuntimeError: {error}: `async with db:` on an aiosqlite connection "
            "that is already open tries to open it again. Unlike sqlite3's `with conn:`, "
            "aiosqlite's `async with` opens and closes a connection: it is not a transaction.",
            where=kata_file.traceback(error.__traceback__),
            fix="on the connection you are given: `await db.executemany(...)`, then "
            "`await db.commit()`; `await db.rollback()` if it fails.",
        )


def commits(statements: list[str]) -> int:
    return sum(1 for s in statements if s.strip().upper().startswith(("COMMIT", "END")))


async def test_a_thousand_payments_go_in_with_one_commit(kata, kata_file, bank_db):
    """executemany inserts the whole batch; one commit keeps it."""
    db, statements = await connection_for_batches(bank_db)
    batch = PAYMENTS[:1000]
    await record(kata, kata_file, db, batch, call="record_payments(db, <1000 payments>)")
    count = await bank_db.count("payments")
    expect(
        count == len(batch),
        f"after record_payments(db, <{len(batch)} payments>), a new connection finds {count} "
        "payments" + ("; the batch was never committed." if count == 0 else "."),
        fix="`await db.executemany(sql, payments)`, then `await db.commit()`.",
    )
    made = commits(statements)
    expect(
        made == 1,
        f"record_payments committed {made} times for {len(batch)} payments; expected once: "
        "one transaction for the whole batch.",
        fix="insert them all with `await db.executemany(sql, payments)`, then commit once.",
    )


async def test_a_batch_with_a_bad_row_keeps_none_of_its_rows(kata, kata_file, bank_db):
    """One transaction: a failure anywhere in the batch rolls all of it back."""
    db, _ = await connection_for_batches(bank_db)
    batch = [*PAYMENTS[:999], ("alice", "kiosk", None)]  # amount_cents is NOT NULL
    call = "record_payments(db, <999 payments, then one with no amount>)"
    try:
        await record(kata, kata_file, db, batch, call=call)
    except sqlite3.Error:
        raised = True
    else:
        raised = False
    count = await bank_db.count("payments")
    expect(
        count == 0,
        f"after {call}, a new connection finds {count} payments; expected none: the batch "
        "failed, so none of it is kept.",
        fix="one transaction for the batch, committed once at the end: no commit between rows.",
    )
    expect(
        raised,
        f"{call} returned normally; the last payment has no amount, so the INSERT raises "
        "sqlite3.IntegrityError, which must reach the caller.",
        fix="roll back, then let the error go on: `raise`.",
    )
    expect(
        not db.in_transaction,
        f"after {call} failed, the connection was left in an open transaction holding the "
        "999 good rows: the caller's next commit would save part of a failed batch.",
        fix="on failure, `await db.rollback()` before the error goes on.",
    )


@pytest.mark.workload
async def test_a_batch_of_ten_thousand_is_ten_times_faster_than_row_by_row_commits(
    kata, kata_file, bank_db
):
    """One executemany and one commit: ten thousand rows in one trip to the database."""
    db, statements = await connection_for_batches(bank_db)
    await db.execute("CREATE TABLE row_by_row (account TEXT, merchant TEXT, amount_cents INTEGER)")
    await db.commit()

    async def row_by_row_seconds() -> float:
        """What 10 000 row-by-row commits would take here, from SAMPLE of them."""
        with stopwatch() as watch:
            for payment in PAYMENTS[:SAMPLE]:
                await db.execute("INSERT INTO row_by_row VALUES (?, ?, ?)", payment)
                await db.commit()
        return watch.elapsed * len(PAYMENTS) / SAMPLE

    before = await row_by_row_seconds()
    batches: list[tuple[float, list[str]]] = []  # each batch: seconds, statements; the best counts
    for _ in range(ROUNDS):
        statements.clear()
        with stopwatch() as watch:
            try:
                async with asyncio.timeout(DEADLINE):
                    await record(kata, kata_file, db, PAYMENTS, call=f"record_payments(db, <{len(PAYMENTS)} payments>)")
            except TimeoutError:
                slow_batch(kata, statements, seconds=None, row_by_row=before)
        batches.append((watch.elapsed, list(statements)))
        made = commits(statements)
        expect(made == 1, f"record_payments committed {made} times for {len(PAYMENTS)} payments; expected once.")
        if not CLEARLY_FAST * before / FASTER < watch.elapsed < CLEARLY_SLOW * before / FASTER:
            break  # far from the bound either way: once is enough
    row_by_row = max(before, await row_by_row_seconds())
    best, its_statements = min(batches)
    if best > row_by_row / FASTER:
        slow_batch(kata, its_statements, seconds=best, row_by_row=row_by_row)
    count = await bank_db.count("payments")
    expected = len(PAYMENTS) * len(batches)
    expect(count == expected, f"after {len(batches)} record_payments of {len(PAYMENTS)}, a new connection finds {count} payments; expected {expected}.")


def slow_batch(kata, statements: list[str], *, seconds: float | None, row_by_row: float) -> None:
    """Fail: the batch took (or would take) more than a tenth of row-by-row commits."""
    __tracebackhide__ = True
    made = commits(statements)
    inserted = sum(1 for s in statements if s.lstrip().upper().startswith("INSERT"))
    took = f"took {seconds:.2f} s" if seconds is not None else f"had not finished after {DEADLINE:g} s"
    if made > 1:
        why = f"it committed {made} times" + ("" if seconds is not None else f" for the {inserted} rows so far")
        fix = "insert them all with `await db.executemany(sql, payments)`, then commit once."
    else:
        why = "one `await` per row is one trip to aiosqlite's thread each"
        fix = (
            "`await db.executemany(sql, payments)` sends every row in one trip."
            if not wrote(kata, "executemany")
            else "send every row in one `await db.executemany(sql, payments)`, then commit once."
        )
    fail(
        f"record_payments(db, <{len(PAYMENTS)} payments>) {took}: {why}. Row-by-row commits "
        f"take ≈ {row_by_row:.2f} s here, and a batch should be at least {FASTER}x faster "
        f"(≤ {row_by_row / FASTER:.2f} s).",
        fix=fix,
    )

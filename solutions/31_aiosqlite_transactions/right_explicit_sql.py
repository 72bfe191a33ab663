"""Accepted: the transaction spelled out in SQL on an autocommit connection
(`isolation_level=None`): BEGIN IMMEDIATE, COMMIT and ROLLBACK as statements, the
balance read with `execute_fetchall`, and an explicit busy timeout."""

import aiosqlite


class InsufficientFunds(Exception):
    """The payer's balance is below the amount of the transfer."""


async def transfer(db_path: str, payer: str, payee: str, amount_cents: int) -> None:
    async with aiosqlite.connect(db_path, isolation_level=None, timeout=10) as db:
        await db.execute("BEGIN IMMEDIATE")
        try:
            rows = await db.execute_fetchall("SELECT balance_cents FROM accounts WHERE name = ?", (payer,))
            if not rows or rows[0][0] < amount_cents:
                raise InsufficientFunds(payer)
            await db.execute(
                "UPDATE accounts SET balance_cents = balance_cents - ? WHERE name = ?", (amount_cents, payer)
            )
            await db.execute(
                "UPDATE accounts SET balance_cents = balance_cents + ? WHERE name = ?", (amount_cents, payee)
            )
            await db.execute(
                "INSERT INTO transfers (payer, payee, amount_cents) VALUES (?, ?, ?)",
                (payer, payee, amount_cents),
            )
            await db.execute("COMMIT")
        except BaseException:
            await db.execute("ROLLBACK")
            raise


async def record_payments(db: aiosqlite.Connection, payments: list[tuple[str, str, int]]) -> None:
    await db.execute("BEGIN")
    try:
        await db.executemany("INSERT INTO payments (account, merchant, amount_cents) VALUES (?, ?, ?)", payments)
    except BaseException:
        await db.execute("ROLLBACK")
        raise
    await db.execute("COMMIT")

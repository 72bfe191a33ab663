"""Mistake: one transaction, but one `await db.execute(...)` per row: each is a trip to\naiosqlite's thread, and ten thousand trips take about as long as row-by-row commits."""

import aiosqlite

MISTAKE = "one `await` per row is one trip to aiosqlite's thread each"


class InsufficientFunds(Exception):
    """The payer's balance is below the amount of the transfer."""


async def transfer(db_path: str, payer: str, payee: str, amount_cents: int) -> None:
    async with aiosqlite.connect(db_path) as db:
        # Take the write lock before reading: other writers wait here (the busy
        # timeout), and the balance read below stays true until the commit.
        await db.execute("BEGIN IMMEDIATE")
        try:
            async with db.execute(
                "SELECT balance_cents FROM accounts WHERE name = ?", (payer,)
            ) as cursor:
                row = await cursor.fetchone()
            balance = row[0] if row is not None else 0
            if balance < amount_cents:
                raise InsufficientFunds(f"{payer} has {balance} cents, the transfer needs {amount_cents}")
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
            await db.commit()
        except BaseException:
            await db.rollback()
            raise


async def record_payments(db: aiosqlite.Connection, payments: list[tuple[str, str, int]]) -> None:
    try:
        for payment in payments:
            await db.execute(  # <- mistake
                "INSERT INTO payments (account, merchant, amount_cents) VALUES (?, ?, ?)", payment
            )
        await db.commit()
    except BaseException:
        await db.rollback()
        raise

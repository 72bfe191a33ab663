"""Mistake: rolling back and returning quietly: nothing of the failed transfer remains,\nbut the caller believes the money was sent."""

import aiosqlite

MISTAKE = "returned normally: erin's account is closed"


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
        except Exception:
            await db.rollback()
            return  # <- mistake


async def record_payments(db: aiosqlite.Connection, payments: list[tuple[str, str, int]]) -> None:
    try:
        await db.executemany(
            "INSERT INTO payments (account, merchant, amount_cents) VALUES (?, ?, ?)", payments
        )
        await db.commit()
    except BaseException:
        await db.rollback()
        raise

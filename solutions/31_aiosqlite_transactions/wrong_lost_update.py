"""Mistake: reading both balances, computing the new ones in Python and writing them\nback, with no lock taken before the read: a transfer that wrote in between is lost."""

import aiosqlite

MISTAKE = 'ran at once, and the balances did not end where they began'


class InsufficientFunds(Exception):
    """The payer's balance is below the amount of the transfer."""


async def transfer(db_path: str, payer: str, payee: str, amount_cents: int) -> None:
    async with aiosqlite.connect(db_path) as db:
        try:
            async with db.execute("SELECT balance_cents FROM accounts WHERE name = ?", (payer,)) as cursor:
                (paying,) = await cursor.fetchone()
            async with db.execute("SELECT balance_cents FROM accounts WHERE name = ?", (payee,)) as cursor:
                (receiving,) = await cursor.fetchone()
            if paying < amount_cents:
                raise InsufficientFunds(f"{payer} has {paying} cents, the transfer needs {amount_cents}")
            await db.execute(
                "UPDATE accounts SET balance_cents = ? WHERE name = ?", (paying - amount_cents, payer)  # <- mistake
            )
            await db.execute(
                "UPDATE accounts SET balance_cents = ? WHERE name = ?", (receiving + amount_cents, payee)
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
        await db.executemany(
            "INSERT INTO payments (account, merchant, amount_cents) VALUES (?, ?, ?)", payments
        )
        await db.commit()
    except BaseException:
        await db.rollback()
        raise

"""Accepted: no SELECT at all: the debit is a conditional UPDATE (`... AND balance_cents
>= ?`) whose rowcount says whether the money was there. Its transaction starts at that
first write, which waits for the write lock, so no read can go stale. The batch goes
in as a generator, committed after the executemany."""

import aiosqlite

INSERT_PAYMENT = "INSERT INTO payments (account, merchant, amount_cents) VALUES (?, ?, ?)"


class InsufficientFunds(Exception):
    """The payer's balance is below the amount of the transfer."""


async def transfer(db_path: str, payer: str, payee: str, amount_cents: int) -> None:
    async with aiosqlite.connect(db_path) as db:
        try:
            debit = await db.execute(
                "UPDATE accounts SET balance_cents = balance_cents - ? "
                "WHERE name = ? AND balance_cents >= ?",
                (amount_cents, payer, amount_cents),
            )
            if debit.rowcount != 1:
                raise InsufficientFunds(f"{payer} cannot pay {amount_cents} cents")
            await db.execute(
                "UPDATE accounts SET balance_cents = balance_cents + ? WHERE name = ?", (amount_cents, payee)
            )
            await db.execute(
                "INSERT INTO transfers (payer, payee, amount_cents) VALUES (?, ?, ?)",
                (payer, payee, amount_cents),
            )
        except Exception:
            await db.rollback()
            raise
        await db.commit()


async def record_payments(db: aiosqlite.Connection, payments: list[tuple[str, str, int]]) -> None:
    rows = ((account, merchant, amount) for account, merchant, amount in payments)
    try:
        await db.executemany(INSERT_PAYMENT, rows)
    except Exception:
        await db.rollback()
        raise
    await db.commit()

"""Kata 31 — transactions: a transfer is all or nothing (BEGIN ... COMMIT, or ROLLBACK);
concurrent writers take turns on SQLite's one write lock (BEGIN IMMEDIATE and the busy
timeout); and a batch goes in with one executemany and one commit, not 10 000.

Edit this file until `pytest katas/31_aiosqlite_transactions` is green.
"""

import aiosqlite

# The bank's tables (made for you in each test's database file, in WAL mode):
#   accounts  (name TEXT PRIMARY KEY, balance_cents INTEGER, closed INTEGER)
#             a closed account's balance cannot change: the UPDATE raises sqlite3.IntegrityError
#   transfers (id INTEGER PRIMARY KEY, payer TEXT, payee TEXT, amount_cents INTEGER)
#   payments  (id INTEGER PRIMARY KEY, account TEXT, merchant TEXT, amount_cents INTEGER NOT NULL)


class InsufficientFunds(Exception):
    """The payer's balance is below the amount of the transfer."""


async def transfer(db_path: str, payer: str, payee: str, amount_cents: int) -> None:
    """Move amount_cents from payer to payee, and record it in `transfers`: all of it,
    or none of it.

    - If the payer's balance is below the amount, raise InsufficientFunds; nothing changes.
    - If anything fails on the way (the payee's account is closed), nothing of the
      transfer remains, and the error reaches the caller.
    - Other transfers run at the same time, each on its own connection: the balance you
      check must still be the balance when you debit it.
    """
    # TODO: one transaction on a connection of your own: BEGIN IMMEDIATE, check the
    # balance, debit, credit, record, commit — and roll back if anything fails.
    raise NotImplementedError


async def record_payments(db: aiosqlite.Connection, payments: list[tuple[str, str, int]]) -> None:
    """Insert every (account, merchant, amount_cents) into `payments` on the connection
    given: in one batch and one transaction, committed once. If any row fails, none of
    them is kept, the connection is left with no transaction open, and the error reaches
    the caller.
    """
    # TODO: executemany, commit; roll back on failure.
    raise NotImplementedError

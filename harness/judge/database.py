"""Seeded databases for the katas, one per test in tmp_path: a shop (products, orders)
and a bank (accounts, transfers, payments).

Each fixture yields a :class:`Database`: the file's path for the learner's code, and what
the tests read back with connections of their own — rows, row counts, and another
writer that holds the write lock (``writing()``) while the learner's code runs.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiosqlite
import pytest

SCHEMA = """
CREATE TABLE products (id INTEGER PRIMARY KEY, name TEXT NOT NULL, price_cents INTEGER NOT NULL);
CREATE TABLE orders (
    id INTEGER PRIMARY KEY,
    customer TEXT NOT NULL,
    product_id INTEGER NOT NULL REFERENCES products(id),
    quantity INTEGER NOT NULL
);
"""
PRODUCTS = [
    (1, "espresso beans", 1299),
    (2, "oat milk", 349),
    (3, "croissant", 275),
    (4, "pour-over kettle", 4500),
    (5, "ceramic mug", 1150),
]
ORDERS = [
    (1, "ana", 1, 2),
    (2, "bo", 3, 6),
    (3, "ana", 5, 1),
    (4, "cy", 2, 3),
    (5, "bo", 1, 1),
    (6, "dee", 4, 1),
]

# The bank: money moves between accounts in transfers; card payments are recorded in bulk.
# A closed account takes no money in or out: the trigger aborts the statement (an
# sqlite3.IntegrityError), which is how a transfer can fail half-way through.
BANK_SCHEMA = """
CREATE TABLE accounts (
    name TEXT PRIMARY KEY,
    balance_cents INTEGER NOT NULL,
    closed INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE transfers (
    id INTEGER PRIMARY KEY,
    payer TEXT NOT NULL REFERENCES accounts(name),
    payee TEXT NOT NULL REFERENCES accounts(name),
    amount_cents INTEGER NOT NULL
);
CREATE TABLE payments (
    id INTEGER PRIMARY KEY,
    account TEXT NOT NULL,
    merchant TEXT NOT NULL,
    amount_cents INTEGER NOT NULL
);
CREATE TRIGGER closed_accounts_move_no_money BEFORE UPDATE OF balance_cents ON accounts
WHEN OLD.closed BEGIN SELECT RAISE(ABORT, 'the account is closed'); END;
"""
ACCOUNTS = [
    ("alice", 10_000, 0),
    ("bob", 5_000, 0),
    ("carol", 7_500, 0),
    ("dave", 2_500, 0),
    ("erin", 0, 1),  # closed
]


@dataclass
class Database:
    """A seeded database file; connections made with :meth:`connect` close on teardown."""

    __test__ = False

    path: Path
    _open: list[aiosqlite.Connection] = field(default_factory=list)

    async def connect(self, **kwargs: Any) -> aiosqlite.Connection:
        connection = await aiosqlite.connect(self.path, **kwargs)
        self._open.append(connection)
        return connection

    async def close(self) -> None:
        while self._open:
            await self._open.pop().close()

    async def rows(self, sql: str, parameters: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """What a fresh connection reads now: only what has been committed."""
        async with aiosqlite.connect(self.path) as db:
            return [tuple(row) for row in await db.execute_fetchall(sql, parameters)]

    async def count(self, table: str) -> int:
        (found,) = await self.rows(f"SELECT count(*) FROM {table}")  # a name of ours, never input
        return int(found[0])

    async def tables(self) -> list[str]:
        return [name for (name,) in await self.rows("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]

    @asynccontextmanager
    async def writing(self) -> AsyncIterator[None]:
        """Another writer, for the block: a connection of its own holds the write lock
        (BEGIN IMMEDIATE), so every other writer waits; readers go on (WAL). It writes
        nothing and rolls back."""
        writer = await self.connect(isolation_level=None)
        await writer.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            await writer.execute("ROLLBACK")


class ShopDB(Database):
    """The shop: products and orders."""

    __test__ = False


class BankDB(Database):
    """The bank: accounts, transfers between them, card payments."""

    __test__ = False

    async def balances(self) -> dict[str, int]:
        return dict(await self.rows("SELECT name, balance_cents FROM accounts ORDER BY name"))

    async def transfers(self) -> list[tuple[str, str, int]]:
        return await self.rows("SELECT payer, payee, amount_cents FROM transfers ORDER BY id")


async def create(path: Path) -> ShopDB:
    async with aiosqlite.connect(path) as db:
        await db.executescript(SCHEMA)
        await db.executemany("INSERT INTO products VALUES (?, ?, ?)", PRODUCTS)
        await db.executemany("INSERT INTO orders VALUES (?, ?, ?, ?)", ORDERS)
        await db.commit()
    return ShopDB(path)


async def create_bank(path: Path) -> BankDB:
    async with aiosqlite.connect(path) as db:
        # WAL (kept in the file): readers never wait for the writer, and one writer at a time.
        await db.execute("PRAGMA journal_mode = WAL")
        await db.executescript(BANK_SCHEMA)
        await db.executemany("INSERT INTO accounts VALUES (?, ?, ?)", ACCOUNTS)
        await db.commit()
    return BankDB(path)


@pytest.fixture
async def shop_db(tmp_path: Path) -> AsyncIterator[ShopDB]:
    """A fresh shop database in this test's temporary directory."""
    db = await create(tmp_path / "shop.db")
    yield db
    await db.close()


@pytest.fixture
async def bank_db(tmp_path: Path) -> AsyncIterator[BankDB]:
    """A fresh bank database (WAL mode) in this test's temporary directory."""
    db = await create_bank(tmp_path / "bank.db")
    yield db
    await db.close()

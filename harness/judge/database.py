"""A small shop database (products, orders) for the katas, one per test in tmp_path."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

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


@dataclass
class ShopDB:
    """A seeded database file; connections made with :meth:`connect` close on teardown."""

    __test__ = False

    path: Path
    _open: list[aiosqlite.Connection] = field(default_factory=list)

    async def connect(self) -> aiosqlite.Connection:
        connection = await aiosqlite.connect(self.path)
        self._open.append(connection)
        return connection

    async def close(self) -> None:
        while self._open:
            await self._open.pop().close()


async def create(path: Path) -> ShopDB:
    async with aiosqlite.connect(path) as db:
        await db.executescript(SCHEMA)
        await db.executemany("INSERT INTO products VALUES (?, ?, ?)", PRODUCTS)
        await db.executemany("INSERT INTO orders VALUES (?, ?, ?, ?)", ORDERS)
        await db.commit()
    return ShopDB(path)


@pytest.fixture
async def shop_db(tmp_path: Path) -> AsyncIterator[ShopDB]:
    """A fresh shop database in this test's temporary directory."""
    db = await create(tmp_path / "shop.db")
    yield db
    await db.close()

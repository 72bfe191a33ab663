"""Accepted: named parameters (`:name`) with a dict, the standard library's sqlite3.Row
as the row factory (aiosqlite.Row is the same class), and aiosqlite's shortcuts
`execute_fetchall` and `execute_insert`."""

import sqlite3

import aiosqlite

ORDERS_OF_CUSTOMER = """
    SELECT products.name AS product,
           orders.quantity AS quantity,
           orders.quantity * products.price_cents AS total_cents
    FROM orders JOIN products ON products.id = orders.product_id
    WHERE orders.customer = ?
    ORDER BY orders.id
"""


async def find_product(db_path: str, name: str) -> dict | None:
    async with aiosqlite.connect(db_path) as db:
        db.row_factory = sqlite3.Row
        rows = await db.execute_fetchall(
            "SELECT id, name, price_cents FROM products WHERE name = :name LIMIT 1", {"name": name}
        )
    return {key: rows[0][key] for key in rows[0].keys()} if rows else None


async def add_product(db_path: str, name: str, price_cents: int) -> int:
    async with aiosqlite.connect(db_path) as db:
        (new_id,) = await db.execute_insert(
            "INSERT INTO products (name, price_cents) VALUES (:name, :price)",
            {"name": name, "price": price_cents},
        )
        await db.commit()
    return new_id


async def orders_of(db_path: str, customer: str) -> list[dict]:
    async with aiosqlite.connect(db_path) as db:
        db.row_factory = sqlite3.Row
        rows = await db.execute_fetchall(ORDERS_OF_CUSTOMER, [customer])
    return [dict(row) for row in rows]

"""Kata 30 — reference solution."""

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
        db.row_factory = aiosqlite.Row
        async with db.execute(
            "SELECT id, name, price_cents FROM products WHERE name = ?", (name,)
        ) as cursor:
            row = await cursor.fetchone()
    return dict(row) if row is not None else None


async def add_product(db_path: str, name: str, price_cents: int) -> int:
    async with aiosqlite.connect(db_path) as db:
        cursor = await db.execute(
            "INSERT INTO products (name, price_cents) VALUES (?, ?)", (name, price_cents)
        )
        await db.commit()
        return cursor.lastrowid


async def orders_of(db_path: str, customer: str) -> list[dict]:
    async with aiosqlite.connect(db_path) as db:
        db.row_factory = aiosqlite.Row
        async with db.execute(ORDERS_OF_CUSTOMER, (customer,)) as cursor:
            return [dict(row) for row in await cursor.fetchall()]

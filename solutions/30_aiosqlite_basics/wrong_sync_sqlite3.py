"""Mistake: the standard library's sqlite3 inside `async def`: every query blocks the
event loop while it runs."""

import sqlite3

MISTAKE = ("the event loop was blocked by sqlite3", "use aiosqlite", "wrong_sync_sqlite3.py:{line}")

ORDERS_OF_CUSTOMER = """
    SELECT products.name AS product,
           orders.quantity AS quantity,
           orders.quantity * products.price_cents AS total_cents
    FROM orders JOIN products ON products.id = orders.product_id
    WHERE orders.customer = ?
    ORDER BY orders.id
"""


async def find_product(db_path: str, name: str) -> dict | None:
    with sqlite3.connect(db_path) as db:
        db.row_factory = sqlite3.Row
        row = db.execute(  # <- mistake
            "SELECT id, name, price_cents FROM products WHERE name = ?", (name,)
        ).fetchone()
    return dict(row) if row is not None else None


async def add_product(db_path: str, name: str, price_cents: int) -> int:
    with sqlite3.connect(db_path) as db:
        cursor = db.execute("INSERT INTO products (name, price_cents) VALUES (?, ?)", (name, price_cents))
        return cursor.lastrowid


async def orders_of(db_path: str, customer: str) -> list[dict]:
    with sqlite3.connect(db_path) as db:
        db.row_factory = sqlite3.Row
        return [dict(row) for row in db.execute(ORDERS_OF_CUSTOMER, (customer,))]

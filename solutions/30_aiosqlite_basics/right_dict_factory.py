"""Accepted: the docs' own dict row factory (built from `cursor.description`), a
connection opened and closed by hand in try/finally, and `async for` over the cursor."""

import aiosqlite

ORDERS_OF_CUSTOMER = """
    SELECT products.name AS product,
           orders.quantity AS quantity,
           orders.quantity * products.price_cents AS total_cents
    FROM orders JOIN products ON products.id = orders.product_id
    WHERE orders.customer = ?
    ORDER BY orders.id
"""


def dict_factory(cursor, row) -> dict:
    columns = [column[0] for column in cursor.description]
    return dict(zip(columns, row))


async def find_product(db_path: str, name: str) -> dict | None:
    db = await aiosqlite.connect(db_path)
    try:
        db.row_factory = dict_factory
        cursor = await db.execute("SELECT * FROM products WHERE name = ?", [name])
        return await cursor.fetchone()
    finally:
        await db.close()


async def add_product(db_path: str, name: str, price_cents: int) -> int:
    db = await aiosqlite.connect(db_path)
    try:
        cursor = await db.execute(
            "INSERT INTO products (price_cents, name) VALUES (?, ?)", (price_cents, name)
        )
        await db.commit()
        return cursor.lastrowid
    finally:
        await db.close()


async def orders_of(db_path: str, customer: str) -> list[dict]:
    db = await aiosqlite.connect(db_path)
    try:
        db.row_factory = dict_factory
        orders = []
        async with db.execute(ORDERS_OF_CUSTOMER, (customer,)) as cursor:
            async for row in cursor:
                orders.append(row)
        return orders
    finally:
        await db.close()

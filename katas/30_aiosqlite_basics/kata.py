"""Kata 30 — aiosqlite basics: SQLite through aiosqlite runs in a thread of its own, so
queries never block the event loop; values travel as parameters (`?`), never pasted
into the SQL; a change is kept only once committed; a row factory names the columns.

Edit this file until `pytest katas/30_aiosqlite_basics` is green.
"""

import aiosqlite

# The shop's tables (made for you in each test's database file):
#   products (id INTEGER PRIMARY KEY, name TEXT, price_cents INTEGER)
#   orders   (id INTEGER PRIMARY KEY, customer TEXT, product_id INTEGER, quantity INTEGER)

ORDERS_OF_CUSTOMER = """
    SELECT products.name AS product,
           orders.quantity AS quantity,
           orders.quantity * products.price_cents AS total_cents
    FROM orders JOIN products ON products.id = orders.product_id
    WHERE orders.customer = ?
    ORDER BY orders.id
"""


async def find_product(db_path: str, name: str) -> dict | None:
    """The product called `name`, or None if the shop has none.

    find_product(path, "oat milk") -> {"id": 2, "name": "oat milk", "price_cents": 349}
    """
    # TODO: open the database with aiosqlite, select the product by name (a `?`
    # parameter), and return the row by column name.
    raise NotImplementedError


async def add_product(db_path: str, name: str, price_cents: int) -> int:
    """Add a product to the shop and return its new id. Any name is just a name, stored
    exactly as given; and the product must still be there for the next connection.
    """
    # TODO: insert the product (parameters, not an f-string), commit, return its id.
    raise NotImplementedError


async def orders_of(db_path: str, customer: str) -> list[dict]:
    """The customer's orders, oldest first, each with its product's name and total:

    orders_of(path, "ana") -> [{"product": "espresso beans", "quantity": 2, "total_cents": 2598}, ...]
    """
    # TODO: run ORDERS_OF_CUSTOMER for this customer; each row as a dict by column name.
    raise NotImplementedError

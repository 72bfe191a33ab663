"""Kata 30 — aiosqlite basics. Run: pytest katas/30_aiosqlite_basics"""

import gc
import sqlite3
import warnings
from collections.abc import Mapping

from harness.judge import assert_result, expect, fail

# The shop database (harness/judge/database.py): five products, six orders.
OAT_MILK = {"id": 2, "name": "oat milk", "price_cents": 349}
ANAS_ORDERS = [
    {"product": "espresso beans", "quantity": 2, "total_cents": 2598},
    {"product": "ceramic mug", "quantity": 1, "total_cents": 1150},
]
NEXT_ID = 6
SNEAKY_FIND = "nobody' OR '1'='1"
SNEAKY_ADD = "Robert'); DROP TABLE orders; --"

ROW_FIX = (
    "set `db.row_factory = aiosqlite.Row` before the query, and return `dict(row)`: its "
    "keys are the column names."
)
PARAMETER_FIX = (
    "never build SQL from a value: write a `?` where the value goes and pass the values "
    "apart, `await db.execute(\"... WHERE name = ?\", (name,))`. SQLite then reads the "
    "value as a value, whatever characters it holds."
)


def named(row: object) -> object:
    """A row read by column name (a dict, an aiosqlite.Row) as a dict; anything else as is."""
    if isinstance(row, Mapping | sqlite3.Row):
        return dict(row)
    return row


def check_rows(got: object, expected: object, *, call: str) -> None:
    """got is expected, row by row; rows may be any mapping of column names (sqlite3.Row too)."""
    __tracebackhide__ = True
    rows = [named(row) for row in got] if isinstance(got, list) else named(got)
    if rows == expected:
        return
    as_tuples = (
        [tuple(row.values()) for row in expected] if isinstance(expected, list) else tuple(expected.values())
    )
    plain = [tuple(r) if isinstance(r, tuple) else r for r in rows] if isinstance(rows, list) else rows
    if plain == as_tuples:
        fail(
            f"{call} returned {got!r}: rows as plain tuples, with no column names; "
            f"expected {expected!r}.",
            fix=ROW_FIX,
        )
    assert_result(rows, expected, call=call)


async def run(awaitable, *, call: str, kata_file, sneaky: str | None = None):
    """Await the learner's query; an SQLite error is explained in the learner's terms."""
    __tracebackhide__ = True
    try:
        return await awaitable
    except sqlite3.ProgrammingError as error:
        if "bindings" not in str(error):
            raise
        fail(
            f"{call} raised sqlite3.ProgrammingError: {str(error).rstrip('.')}. The parameters are a sequence "
            "with one value per `?`, and a string is a sequence of its characters.",
            where=kata_file.traceback(error.__traceback__),
            fix="pass a tuple with one value per `?`; for one value, a tuple of one: "
            f"`({'customer' if call.startswith('orders_of') else 'name'},)` (the comma makes the tuple).",
        )
    except sqlite3.Error as error:
        if sneaky is None:
            raise
        fail(
            f"{call} raised sqlite3.{type(error).__name__}: {error}. The name {sneaky!r} "
            "was pasted into your SQL, and SQLite read its quote as the end of a string "
            "and the rest as SQL.",
            where=kata_file.traceback(error.__traceback__),
            fix=PARAMETER_FIX,
        )


async def assert_committed(shop_db, *, call: str, returned: object) -> None:
    """What add_product added is there for a new connection."""
    __tracebackhide__ = True
    if await shop_db.count("products") > 5:
        return
    fail(
        f"{call} returned {returned!r}, but a new connection finds no new product: the "
        "insert was never committed. The INSERT opened a transaction; closing the "
        "connection without a commit rolled it back.",
        fix="`await db.commit()` after the INSERT, inside the `async with aiosqlite.connect(...)` block.",
    )


# --- find_product ------------------------------------------------------------------------------
async def test_a_product_is_found_by_name_as_a_row_of_named_columns(kata, kata_file, shop_db):
    """A `?` parameter carries the name; a row factory names the columns."""
    call = "find_product(db_path, 'oat milk')"
    product = await run(kata.find_product(str(shop_db.path), "oat milk"), call=call, kata_file=kata_file)
    check_rows(product, OAT_MILK, call=call)


async def test_a_product_the_shop_does_not_have_is_none(kata, kata_file, shop_db):
    """fetchone() returns None when no row matches."""
    call = "find_product(db_path, 'green tea')"
    product = await run(kata.find_product(str(shop_db.path), "green tea"), call=call, kata_file=kata_file)
    assert_result(named(product), None, call=call)


async def test_a_name_that_looks_like_sql_matches_no_product(kata, kata_file, shop_db):
    """A parameter is only ever a value: `nobody' OR '1'='1` is a name no product has."""
    plain = await run(
        kata.find_product(str(shop_db.path), "green tea"), call="find_product(db_path, 'green tea')", kata_file=kata_file
    )
    assert_result(named(plain), None, call="find_product(db_path, 'green tea')")
    call = f"find_product(db_path, {SNEAKY_FIND!r})"
    found = await run(
        kata.find_product(str(shop_db.path), SNEAKY_FIND), call=call, kata_file=kata_file, sneaky=SNEAKY_FIND
    )
    if found is not None:
        fail(
            f"{call} returned {named(found)!r}. The name was pasted into your SQL: `WHERE "
            f"name = '{SNEAKY_FIND}'` is true for every product. Whoever types the name "
            "decides what your query does.",
            fix=PARAMETER_FIX,
        )


# --- add_product ------------------------------------------------------------------------------
async def test_a_new_product_is_committed_and_gets_the_next_id(kata, kata_file, shop_db):
    """A change is kept only once committed: the test reads it back on its own connection."""
    call = "add_product(db_path, 'green tea', 450)"
    new_id = await run(kata.add_product(str(shop_db.path), "green tea", 450), call=call, kata_file=kata_file)
    await assert_committed(shop_db, call=call, returned=new_id)
    stored = await shop_db.rows("SELECT id, name, price_cents FROM products WHERE name = 'green tea'")
    expect(
        stored == [(NEXT_ID, "green tea", 450)],
        f"after {call}, the products table holds {stored}; expected [({NEXT_ID}, 'green tea', 450)].",
    )
    expect(
        new_id == NEXT_ID,
        f"{call} returned {new_id!r}; expected the new product's id, {NEXT_ID}.",
        fix="return `cursor.lastrowid`, the id SQLite gave the inserted row.",
    )


async def test_an_injection_attempt_is_stored_as_text_never_run(kata, kata_file, shop_db):
    """`Robert'); DROP TABLE orders; --` is a product name like any other."""
    path = str(shop_db.path)
    plain = "add_product(db_path, 'green tea', 450)"
    await assert_committed(shop_db, call=plain, returned=await run(kata.add_product(path, "green tea", 450), call=plain, kata_file=kata_file))
    call = f"add_product(db_path, {SNEAKY_ADD!r}, 999)"
    await run(kata.add_product(path, SNEAKY_ADD, 999), call=call, kata_file=kata_file, sneaky=SNEAKY_ADD)
    tables = await shop_db.tables()
    expect(
        "orders" in tables,
        f"after {call}, the orders table is gone: the name was run as SQL, and it said "
        "DROP TABLE orders.",
        fix=PARAMETER_FIX,
    )
    expect(
        await shop_db.count("orders") == 6,
        f"after {call}, the orders table holds {await shop_db.count('orders')} orders; expected all 6.",
    )
    stored = await shop_db.rows("SELECT name, price_cents FROM products WHERE id > 5 ORDER BY id")
    expect(
        stored == [("green tea", 450), (SNEAKY_ADD, 999)],
        f"after adding 'green tea' and {SNEAKY_ADD!r}, the new products are {stored}; expected "
        f"both names stored exactly as given: [('green tea', 450), ({SNEAKY_ADD!r}, 999)].",
        fix=PARAMETER_FIX,
    )


# --- orders_of ------------------------------------------------------------------------------------
async def test_a_customers_orders_come_as_rows_of_named_columns(kata, kata_file, shop_db):
    """fetchall() with a row factory: a list of rows, each read by column name."""
    call = "orders_of(db_path, 'ana')"
    orders = await run(kata.orders_of(str(shop_db.path), "ana"), call=call, kata_file=kata_file)
    check_rows(orders, ANAS_ORDERS, call=call)


async def test_a_customer_without_orders_has_an_empty_list(kata, kata_file, shop_db):
    """No matching row: fetchall() returns an empty list."""
    call = "orders_of(db_path, 'zoe')"
    orders = await run(kata.orders_of(str(shop_db.path), "zoe"), call=call, kata_file=kata_file)
    check_rows(orders, [], call=call)


# --- closing ---------------------------------------------------------------------------------------
async def test_every_connection_is_closed_before_the_function_returns(kata, kata_file, shop_db):
    """Each aiosqlite connection has a thread of its own: `async with` closes both."""
    path = str(shop_db.path)
    calls = {
        "find_product(db_path, 'oat milk')": lambda: kata.find_product(path, "oat milk"),
        "add_product(db_path, 'green tea', 450)": lambda: kata.add_product(path, "green tea", 450),
        "orders_of(db_path, 'ana')": lambda: kata.orders_of(path, "ana"),
    }
    for call, calling in calls.items():
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ResourceWarning)
            await run(calling(), call=call, kata_file=kata_file)
            gc.collect()  # a connection nobody refers to any more is finalised now
        left_open = [w for w in caught if "deleted before being closed" in str(w.message)]
        expect(
            not left_open,
            f"{call} returned and left its aiosqlite connection open: nothing closed it, "
            "and its thread ran on until Python threw the connection object away.",
            fix="open it with `async with aiosqlite.connect(db_path) as db:`, which closes it "
            "however the block ends (or `await db.close()` in a `finally:`).",
        )

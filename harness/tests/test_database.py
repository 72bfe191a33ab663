"""The seeded databases: what each fixture holds, what the tests can read back, and
another writer that holds the write lock while the code under test runs."""

from __future__ import annotations

import asyncio
import sqlite3

import aiosqlite
import pytest

from harness.judge.database import ACCOUNTS, ORDERS, PRODUCTS, BankDB, ShopDB


async def test_the_shop_holds_its_products_and_orders(shop_db: ShopDB):
    """rows() and count() read what is committed, on a connection of their own."""
    assert await shop_db.tables() == ["orders", "products"]
    assert await shop_db.count("products") == len(PRODUCTS)
    assert await shop_db.count("orders") == len(ORDERS)
    assert await shop_db.rows("SELECT name FROM products WHERE price_cents > ?", (2000,)) == [
        ("pour-over kettle",)
    ]


async def test_rows_see_only_what_was_committed(shop_db: ShopDB):
    """An insert that was never committed is invisible to the tests' reads."""
    db = await shop_db.connect()
    await db.execute("INSERT INTO products (name, price_cents) VALUES ('tea', 450)")
    assert await shop_db.count("products") == len(PRODUCTS)
    await db.commit()
    assert await shop_db.count("products") == len(PRODUCTS) + 1


async def test_the_bank_opens_with_its_accounts_in_wal_mode(bank_db: BankDB):
    """Five accounts, erin's closed; no transfers or payments yet; the file is in WAL mode."""
    assert await bank_db.balances() == {name: cents for name, cents, _ in ACCOUNTS}
    assert await bank_db.transfers() == []
    assert await bank_db.count("payments") == 0
    assert await bank_db.rows("PRAGMA journal_mode") == [("wal",)]


async def test_a_closed_account_moves_no_money(bank_db: BankDB):
    """The trigger aborts any change to a closed account's balance: IntegrityError."""
    db = await bank_db.connect()
    with pytest.raises(sqlite3.IntegrityError, match="the account is closed"):
        await db.execute("UPDATE accounts SET balance_cents = balance_cents + 100 WHERE name = 'erin'")
    await db.execute("UPDATE accounts SET balance_cents = balance_cents + 100 WHERE name = 'dave'")
    await db.commit()
    assert (await bank_db.balances())["dave"] == 2_600


async def test_another_writer_holds_the_write_lock_for_its_block(bank_db: BankDB):
    """Inside writing(), a writer that will not wait is refused and readers go on; after
    it, the same write goes through."""
    impatient = await bank_db.connect(timeout=0, isolation_level=None)
    async with bank_db.writing():
        assert (await bank_db.balances())["alice"] == 10_000  # readers are not blocked
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            await impatient.execute("BEGIN IMMEDIATE")
    await impatient.execute("BEGIN IMMEDIATE")
    await impatient.execute("UPDATE accounts SET balance_cents = 1 WHERE name = 'alice'")
    await impatient.execute("COMMIT")
    assert (await bank_db.balances())["alice"] == 1


async def test_a_patient_writer_waits_for_the_other_writer_and_then_goes_through(bank_db: BankDB):
    """A writer with a busy timeout waits while writing() holds the lock, then writes."""
    patient = await bank_db.connect(isolation_level=None)  # sqlite3's default timeout: 5 s

    async def deposit() -> None:
        await patient.execute("BEGIN IMMEDIATE")
        await patient.execute("UPDATE accounts SET balance_cents = balance_cents + 1 WHERE name = 'bob'")
        await patient.execute("COMMIT")

    async with bank_db.writing():
        waiting = asyncio.create_task(deposit())
        await asyncio.sleep(0.05)
        assert not waiting.done()
    await asyncio.wait_for(waiting, 5)
    assert (await bank_db.balances())["bob"] == 5_001


async def test_connections_made_by_a_fixture_are_closed_with_it(tmp_path):
    """close() closes every connection connect() made, newest first."""
    from harness.judge.database import create_bank

    bank = await create_bank(tmp_path / "bank.db")
    first, second = await bank.connect(), await bank.connect()
    await bank.close()
    for connection in (first, second):
        with pytest.raises(ValueError):
            await connection.execute("SELECT 1")
    assert isinstance(first, aiosqlite.Connection)

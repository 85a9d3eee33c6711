"""Shared books in PostgreSQL: `Books.open("postgresql://...", schema=...)`
holds the same books as SQLite for the same import, survives reopening from
another process, and refuses a schema with a SQLite path.

The server is the one scripts/pg.sh started (TIEOUT_TEST_PG_URL); without it
these tests are skipped locally and fail under CI=true."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any, Iterator, List

import pytest

import tieout
from conftest import EXAMPLES


@pytest.fixture
def pg_url() -> str:
    url = os.environ.get("TIEOUT_TEST_PG_URL", "")
    if not url:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but TIEOUT_TEST_PG_URL is not set: run scripts/test-python.sh")
        pytest.skip("TIEOUT_TEST_PG_URL is not set")
    return url


@pytest.fixture
def schema(pg_url: str) -> Iterator[str]:
    name = "t_py_" + uuid.uuid4().hex[:12]
    yield name
    psql = shutil.which("psql")
    if psql:
        subprocess.run([psql, "-q", pg_url, "-c", f"DROP SCHEMA IF EXISTS {name} CASCADE"],
                       check=True, capture_output=True)


def books_dump(books: tieout.Books) -> List[Any]:
    return [books.customers(), books.invoices(), books.payments(), books.allocations(),
            books.refunds(), books.balance_transactions(), books.subscriptions(),
            books.payouts()]


def test_postgres_books_equal_sqlite_books_and_reopen(
        pg_url: str, schema: str, tmp_path: Path) -> None:
    src = tieout.StripeFiles(EXAMPLES)
    plan = tieout.ImportPlan()
    lite = tieout.Books.open(tmp_path / "books.db")
    pg = tieout.Books.open(pg_url, schema=schema)
    for books in (lite, pg):
        run = books.import_(src, plan)
        assert run.status == tieout.RunStatus.SUCCEEDED and run.failed == 0
    want = books_dump(lite)
    assert want[1], "the sample has invoices"
    assert books_dump(pg) == want
    again = pg.import_(src, plan)
    assert again.created == 0 and again.updated == 0 and again.failed == 0
    # Another process opens the same schema and sees the same books.
    code = (
        "import sys, tieout\n"
        "b = tieout.Books.open(sys.argv[1], schema=sys.argv[2])\n"
        "print(len(b.invoices()), len(b.payments()), len(b.history()))\n"
    )
    out = subprocess.run([sys.executable, "-c", code, pg_url, schema],
                         check=True, capture_output=True, text=True).stdout.split()
    assert out == [str(len(want[1])), str(len(want[2])), "2"]


def test_schema_is_refused_for_sqlite_and_checked_for_postgres(
        pg_url: str, tmp_path: Path) -> None:
    with pytest.raises(tieout.TieoutError) as e:
        tieout.Books.open(tmp_path / "books.db", schema="books")
    assert "PostgreSQL" in str(e.value)
    with pytest.raises(tieout.TieoutError) as e:
        tieout.Books.open(pg_url, schema="Not-An-Identifier")
    assert "lower-case identifier" in str(e.value)

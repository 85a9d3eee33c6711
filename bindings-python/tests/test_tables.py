"""``books.table(...)`` -> pyarrow tables; pandas totals equal the report's."""

import datetime
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

import tieout

SAMPLE = Path(__file__).resolve().parents[2] / "examples" / "data"


@pytest.fixture(scope="module")
def books() -> tieout.Books:
    b = tieout.Books.in_memory()
    b.import_(tieout.StripeFiles(str(SAMPLE)), tieout.ImportPlan())
    return b


def test_invoice_table_types_and_filters(books: tieout.Books) -> None:
    t = books.table("invoices")
    assert isinstance(t, pa.Table)
    assert t.num_rows == len(books.invoices())
    assert t.schema.field("total").type == pa.decimal128(38, 2)
    assert t.schema.field("due_date").type == pa.timestamp("us", tz="UTC")
    assert t.schema.field("status").type == pa.string()
    assert "source_external_id" in t.column_names and "lines" not in t.column_names
    # One column per record field (nested records flattened, lists in their own tables).
    assert {"id", "number", "customer_id", "currency", "amount_remaining", "metadata"} <= set(t.column_names)
    open_usd = books.table("invoices", status="open", currency="usd")
    assert open_usd.num_rows == len([i for i in books.invoices(status="open") if i.currency == "USD"])
    assert set(open_usd.column("currency").to_pylist()) <= {"USD"}
    # JPY alone is at scale 0.
    jpy = books.table("payments", currency="JPY")
    assert jpy.num_rows == 1 and jpy.schema.field("amount").type == pa.decimal128(38, 0)
    with pytest.raises(tieout.InvalidArgument, match="no field colour"):
        books.table("invoices", colour="red")
    with pytest.raises(tieout.InvalidArgument, match="unknown table"):
        books.table("nope")


def test_lines_and_items_are_their_own_tables(books: tieout.Books) -> None:
    lines = books.table("invoice_lines").to_pandas()
    want = sum(len(i.lines) for i in books.invoices())
    assert len(lines) == want > 0
    assert set(lines["invoice_id"]) <= {i.id for i in books.invoices()}
    items = books.table("subscription_items")
    assert items.num_rows == sum(len(s.items) for s in books.subscriptions()) > 0


def test_pandas_totals_equal_the_report(books: tieout.Books) -> None:
    report = books.report()
    invoices = books.table("invoices").to_pandas()
    payments = books.table("payments").to_pandas()
    allocations = books.table("allocations").to_pandas()
    assert isinstance(invoices["total"].iloc[0], Decimal)
    assert invoices["due_date"].dt.tz is not None
    for cur, totals in report.totals.items():
        inv = invoices[invoices["currency"] == cur]
        open_ = inv[inv["status"].isin(["open", "partially_paid", "uncollectible"])]
        assert sum(open_["amount_remaining"], Decimal(0)) == totals.open, cur
        pay = allocations[(allocations["currency"] == cur) & (allocations["kind"] == "payment")]
        assert sum(pay["amount"], Decimal(0)) == totals.allocated, cur
        p = payments[payments["currency"] == cur]
        assert sum(p["refunded"], Decimal(0)) == totals.refunded, cur
        assert sum(p["unapplied"], Decimal(0)) == totals.unapplied, cur
    by_cur = invoices.groupby("currency")["amount_paid"].apply(lambda s: sum(s, Decimal(0)))
    assert by_cur["USD"] == report.totals["USD"].paid


def test_clear_error_without_pyarrow(tmp_path: Path) -> None:
    # A fresh interpreter where importing pyarrow fails.
    code = (
        "import sys; sys.modules['pyarrow'] = None\n"
        "import tieout\n"
        "b = tieout.Books.in_memory()\n"
        "try:\n    b.table('invoices')\nexcept ImportError as e:\n    print(e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "needs the 'pyarrow' package" in out.stdout, out


def test_no_rows_still_typed() -> None:
    t = tieout.Books.in_memory().table("payments", received_at=datetime.datetime(2020, 1, 1))
    assert t.num_rows == 0 and t.schema.field("amount").type == pa.decimal128(38, 2)


def test_journal_tables_balance_and_equal_the_ledger(books: tieout.Books) -> None:
    journal = books.journal_entries()
    entries = books.table("journal_entries")
    assert entries.num_rows == len(journal.entries) > 0
    assert entries.schema.field("date").type == pa.date32()
    assert "postings" not in entries.column_names
    assert books.table("journal_entries", layer="cash").num_rows == len(
        [e for e in journal.entries if e.layer == "cash"])
    postings = books.table("journal_postings")
    assert postings.schema.field("amount").type == pa.decimal128(38, 2)
    df = postings.to_pandas()
    assert len(df) == sum(len(e.postings) for e in journal.entries)
    assert set(df["entry_id"]) == {e.id for e in journal.entries}
    # Every entry balances per currency, in pandas.
    per_entry = df.groupby(["entry_id", "currency"])["amount"].apply(lambda s: sum(s, Decimal(0)))
    assert all(v == 0 for v in per_entry)
    # Account totals equal the Rust journal's.
    totals = df.groupby(["account", "currency"])["amount"].apply(lambda s: sum(s, Decimal(0)))
    want: dict = {}
    for e in journal.entries:
        for p in e.postings:
            want[(p.account, p.currency)] = want.get((p.account, p.currency), Decimal(0)) + p.amount
    assert {k: v for k, v in totals.items()} == want
    # The Stripe balance account in the cash layer ends at the balance statement's closing.
    cash = df[df["entry_id"].isin({e.id for e in journal.entries if e.layer == "cash"})]
    stripe = cash[cash["account"] == "Assets:Stripe:Balance"]
    end = datetime.datetime(2100, 1, 1, tzinfo=datetime.timezone.utc)
    start = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
    assert len(stripe) > 0
    for cur, amounts in stripe.groupby("currency")["amount"]:
        assert sum(amounts, Decimal(0)) == books.stripe_balance(cur, start, end).closing, cur


def test_case_tables_equal_the_cases_and_the_aging() -> None:
    books = tieout.Books.in_memory()
    books.import_(tieout.StripeFiles(str(SAMPLE)), tieout.ImportPlan())
    as_of = datetime.datetime(2025, 7, 1, tzinfo=datetime.timezone.utc)
    opening = books.create_collection_cases(policy={"require_postal_address": False}, now=as_of)
    cases = books.collection_cases()
    assert len(cases) == len(opening.opened) == 3
    t = books.table("cases")
    assert t.num_rows == 3
    assert t.schema.field("open_amount").type == pa.decimal128(38, 2)
    assert t.schema.field("age_from").type == pa.timestamp("us", tz="UTC")
    assert {"debtor_name", "debtor_email", "status"} <= set(t.column_names)
    assert "history" not in t.column_names
    df = t.to_pandas()
    assert df["age_from"].dt.tz is not None
    # Every collectible invoice has a case: the open totals are the aging's, per currency.
    aging = books.aging(as_of)
    for row in aging.totals:
        mine = df[df["currency"] == row.currency]
        assert sum(mine["open_amount"], Decimal(0)) == row.total, row.currency
        assert sum(mine["open_amount"], Decimal(0)) == sum(
            (c.open_amount for c in cases if c.currency == row.currency), Decimal(0))
    events = books.table("case_events").to_pandas()
    assert len(events) == sum(len(c.history) for c in cases) >= 3
    assert set(events["case_id"]) == {c.id for c in cases}
    assert books.table("cases", status="open").num_rows == 3

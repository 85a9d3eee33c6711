"""The ledger from Python: journal entries of the shipped sample, its Stripe
balance statement, and exports (bean-check accepts the Beancount one; a
second since_last export emits nothing)."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Dict

import pytest

import tieout
from conftest import EXAMPLES

UTC = dt.timezone.utc


def _books(tmp_path: Path) -> tieout.Books:
    books = tieout.Books.open(tmp_path / "books.db")
    src = tieout.StripeFiles(EXAMPLES)
    plan = tieout.ImportPlan()
    review = books.review(src, plan)
    books.import_(src, plan, approval=review.approval)
    return books


def test_journal_entries_balance_and_the_statement_ties_to_the_cash_layer(tmp_path: Path) -> None:
    books = _books(tmp_path)
    journal = books.journal_entries()
    assert journal.entries, "the sample gives entries"
    for e in journal.entries:
        totals: Dict[str, Decimal] = defaultdict(Decimal)
        for p in e.postings:
            assert isinstance(p.amount, Decimal)
            totals[p.currency] += p.amount
        assert all(v == 0 for v in totals.values()), e
    assert {e.layer for e in journal.entries} == {"accrual", "cash"}
    txns = books.balance_transactions()
    assert {f"txn:{t.source.external_id}" for t in txns} <= {e.id for e in journal.entries}
    cash_only = books.journal_entries(layers=["cash"])
    assert {e.layer for e in cash_only.entries} == {"cash"}
    for cur in {t.currency for t in txns}:
        s = books.stripe_balance(cur, dt.datetime(2000, 1, 1, tzinfo=UTC), dt.datetime(2100, 1, 1, tzinfo=UTC))
        moved = sum(
            (p.amount for e in journal.entries for p in e.postings
             if p.account == "Assets:Stripe:Balance" and p.currency == cur),
            Decimal(0),
        )
        assert s.closing - s.opening == moved
        assert s.start.tzinfo is not None and s.ties
        assert all(line.transaction_id.startswith("txn_") for line in s.lines)
    # A reported balance that differs is reported with the unexplained amount.
    cur = txns[0].currency
    at = dt.datetime(2100, 1, 1, tzinfo=UTC)
    s = books.stripe_balance(cur, dt.datetime(2000, 1, 1, tzinfo=UTC), at)
    books.record_reported_balance(cur, s.closing_available + Decimal("1.00"), s.closing_pending, at)
    s2 = books.stripe_balance(cur, dt.datetime(2000, 1, 1, tzinfo=UTC), at)
    assert not s2.ties and s2.unexplained_available == Decimal("1.00")
    mapping = {"revenue": "Income:Subscriptions"}
    custom = books.journal_entries(mapping=mapping)
    assert any(p.account == "Income:Subscriptions" for e in custom.entries for p in e.postings)
    with pytest.raises(tieout.TieoutError):
        books.journal_entries(layers=["accrual", "bogus"])


def test_exports_check_and_never_double_post(tmp_path: Path) -> None:
    books = _books(tmp_path)
    now = dt.datetime(2026, 11, 30, tzinfo=UTC)
    bc = books.export("beancount", since_last=True, now=now)
    assert bc.target == "beancount" and bc.entries and bc.exported_at == now
    f = tmp_path / "books.beancount"
    f.write_text(bc.text)
    bean_check = Path(sys.executable).parent / "bean-check"
    done = subprocess.run([str(bean_check), str(f)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert books.export("beancount", since_last=True, now=now).entries == []
    # Each target keeps its own log; a full re-export repeats the same ids.
    assert len(books.export("csv", since_last=True, now=now).entries) == len(bc.entries)
    again = books.export("beancount", now=now)
    assert [e.id for e in again.entries] == [e.id for e in bc.entries]
    with pytest.raises(tieout.TieoutError):
        books.export("gnucash")


def test_the_books_record_what_was_exported_where(tmp_path: Path) -> None:
    books = _books(tmp_path)
    t1 = dt.datetime(2026, 11, 30, tzinfo=UTC)
    first = books.export("hledger", since_last=True, now=t1)
    log = books.export_log("hledger")
    assert sorted(r.entry_id for r in log) == sorted(e.id for e in first.entries)
    assert all(r.target == "hledger" and r.at == t1 and r.adjustments == 0 for r in log)
    assert all(isinstance(p.amount, Decimal) for r in log for p in r.postings)
    assert books.export_log("csv") == []
    assert books.export("hledger", since_last=True, now=t1 + dt.timedelta(days=1)).entries == []
    assert all(r.at == t1 for r in books.export_log("hledger")), "nothing re-recorded"
    with pytest.raises(tieout.TieoutError):
        books.export_log("gnucash")


def test_the_stripe_balance_statement_as_csv_and_camt053(tmp_path: Path) -> None:
    books = _books(tmp_path)
    cur = books.balance_transactions()[0].currency
    start, end = dt.datetime(2000, 1, 1, tzinfo=UTC), dt.datetime(2100, 1, 1, tzinfo=UTC)
    s = books.stripe_balance(cur, start, end)
    csv_text = books.stripe_balance_statement(cur, start, end)
    assert all(line.transaction_id in csv_text for line in s.lines)
    xml = books.stripe_balance_statement(cur, start, end, format="camt053", account="STRIPE-MAIN")
    assert xml.startswith("<?xml") and "STRIPE-MAIN" in xml
    # The bank side of tieout reads the camt.053 back: one line per statement line.
    other = tieout.Books.in_memory()
    assert len(other.import_bank_camt053(xml)) == len(s.lines)
    with pytest.raises(tieout.TieoutError):
        books.stripe_balance_statement(cur, start, end, format="ofx")


def test_a_deferred_revenue_mapping_yields_the_recognition_entries(tmp_path: Path) -> None:
    books = _books(tmp_path)
    mapping = {"deferred_revenue": "Liabilities:DeferredRevenue"}
    plain = books.journal_entries()
    deferred = books.journal_entries(mapping=mapping)
    assert not [e for e in plain.entries if e.category == "recognized"]
    rec = [e for e in deferred.entries if e.category == "recognized"]
    assert rec, "the sample's monthly line serves past its issue day"
    # The line booked to deferred revenue at issue is recognised in full,
    # slice by slice, and every entry balances.
    lines = {
        (inv.source.external_id, line.amount)
        for inv in books.invoices() for line in inv.lines
        if line.period_start and line.period_end and line.period_end.date() > inv.issued_at.date()
    }
    assert len(lines) == 1
    (invoice, amount), = lines
    assert all(e.id.startswith(f"inv:{invoice}:recognized:") for e in rec)
    moved = sum((p.amount for e in rec for p in e.postings
                 if p.account == "Liabilities:DeferredRevenue"), Decimal(0))
    assert moved == amount
    assert len(deferred.entries) == len(plain.entries) + len(rec)
    # As of a day before the last slice: not all of it yet (never future revenue).
    first_day = min(e.date for e in rec)
    early = books.journal_entries(mapping=mapping, as_of=first_day)
    assert [e.id for e in early.entries if e.category == "recognized"] == [rec[0].id]
    # The export of the period up to that day holds the same slice, and its
    # Beancount file asserts deferred revenue at the period's edges.
    bc = books.export("beancount", mapping=mapping, to=first_day + dt.timedelta(days=1),
                      now=dt.datetime(2026, 11, 30, tzinfo=UTC))
    assert [e.id for e in bc.entries if e.category == "recognized"] == [rec[0].id]
    assert " balance Liabilities:DeferredRevenue  -" in bc.text
    f = tmp_path / "deferred.beancount"
    f.write_text(bc.text)
    bean_check = Path(sys.executable).parent / "bean-check"
    done = subprocess.run([str(bean_check), str(f)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_quickstart_ends_with_the_journal_and_the_stripe_balance_statement(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[2]
    db = tmp_path / "books.db"
    done = subprocess.run([sys.executable, str(root / "examples/python/quickstart.py"), str(db)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    out = tmp_path / "quickstart.out"
    out.write_text(done.stdout)
    books = tieout.Books.open(db)
    journal = books.journal_entries()
    assert f"\nJournal entries ({len(journal.entries)}):\n" in done.stdout
    # The shared checker (the packaging test runs it on every quickstart) agrees,
    # and refuses an output whose entry count is off.
    check = [sys.executable, str(root / "scripts/check_quickstart.py"), str(out), str(db)]
    ok = subprocess.run(check, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    out.write_text(done.stdout.replace(f"Journal entries ({len(journal.entries)})",
                                       f"Journal entries ({len(journal.entries) + 1})"))
    assert subprocess.run(check, capture_output=True, text=True).returncode == 1

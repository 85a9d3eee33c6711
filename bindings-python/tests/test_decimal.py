"""Amounts are exact decimal.Decimal in major units: never floats, whatever the currency."""

from __future__ import annotations

from decimal import Decimal

import tieout
from conftest import charge, customer, invoice


def test_tenth_plus_fifth_is_exactly_three_tenths(stripe_dir) -> None:  # type: ignore[no-untyped-def]
    assert 0.1 + 0.2 != 0.3  # the float trap tieout must not fall into
    src = tieout.StripeFiles(stripe_dir([
        customer("cus_A", "A"),
        invoice("in_A", "cus_A", "usd", [10, 20], True, "ch_A"),
        charge("ch_A", 30, "usd", "cus_A", "in_A"),
    ]))
    books = tieout.Books.in_memory()
    books.import_(src)
    [inv] = books.invoices()
    assert isinstance(inv.total, Decimal)
    assert [l.amount for l in inv.lines] == [Decimal("0.10"), Decimal("0.20")]
    assert sum(l.amount for l in inv.lines) == inv.total == Decimal("0.3")
    assert str(inv.total) == "0.30"
    assert inv.amount_remaining == 0 and inv.status == tieout.InvoiceStatus.PAID
    [pay] = books.payments()
    assert pay.amount == Decimal("0.30") and pay.allocated + pay.unapplied + pay.refunded == pay.amount
    [alloc] = books.allocations()
    assert alloc.amount == Decimal("0.30")


def test_zero_and_three_decimal_currencies(stripe_dir) -> None:  # type: ignore[no-untyped-def]
    src = tieout.StripeFiles(stripe_dir([
        customer("cus_A", "A"),
        charge("ch_J", 5000, "jpy", "cus_A"),
        charge("ch_K", 1234, "kwd", "cus_A"),
        charge("ch_U", 1, "usd", "cus_A"),
    ]))
    books = tieout.Books.in_memory()
    review = books.review(src)
    assert review.totals["charge"]["JPY"].amount == Decimal("5000")
    assert review.totals["charge"]["KWD"].amount == Decimal("1.234")
    books.import_(src)
    by_cur = {p.currency: p for p in books.payments()}
    assert by_cur["JPY"].amount == Decimal("5000") and str(by_cur["JPY"].amount) == "5000"
    assert by_cur["KWD"].amount == Decimal("1.234") and str(by_cur["KWD"].amount) == "1.234"
    assert by_cur["USD"].amount == Decimal("0.01")
    for p in by_cur.values():
        assert isinstance(p.amount, Decimal) and isinstance(p.unapplied, Decimal)
        assert p.amount == p.allocated + p.unapplied + p.refunded + p.disputed


def test_amount_arguments_are_exact() -> None:
    assert tieout.ReconcilePolicy(write_off_abs="0.1").write_off_abs == Decimal("0.1")
    assert tieout.ReconcilePolicy(write_off_abs=Decimal("0.005")).write_off_abs == Decimal("0.005")
    assert tieout.ReconcilePolicy(write_off_pct=1).write_off_pct == Decimal(1)

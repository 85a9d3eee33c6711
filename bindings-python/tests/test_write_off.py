"""Write-off by hand from Python: an own invoice written off (reason and time
kept, in the history), idempotent, recovered by later payments naming it,
then refused once settled. Then told to Stripe (localstripe, read back with
the stripe SDK): marked uncollectible once, through a crash before the
request and one after it; one paid in Stripe since is skipped and reported."""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Dict, List

import pytest

import tieout
from conftest import LOCALSTRIPE_KEY, LocalStripe, charge, write_stripe_dir

UTC = datetime.timezone.utc
T1 = datetime.datetime(2025, 4, 6, 9, 0, tzinfo=UTC)
T2 = datetime.datetime(2025, 6, 1, 9, 0, tzinfo=UTC)


def test_write_off_then_recovery(tmp_path: Path) -> None:
    books = tieout.Books.open(str(tmp_path / "books.db"))
    c = books.create_customer("Acme", "ap@acme.test")
    draft = books.create_invoice(
        c.id, [{"description": "Consulting", "quantity": 1, "unit_amount": Decimal("300.00")}],
        "usd", due_date=T1, now=T1)
    with pytest.raises(tieout.InvalidArgument):
        books.write_off(draft.id, "never sent", now=T1)
    inv = books.issue_invoice(draft.id, now=T1)

    off = books.write_off(inv.id, "customer insolvent", now=T2)
    assert off.status == tieout.InvoiceStatus.UNCOLLECTIBLE
    assert (off.amount_remaining, off.amount_written_off) == (Decimal("0.00"), Decimal("300.00"))
    w = off.write_off
    assert isinstance(w, tieout.InvoiceWriteOff)
    assert (w.amount, w.reason, w.at, w.recovered, w.state) == (
        Decimal("300.00"), "customer insolvent", T2, Decimal("0.00"), "written_off")
    notes = [n for r in books.history() for n in r.notes]
    assert any("written off" in n and "customer insolvent" in n for n in notes), notes
    runs = len(books.history())
    assert books.write_off(inv.id, "again", now=T2) == off
    assert len(books.history()) == runs

    # A charge naming the invoice later recovers part of it, then the rest.
    ch = charge("ch_wo1", 10000, "usd")
    ch["metadata"] = {"invoice": inv.id}
    books.import_(tieout.StripeFiles(str(write_stripe_dir(tmp_path / "s1", [ch]))))
    part = [i for i in books.invoices() if i.id == inv.id][0]
    assert part.status == "uncollectible" and part.amount_paid == Decimal("100.00")
    assert part.write_off is not None
    assert (part.write_off.recovered, part.write_off.state) == (
        Decimal("100.00"), "partially_recovered")
    assert part.amount_written_off == Decimal("200.00")

    rest = charge("ch_wo2", 20000, "usd")
    rest["metadata"] = {"invoice": inv.id}
    books.import_(tieout.StripeFiles(str(write_stripe_dir(tmp_path / "s2", [rest]))))
    paid = [i for i in books.invoices() if i.id == inv.id][0]
    assert paid.status == "paid" and paid.write_off is not None
    assert paid.write_off.state == "recovered"
    with pytest.raises(tieout.InvoiceSettled) as e:
        books.write_off(inv.id, "late", now=T2)
    assert e.value.code == "INVOICE_SETTLED"


def test_write_offs_are_marked_uncollectible_in_stripe_once(
    localstripe: LocalStripe, tmp_path: Path
) -> None:
    ids = localstripe.open_invoices(3, "wopy")
    books = tieout.Books.open(str(tmp_path / "books.db"))
    localstripe.import_customers_and_invoices(books)
    inv = sorted((books.write_off(i.id, "gone", now=T2) for i in books.invoices()
                  if i.source.external_id in ids), key=lambda i: i.id)
    ids = [i.source.external_id for i in inv]
    url = localstripe.url
    # Off by default.
    assert books.review_writes(LOCALSTRIPE_KEY, base_url=url, now=T2)["writes"] == []
    with pytest.raises(tieout.InvalidArgument):
        books.review_writes(LOCALSTRIPE_KEY, base_url=url, now=T2, write_offs="delete")
    # c is paid in Stripe by someone else after the import.
    localstripe.sdk().Invoice.pay(ids[2], paid_out_of_band=True)
    review = books.review_writes(LOCALSTRIPE_KEY, base_url=url, now=T2,
                                 write_offs="mark_uncollectible")
    writes: List[Dict[str, Any]] = review["writes"]
    assert [w["kind"] for w in writes] == ["invoice_mark_uncollectible"] * 3
    key = {w["subject"]: w["key"] for w in writes}
    assert localstripe.invoice_status(ids[0]) == "open", "a review writes nothing"

    a, b = key[inv[0].id], key[inv[1].id]
    with pytest.raises(tieout.Aborted):
        books.apply_writes(LOCALSTRIPE_KEY, base_url=url, now=T2, write_offs="mark_uncollectible",
                           fault=lambda k, point: k == a and point == "recorded")
    assert localstripe.invoice_status(ids[0]) == "open", "crashed before the request"
    with pytest.raises(tieout.Aborted):
        books.apply_writes(LOCALSTRIPE_KEY, base_url=url, now=T2, write_offs="mark_uncollectible",
                           fault=lambda k, point: k == b and point == "performed")
    assert [localstripe.invoice_status(i) for i in ids[:2]] == ["uncollectible", "uncollectible"]

    report = books.apply_writes(LOCALSTRIPE_KEY, base_url=url, now=T2,
                                write_offs="mark_uncollectible")
    assert b in report["resolved"], report
    assert key[inv[2].id] in report["cancelled"], report
    assert report["failed"] == [] and report["unknown"] == []
    assert [localstripe.invoice_status(i) for i in ids] == [
        "uncollectible", "uncollectible", "paid"]
    recorded = {w.key: w for w in books.writes()}
    assert recorded[a].status == "succeeded" and len(recorded[a].attempts) == 2
    assert "paid in Stripe" in recorded[key[inv[2].id]].outcome["cancelled"]
    again = books.apply_writes(LOCALSTRIPE_KEY, base_url=url, now=T2,
                               write_offs="mark_uncollectible")
    assert again["delivered"] == [] and again["resolved"] == []

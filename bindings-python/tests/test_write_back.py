"""Write-back (issue 15) from Python against localstripe, read back with the stripe
SDK: invoices the books see paid by a bank transfer are marked paid in Stripe
(`paid_out_of_band`), once, through a crash before the request and one after it;
an invoice voided in Stripe after the import is skipped and reported; one already
paid there counts as done."""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Dict, List

import pytest

import tieout
from conftest import LOCALSTRIPE_KEY, LocalStripe

UTC = datetime.timezone.utc
T = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_write_back_marks_bank_paid_invoices_paid_in_stripe_once(
    localstripe: LocalStripe, tmp_path: Path
) -> None:
    ids = localstripe.open_invoices(4, "wbpy")
    books = tieout.Books.open(str(tmp_path / "books.db"))
    localstripe.import_customers_and_invoices(books)
    # Roles follow the order writes are made in (by books id).
    inv = sorted((i for i in books.invoices() if i.source.external_id in ids), key=lambda i: i.id)
    ids = [i.source.external_id for i in inv]
    for n, x in enumerate(inv):
        assert x.amount_remaining == Decimal("125.00")
        p = books.record_payment(f"bank-py-{n}", Decimal("125.00"), "usd", received_at=T,
                                 customer_id=x.customer_id, method="bank_transfer")
        assert books.record_payment(f"bank-py-{n}", Decimal("125.00"), "usd").id == p.id
        books.allocate(p.id, x.id, Decimal("125.00"))
    stripe = localstripe.sdk()
    stripe.Invoice.void_invoice(ids[2])
    stripe.Invoice.pay(ids[3], paid_out_of_band=True)

    review = books.review_writes(LOCALSTRIPE_KEY, base_url=localstripe.url, now=T)
    assert review["write_back_method"] == "paid_out_of_band"
    writes: List[Dict[str, Any]] = review["writes"]
    assert len(writes) == 4 and review["skipped"] == []
    assert all(w["payload"]["params"] == {"paid_out_of_band": True} for w in writes)
    key = {w["subject"]: w["key"] for w in writes}
    assert localstripe.invoice_status(ids[0]) == "open", "a review writes nothing"

    # A crash after recording the first write, before its request.
    first = writes[0]["key"]
    with pytest.raises(tieout.TieoutError):
        books.write_back(LOCALSTRIPE_KEY, base_url=localstripe.url, now=T,
                         fault=lambda k, point: k == first and point == "recorded")
    assert all(localstripe.invoice_status(i) != "paid" for i in ids[:2])
    # A crash after Stripe marked b paid, before the books recorded it.
    b = key[inv[1].id]
    with pytest.raises(tieout.TieoutError):
        books.write_back(LOCALSTRIPE_KEY, base_url=localstripe.url, now=T,
                         fault=lambda k, point: k == b and point == "performed")
    assert localstripe.invoice_status(ids[1]) == "paid"

    report = books.apply_writes(LOCALSTRIPE_KEY, base_url=localstripe.url, now=T)
    assert b in report["resolved"], report
    assert key[inv[2].id] in report["cancelled"], report
    assert report["failed"] == [] and report["unknown"] == []
    assert [localstripe.invoice_status(i) for i in ids] == ["paid", "paid", "void", "paid"]

    recorded = {w.key: w for w in books.writes()}
    assert recorded[key[inv[0].id]].status == "succeeded"
    assert len(recorded[key[inv[0].id]].attempts) == 2
    # e was done whichever run reached it first: found paid, not sent.
    assert recorded[key[inv[3].id]].status == "succeeded"
    assert recorded[key[inv[3].id]].outcome["already_paid"] is True
    assert recorded[key[inv[2].id]].status == "cancelled"
    assert "changed in Stripe" in recorded[key[inv[2].id]].outcome["cancelled"]
    assert any(r.source == "books:writes" for r in books.history())

    again = books.write_back(LOCALSTRIPE_KEY, base_url=localstripe.url, now=T)
    assert again["delivered"] == [] and again["resolved"] == []


def test_write_back_with_a_live_key_needs_the_approval(
    localstripe: LocalStripe, tmp_path: Path
) -> None:
    ids = localstripe.open_invoices(1, "wblive")
    books = tieout.Books.open(str(tmp_path / "books.db"))
    localstripe.import_customers_and_invoices(books)
    x = [i for i in books.invoices() if i.source.external_id == ids[0]][0]
    p = books.record_payment("bank-live", "125.00", "usd", received_at=T)
    books.allocate(p.id, x.id, Decimal("125.00"))
    live = "sk_live_tieoutWriteTest0123"
    with pytest.raises(tieout.ApprovalRequired):
        books.write_back(live, base_url=localstripe.url, now=T)
    assert books.writes() == [] and localstripe.invoice_status(ids[0]) == "open"
    review = books.review_writes(live, base_url=localstripe.url, now=T)
    assert review["livemode"] is True
    report = books.apply_writes(live, base_url=localstripe.url, approval=review["approval"], now=T)
    assert len(report["delivered"]) == 1
    assert localstripe.invoice_status(ids[0]) == "paid"

"""Own invoices (create, issue, void; numbering; matched by a payment naming
them) and books customers pushed to localstripe, read back with the stripe SDK."""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import Path

import pytest
import stripe

import tieout
from conftest import LOCALSTRIPE_KEY, LocalStripe, charge, write_stripe_dir

UTC = datetime.timezone.utc
T1 = datetime.datetime(2025, 4, 6, 9, 0, tzinfo=UTC)


def lines() -> list:
    return [
        {"description": "Consulting", "quantity": 2, "unit_amount": Decimal("150.00")},
        {"kind": "discount", "description": "Loyalty", "amount": "30.00"},
        {"kind": "tax", "description": "Sales tax", "amount": Decimal("27.00")},
    ]


def test_own_invoices_are_numbered_and_paid_like_imported_ones(tmp_path: Path) -> None:
    books = tieout.Books.open(str(tmp_path / "books.db"))
    c = books.create_customer("Acme", "ap@acme.test")
    a = books.create_invoice(c.id, lines(), "usd", due_date=T1, now=T1)
    assert a.status == "draft" and a.number is None
    assert (a.subtotal, a.discount, a.tax, a.total) == (
        Decimal("300.00"), Decimal("30.00"), Decimal("27.00"), Decimal("297.00"))
    b = books.create_invoice(c.id, lines(), "usd", key="order-1", now=T1)
    assert books.create_invoice(c.id, lines(), "usd", key="order-1", now=T1).id == b.id
    assert books.issue_invoice(a.id, now=T1).number == "INV-000001"
    issued = books.issue_invoice(b.id, now=T1)
    assert issued.number == "INV-000002" and issued.status == "open"
    with pytest.raises(tieout.TieoutError):
        books.issue_invoice(b.id, now=T1)
    with pytest.raises(tieout.InvalidArgument):
        books.create_invoice(c.id, [{"description": "x", "unit_amount": 1.5}], "usd")
    other = books.create_invoice(c.id, lines(), "usd", prefix="CR-", now=T1)
    assert books.issue_invoice(other.id, now=T1).number == "CR-000001"
    assert books.void_invoice(other.id, now=T1).status == "void"

    # A Stripe charge whose metadata names invoice `a` by its books id pays it.
    ch = charge("ch_own1", 29700, "usd")
    ch["metadata"] = {"invoice": a.id}
    books.import_(tieout.StripeFiles(str(write_stripe_dir(tmp_path / "s", [ch]))))
    paid = [i for i in books.invoices() if i.id == a.id][0]
    assert paid.status == "paid" and paid.amount_remaining == Decimal("0")
    assert [i.number for i in books.invoices(status="open")] == ["INV-000002"]


def test_customers_are_pushed_once_and_linked(localstripe: LocalStripe, tmp_path: Path) -> None:
    books = tieout.Books.open(str(tmp_path / "books.db"))
    ids = [books.create_customer(n, f"ap@{n.lower()}.test").id for n in ("Acme", "Globex")]
    review = books.review_customer_pushes(LOCALSTRIPE_KEY, base_url=localstripe.url)
    assert [w["kind"] for w in review["writes"]] == ["customer_create"] * 2
    assert review["livemode"] is False and review["approval"].startswith("wapv_")
    report = books.push_customers(LOCALSTRIPE_KEY, base_url=localstripe.url)
    assert len(report["delivered"]) == 2
    again = books.push_customers(LOCALSTRIPE_KEY, base_url=localstripe.url)
    assert again["delivered"] == [] and again["already_done"] == []

    stripe.api_key = LOCALSTRIPE_KEY
    stripe.api_base = localstripe.url
    pushed = [c.to_dict() for c in stripe.Customer.list(limit=100).auto_paging_iter()]
    pushed = [c for c in pushed if (c.get("metadata") or {}).get("tieout_customer")]
    assert sorted(c["metadata"]["tieout_customer"] for c in pushed) == sorted(ids)
    account = review["account"]
    for cid in ids:
        link = books.stripe_customer_link(cid, account)
        assert link in {c["id"] for c in pushed}

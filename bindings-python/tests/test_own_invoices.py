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


class _Checkout:
    """A small local stand-in for Stripe's customers + Checkout Sessions (localstripe has no Checkout)."""

    def __init__(self) -> None:
        import json
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
        from urllib.parse import parse_qsl

        self.posts: list = []
        self.sessions: list = []
        outer = self

        class H(BaseHTTPRequestHandler):
            def _send(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:  # noqa: N802
                if self.path.startswith("/v1/checkout/sessions"):
                    self._send(200, {"object": "list", "has_more": False,
                                     "data": list(reversed(outer.sessions))})
                else:
                    self._send(404, {"error": {"message": "no route"}})

            def do_POST(self) -> None:  # noqa: N802
                n = int(self.headers.get("Content-Length") or 0)
                form = dict(parse_qsl(self.rfile.read(n).decode()))
                outer.posts.append((self.path, form, self.headers.get("Idempotency-Key")))
                meta = {k[9:-1]: v for k, v in form.items() if k.startswith("metadata[")}
                if self.path == "/v1/customers":
                    self._send(200, {"id": "cus_fake1", "object": "customer", "metadata": meta})
                elif self.path == "/v1/checkout/sessions":
                    i = len(outer.sessions) + 1
                    s = {"id": f"cs_{i}", "url": f"https://checkout.test/cs_{i}", "status": "open",
                         "expires_at": 1_900_000_000, "metadata": meta}
                    outer.sessions.append(s)
                    self._send(200, s)
                elif self.path.endswith("/expire"):
                    self._send(200, {"id": self.path.split("/")[4], "status": "expired"})
                else:
                    self._send(404, {"error": {"message": "no route"}})

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def test_payment_link_is_one_active_session_per_invoice(tmp_path: Path) -> None:
    fake = _Checkout()
    try:
        books = tieout.Books.open(str(tmp_path / "books.db"))
        c = books.create_customer("Acme", "ap@acme.test")
        books.push_customers(LOCALSTRIPE_KEY, base_url=fake.url, now=T1)
        assert books.stripe_customer_link(c.id, "acct_unknown") == "cus_fake1"
        inv = books.issue_invoice(books.create_invoice(c.id, lines(), "usd", now=T1).id, now=T1)
        args = dict(success_url="https://books.test/ok", cancel_url="https://books.test/no",
                    base_url=fake.url, now=T1)
        first = books.payment_link(inv.id, LOCALSTRIPE_KEY, save_card=True, **args)
        assert first["created"] is True and first["amount"] == Decimal("297.00")
        assert isinstance(first["expires_at"], datetime.datetime)
        again = books.payment_link(inv.id, LOCALSTRIPE_KEY, save_card=True, **args)
        assert again["url"] == first["url"] and again["created"] is False
        creates = [p for p in fake.posts if p[0] == "/v1/checkout/sessions"]
        assert len(creates) == 1
        path, form, key = creates[0]
        assert form["mode"] == "payment" and form["customer"] == "cus_fake1"
        assert form["client_reference_id"] == inv.id
        assert form["payment_intent_data[setup_future_usage]"] == "off_session"
        assert form["line_items[0][price_data][unit_amount]"] == "29700"
        assert form["metadata[tieout_key]"] == key
    finally:
        fake.server.shutdown()

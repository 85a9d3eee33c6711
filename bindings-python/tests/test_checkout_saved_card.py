"""A signed checkout.session.completed webhook for an own invoice whose
payment intent saved the card: applying it pays the invoice and makes the card
the customer's default for auto-pay (opted in via the checkout), in one
commit; a second delivery changes nothing; a checkout that did not ask to save
the card opts nobody in."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal
from pathlib import Path
from typing import Any, Dict

import tieout

SECRET = "whsec_saved_card_py"
T = 1_760_000_000
UTC = datetime.timezone.utc


def completed(evt: str, cs: str, invoice: str, pm: str, save: bool) -> Dict[str, Any]:
    intent = {
        "id": f"pi_{cs}", "object": "payment_intent", "status": "succeeded",
        "amount": 12000, "amount_received": 12000, "currency": "usd",
        "customer": "cus_acme", "payment_method": pm,
        "setup_future_usage": "off_session" if save else None,
        "metadata": {"invoice": invoice, "tieout_invoice": invoice},
        "created": T - 30, "livemode": False,
    }
    return {
        "id": evt, "object": "event", "type": "checkout.session.completed", "created": T,
        "api_version": "2025-03-31.basil", "livemode": False,
        "data": {"object": {
            "id": cs, "object": "checkout.session", "mode": "payment", "status": "complete",
            "payment_status": "paid", "amount_total": 12000, "currency": "usd",
            "customer": "cus_acme", "client_reference_id": invoice,
            "metadata": {"invoice": invoice, "tieout_invoice": invoice},
            "payment_intent": intent, "created": T - 60, "livemode": False,
        }},
    }


def deliver(books: tieout.Books, event: Dict[str, Any]) -> tieout.EventOutcome:
    payload = json.dumps(event).encode()
    header = tieout.sign_webhook(payload, SECRET, timestamp=T)
    return books.apply_event(tieout.verify_webhook(payload, header, SECRET, now=T + 1))


def own_invoice(books: tieout.Books, customer_id: str) -> str:
    draft = books.create_invoice(customer_id, [{"description": "Support", "unit_amount": Decimal("120.00")}],
                                 "usd", now=datetime.datetime(2026, 3, 1, tzinfo=UTC))
    return str(books.issue_invoice(draft.id).id)


def test_checkout_webhook_saves_the_card_with_the_payment(tmp_path: Path) -> None:
    books = tieout.Books.open(str(tmp_path / "books.db"))
    books.set_default_account("acct_W")
    acme = books.create_customer("Acme", "ap@acme.test")
    globex = books.create_customer("Globex", "ap@globex.test")
    inv = own_invoice(books, acme.id)
    other = own_invoice(books, globex.id)

    out = deliver(books, completed("evt_1", "cs_py", inv, "pm_saved", True))
    assert out.status == tieout.EventStatus.APPLIED
    assert any("saved by checkout cs_py" in n for n in out.notes), out.notes
    status = {i.id: i.status for i in books.invoices()}
    assert status[inv] == "paid"
    setting = books.auto_pay(acme.id)
    assert setting is not None
    assert setting["enabled"] is True and setting["payment_method"] == "pm_saved"
    assert setting["enabled_via"] == {"kind": "checkout", "session": "cs_py"}
    assert setting["enabled_at"] == datetime.datetime.fromtimestamp(T, UTC)

    again = deliver(books, completed("evt_1", "cs_py", inv, "pm_saved", True))
    assert again.status == tieout.EventStatus.DUPLICATE
    assert books.auto_pay(acme.id) == setting
    assert len(books.payments()) == 1
    assert sum(1 for h in books.history() if h.source == "books:autopay") == 1

    # A checkout that did not ask to save the card: paid, nobody opted in.
    plain = deliver(books, completed("evt_2", "cs_plain", other, "pm_other", False))
    assert plain.status == tieout.EventStatus.APPLIED
    assert {i.id: i.status for i in books.invoices()}[other] == "paid"
    assert books.auto_pay(globex.id) is None

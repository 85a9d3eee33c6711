"""Stripe fidelity (issue 13): shapes real accounts send, read the way Stripe means them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Callable, Dict, List
from pathlib import Path

import tieout
from conftest import charge, customer

StripeDir = Callable[[List[Dict[str, Any]]], Path]


def test_subscription_currency_from_items_when_not_on_the_subscription(
        stripe_dir: StripeDir) -> None:
    sub = {"id": "sub_1", "object": "subscription", "customer": "cus_A", "status": "active",
           "created": 1700000000, "start_date": 1700000000,
           "current_period_start": 1700000000, "current_period_end": 1702592000,
           "items": {"object": "list", "data": [{"id": "si_1", "quantity": 2, "plan": {
               "id": "plan_1", "object": "plan", "currency": "usd", "amount": 1500,
               "interval": "month", "interval_count": 1}}]}}
    books = tieout.Books.in_memory()
    run = books.import_(tieout.StripeFiles(stripe_dir([customer("cus_A", "A"), sub])))
    assert run.failures == []
    [s] = books.subscriptions()
    assert s.currency == "USD" and s.amount == Decimal("30.00")


def test_charge_amount_refunded_is_the_total_without_refund_objects(
        stripe_dir: StripeDir) -> None:
    ch = charge("ch_A", 1500, "usd", "cus_A")
    ch["amount_refunded"] = 500
    books = tieout.Books.in_memory()
    books.import_(tieout.StripeFiles(stripe_dir([customer("cus_A", "A"), ch])))
    [p] = books.payments()
    assert p.refunded == Decimal("5.00") and p.unapplied == Decimal("10.00")
    assert p.amount == p.allocated + p.unapplied + p.refunded + p.disputed
    # A refund record for the same money adds detail, not a second 5.00.
    refund = {"id": "re_1", "object": "refund", "amount": 500, "currency": "usd",
              "status": "succeeded", "charge": "ch_A", "created": 1700000500}
    books.import_(tieout.StripeFiles(stripe_dir([refund])))
    [p] = books.payments()
    assert p.refunded == Decimal("5.00") and len(books.refunds()) == 1


def _credit_note(pre: int, status: str = "issued") -> Dict[str, Any]:
    return {"id": "cn_1", "object": "credit_note", "invoice": "in_A", "customer": "cus_A",
            "currency": "usd", "amount": pre, "pre_payment_amount": pre,
            "post_payment_amount": 0, "status": status, "type": "pre_payment",
            "reason": "order_change", "number": "CN-1", "created": 1700000500,
            "lines": {"object": "list", "has_more": False, "data": [
                {"id": "cnli_1", "object": "credit_note_line_item", "type": "invoice_line_item",
                 "invoice_line_item": "il_in_A_0", "amount": pre, "quantity": 1}]}}


def test_credit_note_reduces_what_is_open_and_the_report_adds_up(stripe_dir: StripeDir) -> None:
    from conftest import invoice
    books = tieout.Books.in_memory()
    books.import_(tieout.StripeFiles(stripe_dir([
        customer("cus_A", "A"), invoice("in_A", "cus_A", "usd", [10000], False),
        _credit_note(3000)])))
    [cn] = books.credit_notes()
    assert isinstance(cn, tieout.CreditNote)
    assert cn.invoice_ref == "in_A" and cn.pre_payment_amount == Decimal("30.00")
    assert cn.post_payment_amount == Decimal("0") and cn.reason == "order_change"
    assert cn.lines[0].invoice_line_ref == "il_in_A_0" and cn.lines[0].kind == "invoice_line_item"
    [inv] = books.invoices()
    assert cn.invoice_id == inv.id
    assert inv.amount_credited == Decimal("30.00") and inv.amount_remaining == Decimal("70.00")
    totals = books.report().totals["USD"]
    assert totals.credited == Decimal("30.00") and totals.open == Decimal("70.00")
    assert totals.invoiced == totals.paid + totals.written_off + totals.open + totals.credited
    assert totals.adds_up


def test_void_invoice_is_not_receivable(stripe_dir: StripeDir) -> None:
    from conftest import invoice
    void = invoice("in_V", "cus_A", "usd", [15000], False)
    void["status"] = "void"
    books = tieout.Books.in_memory()
    books.import_(tieout.StripeFiles(stripe_dir([customer("cus_A", "A"), void])))
    [inv] = books.invoices()
    assert inv.status == tieout.InvoiceStatus.VOID
    assert inv.amount_remaining == 0 and inv.total == Decimal("150.00")
    assert "USD" not in books.report().totals or books.report().totals["USD"].open == 0


def _truncated_invoice() -> Dict[str, Any]:
    """374.10 in total; two of its three lines embedded, `has_more` true."""
    lines = [{"id": f"il_T{i}", "object": "line_item", "amount": a, "currency": "usd",
              "quantity": 1, "description": f"line {i}"}
             for i, a in enumerate([20000, 10000])]
    return {"id": "in_T", "object": "invoice", "customer": "cus_A", "currency": "usd",
            "status": "open", "number": "T-1", "created": 1700000000,
            "subtotal": 34010, "total": 37410, "amount_due": 37410, "amount_paid": 0,
            "amount_remaining": 37410, "tax": 3400,
            "status_transitions": {"finalized_at": 1700000100},
            "lines": {"object": "list", "has_more": True, "data": lines}}


def test_truncated_line_list_is_kept_flagged_noted_and_never_summed(
        stripe_dir: StripeDir) -> None:
    src = tieout.StripeFiles(stripe_dir([customer("cus_A", "A"), _truncated_invoice()]))
    books = tieout.Books.in_memory()
    plan = tieout.ImportPlan()
    review = books.review(src, plan)
    assert any("in_T" in n and "lines_complete" in n for n in review.notes), review.notes
    run = books.import_(src, plan, approval=review.approval)
    assert run.failures == [] and any("in_T" in n for n in run.notes), run.notes
    [inv] = books.invoices()
    assert inv.lines_complete is False and len(inv.lines) == 2
    assert str(inv.total) == "374.10"
    [issued] = [e for e in books.journal_entries().entries if e.id == "inv:in_T:issued"]
    revenue = [p for p in issued.postings if p.account == "Income:Sales"]
    assert [str(p.amount) for p in revenue] == ["-340.10"], issued.postings
    assert sum((p.amount for p in issued.postings), Decimal(0)) == 0


def test_event_with_a_truncated_line_list_says_so() -> None:
    import json
    body = json.dumps({"id": "evt_T", "object": "event", "type": "invoice.finalized",
                       "created": 1700000200, "api_version": "2025-03-31.basil",
                       "livemode": False, "data": {"object": _truncated_invoice()}})
    header = tieout.sign_webhook(body, "whsec_t", 1700000200)
    event = tieout.verify_webhook(body, header, "whsec_t", tolerance=None)
    books = tieout.Books.in_memory()
    outcome = books.apply_event(event)
    assert any("in_T" in n for n in outcome.notes), outcome.notes
    [inv] = books.invoices()
    assert inv.lines_complete is False


def test_amounts_carry_their_currency_scale(stripe_dir: StripeDir) -> None:
    # Computed amounts (nothing paid, nothing refunded) read 0.00, not 0.
    ch = charge("ch_S", 1500, "usd", "cus_A")
    books = tieout.Books.in_memory()
    books.import_(tieout.StripeFiles(stripe_dir([customer("cus_A", "A"), ch])))
    [p] = books.payments()
    assert (str(p.refunded), str(p.allocated), str(p.unapplied)) == ("0.00", "0.00", "15.00")
    t = books.report().totals["USD"]
    assert str(t.invoiced) == "0.00" and str(t.refunded) == "0.00"

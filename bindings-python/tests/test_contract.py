"""Every contract call of the Python package, on in-memory books and small sources."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest

import tieout
from conftest import EXAMPLES, charge, customer, invoice

UTC = dt.timezone.utc


def test_all_names_exist_and_are_public() -> None:
    for name in tieout.__all__:
        assert hasattr(tieout, name), name
    assert tieout.__version__


def test_import_plan_options_and_hash() -> None:
    default = tieout.ImportPlan()
    assert default.customer_resolution == "stripe"
    assert default.fixed_customer is None
    assert "invoices" in default.objects and "payouts" in default.objects
    assert default.allow_live is False
    assert len(default.hash) == 64
    plan = tieout.ImportPlan(
        objects=["customers", "invoices", "payments"],
        customer_resolution="fixed",
        fixed_customer="cust_1",
        match_by_email=True,
        customer_filter={"exclude": ["cus_X", "x@example.com"]},
        created_from=dt.datetime(2025, 1, 1, tzinfo=UTC),
        created_to=dt.date(2025, 12, 31),
        invoice_statuses=[tieout.InvoiceStatus.PAID, "open"],
        paid_invoices="mark_paid_only",
        unpaid_invoices="as_drafts",
        policy=tieout.ReconcilePolicy(order="newest_first", write_off_abs=Decimal("0.05")),
        post_actions=[],
        allow_live=True,
    )
    assert plan.objects == ["customers", "invoices", "payments"]
    assert plan.customer_resolution == "fixed" and plan.fixed_customer == "cust_1"
    assert plan.customer_filter == {"exclude": ["cus_X", "x@example.com"]}
    assert plan.created_from == dt.datetime(2025, 1, 1, tzinfo=UTC)
    assert plan.created_to == dt.datetime(2025, 12, 31, tzinfo=UTC)
    assert plan.invoice_statuses == ["paid", "open"]
    assert plan.paid_invoices == "mark_paid_only" and plan.unpaid_invoices == "as_drafts"
    assert plan.policy.order == "newest_first"
    assert plan.policy.write_off_abs == Decimal("0.05")
    assert plan.match_by_email and plan.allow_live
    assert plan.hash != default.hash
    # Same options, same hash; object order does not matter.
    a = tieout.ImportPlan(objects=["invoices", "customers"])
    b = tieout.ImportPlan(objects=["customers", "invoices"])
    assert a.hash == b.hash and a == b
    # The engine's JSON form round-trips.
    assert tieout.ImportPlan.from_json(plan.to_dict()) == plan
    assert tieout.ImportPlan.from_json('{"allow_live": true}').allow_live
    assert "ImportPlan(" in repr(plan)


def test_import_plan_rejects_bad_options() -> None:
    with pytest.raises(tieout.InvalidArgument):
        tieout.ImportPlan(objects=["unicorns"])
    with pytest.raises(tieout.InvalidArgument):
        tieout.ImportPlan(customer_resolution="fixed")
    with pytest.raises(tieout.InvalidArgument):
        tieout.ImportPlan(customer_filter={"allow": ["a"], "exclude": ["b"]})
    with pytest.raises(tieout.InvalidArgument):
        tieout.ImportPlan(created_from=dt.datetime(2025, 1, 1))  # naive
    with pytest.raises(tieout.InvalidArgument):
        tieout.ImportPlan(invoice_statuses=["sent"])
    with pytest.raises(tieout.InvalidArgument):
        tieout.ImportPlan(paid_invoices="sometimes")
    with pytest.raises(tieout.InvalidArgument):
        tieout.ReconcilePolicy(write_off_abs=0.05)  # float: inexact
    with pytest.raises(ValueError):  # InvalidArgument is a ValueError too
        tieout.ReconcilePolicy(order="random")


def test_sources_construct_and_verify(tmp_path: Path) -> None:
    files = tieout.StripeFiles(EXAMPLES)
    assert Path(files.dir) == EXAMPLES
    acct = files.verify()
    assert isinstance(acct, tieout.AccountInfo)
    assert acct.system == "stripe" and acct.livemode is False
    labelled = tieout.StripeFiles(str(EXAMPLES), account="acct_label")
    assert labelled.verify().account == "acct_label"
    src = tieout.StripeSource("sk_test_abc123", base_url="http://127.0.0.1:9", max_retries=0,
                              timeout=1.5, max_requests_per_second=5, page_limit=10, shards=1)
    assert src.livemode is False and src.key_kind == "secret"
    assert "abc123" not in repr(src)
    assert isinstance(src.events(), tieout.StripeEvents)
    rk = tieout.StripeSource("rk_live_abc123")
    assert rk.livemode is True and rk.key_kind == "restricted"
    with pytest.raises(tieout.FileError):
        tieout.StripeFiles(tmp_path / "missing")


def test_books_queries_start_empty() -> None:
    books = tieout.Books.in_memory()
    for q in (books.customers, books.invoices, books.payments, books.allocations,
              books.subscriptions, books.payouts, books.refunds, books.disputes,
              books.balance_transactions, books.bank_lines, books.products, books.prices,
              books.history):
        assert q() == []
    assert books.default_account() is None
    books.set_default_account("acct_1")
    assert books.default_account() == "acct_1"


def test_create_customer_and_fixed_customer_import(stripe_dir) -> None:  # type: ignore[no-untyped-def]
    books = tieout.Books.in_memory()
    fixed = books.create_customer("Stripe Customer", email="stripe@example.com")
    assert fixed.name == "Stripe Customer" and fixed.kind == tieout.CustomerKind.COMPANY
    assert fixed.source is None and fixed.id
    person = books.create_customer("Ada", kind="contact")
    assert person.kind == "contact"
    with pytest.raises(tieout.InvalidArgument):
        books.create_customer("X", kind="robot")
    src = tieout.StripeFiles(stripe_dir([
        customer("cus_A", "A Co", "a@x.com"),
        invoice("in_A", "cus_A", "usd", [1000], True, "ch_A"),
        charge("ch_A", 1000, "usd", "cus_A", "in_A"),
    ]))
    plan = tieout.ImportPlan(customer_resolution="fixed", fixed_customer=fixed)
    books.import_(src, plan)
    [inv] = books.invoices()
    assert inv.customer_id == fixed.id
    assert inv.customer_ref is not None and inv.customer_ref.external_id == "cus_A"
    assert books.invoices(customer_id=fixed.id) == [inv]
    assert books.invoices(status="paid") == [inv]
    assert books.invoices(status=tieout.InvoiceStatus.OPEN) == []
    with pytest.raises(tieout.InvalidArgument):
        books.invoices(status="sent")


def test_review_writes_nothing_and_import_applies(stripe_dir) -> None:  # type: ignore[no-untyped-def]
    books = tieout.Books.in_memory()
    src = tieout.StripeFiles(stripe_dir([
        customer("cus_A", "A Co"),
        invoice("in_A", "cus_A", "usd", [500, 250], True, "ch_A"),
        charge("ch_A", 750, "usd", "cus_A", "in_A"),
    ]))
    plan = tieout.ImportPlan()
    review = books.review(src, plan)
    assert isinstance(review, tieout.Review)
    assert review.plan_hash == plan.hash
    assert isinstance(review.approval, tieout.Approval) and review.approval.token.startswith("apv_")
    assert review.total_counts.created >= 3
    assert {e.action for e in review.entries} <= set(tieout.Action)
    assert review.counts["invoice"].created == 1
    assert review.totals["invoice"]["USD"].amount == Decimal("7.50")
    assert len(review.allocations) == 1 and review.allocations[0].amount == Decimal("7.50")
    assert review.failures == []
    assert books.invoices() == [] and books.history() == []
    summary = review.summary
    assert isinstance(summary, tieout.ReviewSummary)
    assert summary.account == review.account.account and summary.livemode is False
    assert summary.customer_resolution == "from_source" and summary.fixed_customer is None
    assert summary.paid_invoices == "record_payment" and summary.write_off_abs == Decimal("0")
    assert "invoices" in summary.objects
    assert review.summary_text.startswith("Import plan\n")
    assert "Paid invoices" in review.summary_text and "USD 7.50" in review.summary_text
    rows = review.to_rows()
    assert rows and set(rows[0]) == {"object", "external_id", "books_id", "action", "detail"}
    run = books.import_(src, plan, approval=review.approval)
    assert isinstance(run, tieout.ImportRun)
    assert run.status == tieout.RunStatus.SUCCEEDED
    assert run.created == review.total_counts.created
    assert run.plan_hash == plan.hash
    assert run.started_at.tzinfo is not None and run.finished_at is not None
    # The approval token as a plain string works too.
    again = books.import_(src, plan, approval=review.approval.token)
    assert again.created == 0 and again.updated == 0
    [pay] = books.payments()
    assert pay.external_ids[0] == "ch_A"
    [alloc] = books.allocations()
    assert alloc.payment_id == pay.id and alloc.strategy == tieout.MatchStrategy.EXPLICIT_LINK
    assert alloc.reason.detail


def test_records_are_frozen_with_repr_dict_and_rows(stripe_dir) -> None:  # type: ignore[no-untyped-def]
    books = tieout.Books.in_memory()
    books.import_(tieout.StripeFiles(EXAMPLES))
    inv = books.invoices()[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        inv.total = Decimal(0)  # type: ignore[misc]
    text = repr(inv)
    assert text.startswith("Invoice(id=") and "total=Decimal(" in text
    d = inv.to_dict()
    assert d["id"] == inv.id and isinstance(d["total"], Decimal)
    assert d["source"]["system"] == "stripe" and d["source"]["object"] == "invoice"
    assert isinstance(d["status"], str) and not isinstance(d["status"], tieout.InvoiceStatus)
    assert json.dumps(d, default=str)
    for record in (books.customers() + books.invoices() + books.payments() + books.payouts()
                   + books.subscriptions() + books.refunds() + books.balance_transactions()):
        src = getattr(record, "source")
        if src is not None:
            assert src.system == "stripe" and src.external_id and src.account
            assert src.updated_at is None or src.updated_at.tzinfo is not None
    rows = tieout.to_rows(books.invoices())
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    parsed = list(csv.DictReader(io.StringIO(buf.getvalue())))
    assert len(parsed) == len(books.invoices())
    assert {r["source.external_id"] for r in parsed} == {i.source.external_id for i in books.invoices()}
    assert Decimal(parsed[0]["total"]) == books.invoices()[0].total


def test_subscriptions_payouts_and_history_fields() -> None:
    books = tieout.Books.in_memory()
    books.import_(tieout.StripeFiles(EXAMPLES))
    subs = books.subscriptions()
    assert subs
    for s in subs:
        assert isinstance(s.amount, Decimal) and s.interval_count >= 1
        assert s.status in set(tieout.SubscriptionStatus) or isinstance(s.status, str)
        assert isinstance(s.items, list)
    [po] = books.payouts()
    assert isinstance(po.amount, Decimal) and isinstance(po.arrival_date, dt.date)
    assert po.balance_transaction_ids
    [run] = books.history()
    assert run.failures == [] and run.by_object["invoice"].created >= 1


def test_reconcile_bank_statement_and_manual_allocation() -> None:
    books = tieout.Books.in_memory()
    books.import_(tieout.StripeFiles(EXAMPLES))
    statement = (EXAMPLES / "bank_statement.csv").read_text()
    lines = books.import_bank_csv(statement)
    assert lines and all(isinstance(l.amount, Decimal) for l in lines)
    assert books.import_bank_csv(statement, {"date": "date", "amount": "amount"}) == lines
    assert len(books.bank_lines()) == len(lines)
    matched = books.match_payouts()
    assert isinstance(matched, tieout.PayoutMatchReport)
    assert matched.pairs and matched.pairs[0].amount == books.payouts()[0].amount
    assert books.payouts()[0].deposit_id == matched.pairs[0].bank_line_id
    report = books.reconcile(tieout.ReconcilePolicy())
    assert isinstance(report, tieout.ReconcileReport)
    assert report.adds_up and all(t.adds_up for t in report.totals.values())
    assert report.allocations and isinstance(report.allocations[0].amount, Decimal)
    assert report == books.report()
    rows = report.to_rows()
    assert rows and all("section" in r for r in rows)
    assert {r["section"] for r in rows} >= {"allocation", "total"}
    assert len({tuple(r) for r in rows}) == 1  # every row has every column
    # Manual allocation: JPY payment (unapplied) to nothing fits; use USD open invoice.
    open_usd = [i for i in books.invoices(status="open") if i.currency == "USD"]
    unapplied = [p for p in books.payments() if p.unapplied > 0 and p.currency == "USD"]
    if open_usd and unapplied:
        amount = min(open_usd[0].amount_remaining, unapplied[0].unapplied)
        a = books.allocate(unapplied[0].id, open_usd[0].id, amount, note="by hand")
        assert a.strategy == tieout.MatchStrategy.MANUAL and a.amount == amount
        books.unallocate(a.id)
        assert a.id not in {x.id for x in books.allocations()}
    inv = books.invoices(status="paid")[0]
    pay = books.payments()[0]
    with pytest.raises(tieout.TieoutError):
        books.allocate(pay.id, inv.id, Decimal("1000000"))
    with pytest.raises(tieout.InvalidArgument):
        books.allocate(pay.id, inv.id, 1.5)  # type: ignore[arg-type]


def test_register_action_runs_after_import() -> None:
    books = tieout.Books.in_memory()
    seen = []
    books.register_action("notify", lambda run: seen.append(run.id))
    run = books.import_(tieout.StripeFiles(EXAMPLES), tieout.ImportPlan(post_actions=["notify"]))
    assert seen == [run.id]

    def boom(run: tieout.ImportRun) -> None:
        raise RuntimeError("mail server down")

    books.register_action("boom", boom)
    with pytest.raises(tieout.ActionFailed, match="mail server down"):
        books.import_(tieout.StripeFiles(EXAMPLES), tieout.ImportPlan(post_actions=["boom"]))
    with pytest.raises(tieout.InvalidArgument):
        books.import_(tieout.StripeFiles(EXAMPLES), tieout.ImportPlan(post_actions=["nope"]))

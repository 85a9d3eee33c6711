"""tieout quickstart in Python: import the shipped Stripe sample into SQLite
books with review -> approve -> import, then show what the books hold, ending
with the sample's journal entries and its Stripe balance statement.

    python examples/python/quickstart.py [books.db]

Without an argument the books go to a temporary directory.
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Optional

import tieout

DATA = Path(__file__).resolve().parents[1] / "data"


def main(argv: list[str]) -> int:
    db = Path(argv[1]) if len(argv) > 1 else Path(tempfile.mkdtemp()) / "books.db"
    books = tieout.Books.open(db)
    source = tieout.StripeFiles(DATA)
    plan = tieout.ImportPlan()

    # 1. Review: the whole import, nothing written.
    review = books.review(source, plan)
    c = review.total_counts
    print(f"Review of {review.account.account}: {c.created} to create, {c.updated} to update, "
          f"{c.unchanged} unchanged, {c.skipped} skipped, {c.failed} failed")
    for obj, per_currency in sorted(review.totals.items()):
        for currency, total in sorted(per_currency.items()):
            print(f"  {obj:<20} {total.count:>3}  {total.amount:>12} {currency}")

    # 2. Approve: a person (here: this script) accepts the review; the token binds
    #    the approval to this exact plan and account.
    approval = review.approval

    # 3. Import, with progress.
    run = books.import_(source, plan, approval=approval,
                        progress=lambda done, total, failures: print(
                            f"  imported {done}/{total}, {failures} failed"))
    print(f"Import {run.id}: {run.status.value}, {run.created} created, {run.updated} updated")

    print("\nInvoices")
    for inv in books.invoices():
        print(f"  {inv.number or inv.source.external_id:<12} {inv.status.value:<15} "
              f"{inv.total:>10} {inv.currency}  open {inv.amount_remaining} {inv.currency}")
    print("\nPayments")
    for p in books.payments():
        sc = p.settlement_currency or p.currency  # fee and net are in the settlement currency
        print(f"  {p.source.external_id:<20} {p.amount:>10} {p.currency}  fee {p.fee} {sc}  "
              f"allocated {p.allocated} {p.currency}  unapplied {p.unapplied} {p.currency}  "
              f"refunded {p.refunded} {p.currency}")
    print("\nAllocations")
    invoices = {i.id: i for i in books.invoices()}
    for a in books.allocations():
        inv = invoices[a.invoice_id]
        # kind: payment (money of the payment) or write_off (forgiven; both name the payment)
        print(f"  {a.kind.value:<9} {a.amount:>10} {a.currency} -> {inv.number}  "
              f"({a.strategy.value}: {a.reason.detail})")
    print("\nHistory")
    for h in books.history():
        print(f"  {h.started_at:%Y-%m-%d %H:%M:%S} {h.id} {h.status.value} "
              f"created={h.created} updated={h.updated} unchanged={h.unchanged}")
    print(f"\nBooks written to {db}")
    print_ledger(books)
    return 0


def print_ledger(books: tieout.Books) -> None:
    """Into the general ledger: the sample's journal entries (default chart of
    accounts) and its Stripe balance as a bank statement, per currency."""
    journal = books.journal_entries()
    print(f"\nJournal entries ({len(journal.entries)}):")
    for e in journal.entries:
        print(f"  {e.date} {e.id:<34} {e.narration}")
        for p in e.postings:
            print(f"      {p.account:<32} {p.amount:>12} {p.currency}")
    if journal.suspense:
        print(f"  in suspense, to review: {journal.suspense}")
    start = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
    end = dt.datetime(9999, 1, 1, tzinfo=dt.timezone.utc)
    for cur in sorted({t.currency for t in books.balance_transactions()}):
        s = books.stripe_balance(cur, start, end)
        print(f"\nStripe balance {cur}: opening {s.opening} "
              f"(available {s.opening_available}, pending {s.opening_pending})")
        for line in s.lines:
            print(f"  {line.date.date()} {line.transaction_id:<28} {line.part:<5} "
                  f"{line.category:<10} {line.amount:>12} {line.balance:>12}")
        print(f"  closing {s.closing} (available {s.closing_available}, "
              f"pending {s.closing_pending}); "
              f"tied: {tied(s.unexplained_available, s.unexplained_pending)}")


def tied(available: Optional[Decimal], pending: Optional[Decimal]) -> str:
    """Whether a statement ties to the balance Stripe reported, from what it
    leaves unexplained (None: nothing was reported)."""
    if available is None and pending is None:
        return "not checked (no balance reported by Stripe)"
    if not available and not pending:
        return "yes, to the balance Stripe reported"
    return f"no, unexplained available {available or 0}, pending {pending or 0}"


if __name__ == "__main__":
    sys.exit(main(sys.argv))

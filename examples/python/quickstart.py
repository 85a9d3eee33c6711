"""tieout quickstart in Python: import the shipped Stripe sample into SQLite
books with review -> approve -> import, then show what the books hold.

    python examples/python/quickstart.py [books.db]

Without an argument the books go to a temporary directory.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

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
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

"""Checks that a quickstart's output (Rust, Python or Node) ends with the
sample's journal entries and its Stripe balance statement, against what the
installed tieout package computes from the books the quickstart wrote:

    python scripts/check_quickstart.py OUTPUT_FILE BOOKS_DB

The entry count printed equals the library's journal length, every entry id
appears, and each settlement currency's statement is there with its opening,
every line's transaction id, and its closing balance and tie status.
Exits non-zero (with what is missing) otherwise.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import tieout


def main(out_file: str, db: str) -> int:
    out = Path(out_file).read_text()
    books = tieout.Books.open(db)
    journal = books.journal_entries()
    missing = []
    if not journal.entries:
        missing.append("journal entries in the books")
    header = f"Journal entries ({len(journal.entries)}):"
    if header not in out:
        missing.append(header)
    ledger = out[out.find("Journal entries ("):]
    missing += [e.id for e in journal.entries if f" {e.id} " not in ledger]
    start = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
    end = dt.datetime(9999, 1, 1, tzinfo=dt.timezone.utc)
    currencies = sorted({t.currency for t in books.balance_transactions()})
    if not currencies:
        missing.append("a settlement currency in the sample")
    for cur in currencies:
        s = books.stripe_balance(cur, start, end)
        opening = f"Stripe balance {cur}: opening {s.opening} "
        at = ledger.find(opening)
        if at < 0:
            missing.append(opening)
            continue
        section = ledger[at:]
        missing += [line.transaction_id for line in s.lines if line.transaction_id not in section]
        closing = (f"  closing {s.closing} (available {s.closing_available}, "
                   f"pending {s.closing_pending}); tied: ")
        if closing not in section:
            missing.append(closing)
    if missing:
        print("the quickstart's journal and Stripe balance statement lack:", *missing, sep="\n  ")
        return 1
    print(f"quickstart output: {len(journal.entries)} journal entries and the "
          f"statement of {', '.join(currencies)} as the library computes them")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))

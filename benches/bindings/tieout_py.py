"""tieout through Python, as a user's script: StripeFiles -> review -> import_
into SQLite books.

    python tieout_py.py DIR DB
"""

from __future__ import annotations

import sys

import tieout


def main(src: str, db: str) -> None:
    books = tieout.Books.open(db)
    source = tieout.StripeFiles(src)
    plan = tieout.ImportPlan()
    review = books.review(source, plan)
    run = books.import_(source, plan, approval=review.approval)
    if run.status.value != "succeeded" or run.failed:
        raise SystemExit(f"import {run.id}: {run.status.value}, {run.failed} failed")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])

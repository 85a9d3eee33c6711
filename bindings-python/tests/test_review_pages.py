"""A review's entries are paged from its spill file, and an import with its
approval applies what was reviewed (no second read of the source)."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import List

import pytest
import tieout
from conftest import EXAMPLES, customer


def _spills() -> List[str]:
    prefix = f"tieout-review-{os.getpid()}-"
    return [n for n in os.listdir(tempfile.gettempdir()) if n.startswith(prefix)]


def test_entries_are_a_paged_sequence_and_the_import_applies_the_review(tmp_path: Path) -> None:
    books = tieout.Books.open(str(tmp_path / "books.db"))
    src = tieout.StripeFiles(str(EXAMPLES))
    before = len(_spills())
    review = books.review(src)
    assert len(_spills()) == before + 1, "the review spilled its entries and changes"
    entries = review.entries
    assert isinstance(entries, tieout.ReviewEntries)
    everything = list(entries)
    assert len(entries) == len(everything) > 10
    assert all(isinstance(e, tieout.ReviewEntry) for e in everything)
    assert entries[0] == everything[0] and entries[-1] == everything[-1]
    assert entries[2:7] == everything[2:7]
    assert review.entries_page(3, 4) == everything[3:7]
    assert review.entries_page(len(everything), 10) == []
    assert entries == everything
    c = review.total_counts
    assert len(entries) == c.created + c.updated + c.unchanged + c.skipped + c.failed
    assert review.to_dict()["entries"][0]["external_id"] == everything[0].external_id

    # The allocations are paged from the spill too, in id order.
    allocs = review.allocations
    assert isinstance(allocs, tieout.ReviewAllocations)
    shown = list(allocs)
    assert len(allocs) == len(shown) > 1
    assert all(isinstance(a, tieout.Allocation) for a in shown)
    assert [a.id for a in shown] == sorted(a.id for a in shown)
    assert allocs[0] == shown[0] and allocs[-1] == shown[-1] and allocs[1:3] == shown[1:3]
    assert allocs.page(len(shown), 5) == []
    assert allocs == shown and allocs != shown[1:]
    assert review.allocations_page(1, 1) == shown[1:2]
    assert review.to_dict()["allocations"][0]["id"] == shown[0].id
    removed = review.allocations_removed
    assert isinstance(removed, tieout.ReviewRemovals)
    assert removed == sorted(removed) and all(isinstance(i, str) for i in removed)
    assert not set(removed) & {a.id for a in shown}

    run = books.import_(src, approval=review.approval)
    assert any("applied the reviewed changes" in n for n in run.notes), run.notes
    assert run.created == c.created
    assert sorted(books.allocations(), key=lambda a: a.id) == shown
    again = books.import_(src)
    assert again.created == 0 and again.updated == 0

    del review, entries, allocs, removed
    gc.collect()
    assert len(_spills()) == before, "the spill goes with the review"


def test_a_review_of_changed_books_is_planned_again(stripe_dir) -> None:  # type: ignore[no-untyped-def]
    books = tieout.Books.in_memory()
    src = tieout.StripeFiles(stripe_dir([customer("cus_A", "A Co"), customer("cus_B", "B Co")]))
    review = books.review(src)
    books.create_customer("Walk-in")
    run = books.import_(src, approval=review.approval)
    assert any("books changed since the review" in n for n in run.notes), run.notes
    assert len(books.customers()) == 3


def test_a_review_whose_process_was_killed_leaves_a_spill_the_next_review_removes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A child reviews (its spill lives with its Review object), says so, and
    # waits; it is killed there, as a crash or `kill -9` would leave it.
    spills = tmp_path / "tmp"
    spills.mkdir()
    child = (
        "import sys, time, tieout\n"
        "books = tieout.Books.open(sys.argv[1])\n"
        "review = books.review(tieout.StripeFiles(sys.argv[2]))\n"
        "print('reviewed', flush=True)\n"
        "time.sleep(600)\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", child, str(tmp_path / "child.db"), str(EXAMPLES)],
        env={**os.environ, "TMPDIR": str(spills)},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "reviewed"
        left = sorted(spills.glob("tieout-review-*"))
        assert len(left) == 1 and (left[0] / "owner.lock").exists()
        assert (left[0] / "stage.db").exists(), "the staging file is the bulk of a spill"
    finally:
        proc.kill()
        proc.wait()
    assert left[0].exists(), "a killed process removes nothing"

    # The next review, in this process, removes the dead one's spill and
    # keeps its own while its Review object lives.
    monkeypatch.setenv("TMPDIR", str(spills))
    books = tieout.Books.open(str(tmp_path / "books.db"))
    review = books.review(tieout.StripeFiles(str(EXAMPLES)))
    assert not left[0].exists()
    mine = sorted(spills.glob("tieout-review-*"))
    assert len(mine) == 1 and mine[0].name.startswith(f"tieout-review-{os.getpid()}-")
    # A live spill is never taken for a dead one: a second review keeps it.
    again = books.review(tieout.StripeFiles(str(EXAMPLES)))
    assert mine[0].exists()
    assert len(list(spills.glob("tieout-review-*"))) == 2
    del review, again
    gc.collect()
    assert list(spills.glob("tieout-review-*")) == []

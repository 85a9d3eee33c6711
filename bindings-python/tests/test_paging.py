"""Lazy, filtered, paged iteration over the books (`Books.iter_invoices` and friends)."""

from __future__ import annotations

import datetime
import itertools
from typing import Any, Dict, List

import pytest

import tieout
from conftest import T0, customer, invoice, write_stripe_dir

DAY = 86_400
N = 1_200


@pytest.fixture(scope="module")
def books(tmp_path_factory: pytest.TempPathFactory) -> tieout.Books:
    """1,200 invoices of two customers in two currencies, imported once for the module."""
    tmp_path = tmp_path_factory.mktemp("paging")
    objects: List[Dict[str, Any]] = [customer("cus_A", "Acme"), customer("cus_B", "Bluebird")]
    for n in range(N):
        inv = invoice(f"in_{n:05d}", "cus_A" if n % 3 else "cus_B", "usd" if n % 4 else "eur",
                      [1000 + n], paid=False, created=T0 + (n * 7919 % N) * 60)
        inv["due_date"] = T0 + (n % 30) * DAY
        objects.append(inv)
    books = tieout.Books.open(str(tmp_path / "books.db"))
    books.import_(tieout.StripeFiles(str(write_stripe_dir(tmp_path / "stripe", objects))))
    return books


def test_iterating_reads_one_page_at_a_time(books: tieout.Books) -> None:
    it = books.iter_invoices(page_size=100)
    assert it.pages_fetched == 0, "nothing is read before the first record is asked for"
    first = next(it)
    assert isinstance(first, tieout.Invoice)
    assert it.pages_fetched == 1
    taken = [first] + list(itertools.islice(it, 249))
    assert it.pages_fetched == 3, "250 records need three pages of 100, no more"
    rest = list(it)
    assert it.pages_fetched == N // 100, "one fetch per page, none past the last"
    ids = [i.id for i in taken + rest]
    assert len(ids) == N
    assert ids == sorted(ids), "ordered by the stable key (the id)"
    assert ids == [i.id for i in books.invoices()], "the same invoices as the list call"
    assert it.cursor is None


def test_filters_match_the_list_call(books: tieout.Books) -> None:
    everything = books.invoices()
    customer_b = next(c.id for c in books.customers() if c.name == "Bluebird")
    got = [i.id for i in books.iter_invoices(customer_id=customer_b, currency="EUR", page_size=7)]
    want = [i.id for i in everything if i.customer_id == customer_b and i.currency == "EUR"]
    assert got == want and want

    start = datetime.datetime.fromtimestamp(T0 + 200 * 60, tz=datetime.timezone.utc)
    end = datetime.datetime.fromtimestamp(T0 + 400 * 60, tz=datetime.timezone.utc)
    ranged = list(books.iter_invoices(created_from=start, created_to=end, page_size=33))
    want_range = sorted(
        (i for i in everything if i.source.created_at is not None and start <= i.source.created_at < end),
        key=lambda i: (i.source.created_at, i.id))
    assert [i.id for i in ranged] == [i.id for i in want_range] and len(ranged) == 200

    due = list(books.iter_invoices(due_to=datetime.datetime.fromtimestamp(T0 + 3 * DAY, tz=datetime.timezone.utc).date(), status="open"))
    assert due and all(i.due_date is not None and i.status == "open" for i in due)
    assert len(due) == len([i for i in everything if i.due_date is not None
                            and i.due_date.timestamp() < (T0 // DAY + 3) * DAY])


def test_a_cursor_resumes_a_walk_later(books: tieout.Books) -> None:
    it = books.iter_invoices(status="open", page_size=50)
    head = list(itertools.islice(it, 50))
    cursor = it.cursor
    assert cursor is not None
    resumed = [i.id for i in books.iter_invoices(status="open", page_size=50, after=cursor)]
    assert [i.id for i in head] + resumed == [i.id for i in books.invoices(status="open")]


def test_other_kinds_and_bad_input(books: tieout.Books) -> None:
    assert [c.id for c in books.iter_customers(page_size=1)] == [c.id for c in books.customers()]
    assert list(books.iter_payments()) == []
    assert [r.id for r in books.iter_records("import_run")] == sorted(r.id for r in books.history())
    with pytest.raises(tieout.TieoutError):
        books.iter_invoices(page_size=0)
    with pytest.raises(tieout.TieoutError):
        books.iter_invoices(after="not a cursor")
    with pytest.raises(tieout.TieoutError):
        books.iter_records("allocation", customer_id="cust_x")
    with pytest.raises(tieout.TieoutError):
        books.iter_records("nonsense")

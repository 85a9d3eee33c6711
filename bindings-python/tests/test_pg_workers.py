"""Shared books on PostgreSQL from several Python processes: one import of a
stream at a time (`Busy` names the holder), and one backfill split between
worker processes, one of them killed with SIGKILL mid-run, ending as one
history entry with the books of a single sequential import.

The server is the one scripts/pg.sh started (TIEOUT_TEST_PG_URL); without it
these tests are skipped locally and fail under CI=true."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any, Iterator, List

import pytest

import tieout

BASE = 1_700_000_000


@pytest.fixture
def pg_url() -> str:
    url = os.environ.get("TIEOUT_TEST_PG_URL", "")
    if not url:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but TIEOUT_TEST_PG_URL is not set: run scripts/test-python.sh")
        pytest.skip("TIEOUT_TEST_PG_URL is not set")
    return url


@pytest.fixture
def schema(pg_url: str) -> Iterator[str]:
    name = "t_pyw_" + uuid.uuid4().hex[:12]
    yield name
    psql = shutil.which("psql")
    if psql:
        subprocess.run([psql, "-q", pg_url, "-c", f"DROP SCHEMA IF EXISTS {name} CASCADE"],
                       check=True, capture_output=True)


def write_data(folder: Path, customers: int, invoices: int) -> None:
    """Stripe JSON: customers and open invoices created a minute apart."""
    cus = [{"id": f"cus_{c:05}", "object": "customer", "created": BASE + c,
            "name": f"Customer {c}", "livemode": False} for c in range(customers)]
    inv = []
    for i in range(invoices):
        amount, created = 1000 + (i * 37) % 90000, BASE + 100 + i * 60
        inv.append({
            "id": f"in_{i:06}", "object": "invoice", "customer": f"cus_{i % customers:05}",
            "currency": "usd", "status": "open", "number": f"INV-{i:06}", "created": created,
            "livemode": False, "subtotal": amount, "total": amount, "amount_due": amount,
            "amount_paid": 0, "amount_remaining": amount, "total_taxes": [],
            "status_transitions": {"finalized_at": created},
            "lines": {"object": "list", "has_more": False, "data": [
                {"id": f"il_{i:06}", "object": "line_item", "amount": amount, "currency": "usd",
                 "description": "Plan", "quantity": 1}]}})
    (folder / "customers.json").write_text(json.dumps({"object": "list", "data": cus}))
    (folder / "invoices.json").write_text(json.dumps({"object": "list", "data": inv}))


PLAN = dict(created_from=BASE - 10, created_to=BASE + 60 * 20_000)

CHILD = """
import json, sys, time, datetime as dt, tieout
url, schema, folder, part = sys.argv[1:5]
# A page can take seconds in a debug build on a busy machine: the holder's
# lease outlives that; a worker's is short, so a killed one is taken over soon.
books = tieout.Books.open(url, schema=schema, commit_records=0, commit_seconds=0,
                          lease_seconds=30 if part == "hold" else 4)
plan = tieout.ImportPlan(
    created_from=dt.datetime.fromtimestamp(%(created_from)d, dt.timezone.utc),
    created_to=dt.datetime.fromtimestamp(%(created_to)d, dt.timezone.utc))
src = tieout.StripeFiles(folder)
if part == "hold":
    def slow(done, total, failures):
        print("holding", flush=True)
        time.sleep(0.4)
        return True
    run = books.import_(src, plan, progress=slow)
    print(json.dumps({"status": run.status.value, "created": run.created}), flush=True)
else:
    r = books.backfill_worker(src, plan, shards=6)
    print(json.dumps({"worker": r.worker, "shards": r.shards, "run": r.run.id,
                      "created": r.run.created}), flush=True)
""" % PLAN


def plan() -> tieout.ImportPlan:
    import datetime as dt
    return tieout.ImportPlan(
        created_from=dt.datetime.fromtimestamp(PLAN["created_from"], dt.timezone.utc),
        created_to=dt.datetime.fromtimestamp(PLAN["created_to"], dt.timezone.utc))


def spawn(pg_url: str, schema: str, folder: Path, part: str) -> "subprocess.Popen[str]":
    return subprocess.Popen([sys.executable, "-c", CHILD, pg_url, schema, str(folder), part],
                            stdout=subprocess.PIPE, text=True)


def dump(books: tieout.Books) -> List[Any]:
    return [books.customers(), books.invoices()]


def test_one_import_of_a_stream_at_a_time(pg_url: str, schema: str, tmp_path: Path) -> None:
    write_data(tmp_path, 20, 1200)
    tieout.Books.open(pg_url, schema=schema)  # migrate before the processes race
    holder = spawn(pg_url, schema, tmp_path, "hold")
    assert holder.stdout is not None
    assert holder.stdout.readline().strip() == "holding"
    books = tieout.Books.open(pg_url, schema=schema)
    with pytest.raises(tieout.Busy) as e:
        books.import_(tieout.StripeFiles(tmp_path), plan())
    assert e.value.code == "BUSY"
    assert f"/pid {holder.pid}/" in str(e.value), str(e.value)
    # Waiting for it works: the import runs once the holder is done.
    patient = tieout.Books.open(pg_url, schema=schema, lock_wait_seconds=120)
    run = patient.import_(tieout.StripeFiles(tmp_path), plan())
    out, _ = holder.communicate(timeout=120)
    first = json.loads(out.strip().splitlines()[-1])
    assert first == {"status": "succeeded", "created": 1220}
    assert run.created == 0 and run.failed == 0
    assert len(books.invoices()) == 1200


def test_a_backfill_over_three_processes_survives_a_kill(
        pg_url: str, schema: str, tmp_path: Path) -> None:
    write_data(tmp_path, 100, 1500)
    tieout.Books.open(pg_url, schema=schema)
    workers = [spawn(pg_url, schema, tmp_path, "worker") for _ in range(3)]
    time.sleep(2)  # mid-run: the shards take longer than that
    os.kill(workers[0].pid, signal.SIGKILL)
    workers[0].wait()
    reports = []
    for w in workers[1:]:
        out, _ = w.communicate(timeout=300)
        assert w.returncode == 0, out
        reports.append(json.loads(out.strip().splitlines()[-1]))
    assert reports[0]["run"] == reports[1]["run"]
    books = tieout.Books.open(pg_url, schema=schema)
    history = books.history()
    assert len(history) == 1, history
    lite = tieout.Books.open(tmp_path / "seq.db")
    seq = lite.import_(tieout.StripeFiles(tmp_path), plan())
    assert (seq.created, seq.updated, seq.failed) == (1600, 0, 0)
    # Invoices count once across the kill (counts commit with the shard's
    # checkpoint); customers may count more: a shard whose invoices name a
    # customer another shard has not imported yet creates it, then that
    # shard updates it.
    assert history[0].by_object["invoice"] == seq.by_object["invoice"]
    assert history[0].failed == 0
    assert dump(books) == dump(lite)
    assert history[0].id == reports[0]["run"]


def test_sqlite_books_refuse_a_backfill_worker(tmp_path: Path) -> None:
    write_data(tmp_path, 2, 3)
    books = tieout.Books.open(tmp_path / "books.db")
    with pytest.raises(tieout.InvalidArgument) as e:
        books.backfill_worker(tieout.StripeFiles(tmp_path), plan())
    assert "PostgreSQL" in str(e.value)

"""The shared test vectors (tests/vectors/*/): Stripe JSON in, expected books out.

The Rust, Python and Node suites run the same directories; see tests/vectors/README.md.
Amounts compare as exact strings (``str(Decimal)``): the books give each amount at its
currency's scale, the same strings as Rust and Node. Only the listed fields."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any, Dict, List

import pytest

import tieout
from conftest import VECTORS


def vector_dirs() -> List[Path]:
    if not VECTORS.is_dir():
        return []
    return sorted(p for p in VECTORS.iterdir() if (p / "expected.json").is_file())


def test_there_are_vectors() -> None:
    assert vector_dirs(), f"no test vectors under {VECTORS}"


def _dec(v: Any) -> Decimal:
    assert not isinstance(v, float), "vector decimals must be strings or ints"
    return Decimal(str(v))


def _check(got: Any, want: Any, what: str) -> None:
    if isinstance(got, Decimal) or isinstance(want, (int, float)) and not isinstance(want, bool):
        assert got == _dec(want), what
    else:
        assert (got.value if hasattr(got, "value") else got) == want, what


@pytest.mark.parametrize("vector", vector_dirs(), ids=lambda p: p.name)
@pytest.mark.parametrize("store", ["memory", "sqlite"])
def test_vector(vector: Path, store: str, tmp_path: Path) -> None:
    expected: Dict[str, Any] = json.loads((vector / "expected.json").read_text())
    books = tieout.Books.in_memory() if store == "memory" else tieout.Books.open(tmp_path / "v.db")
    src = tieout.StripeFiles(vector / "input")
    plan = tieout.ImportPlan(**expected.get("plan", {}))
    run = books.import_(src, plan)
    assert run.failed == 0, run.failures
    invoices = books.invoices()
    payments = books.payments()
    allocations = books.allocations()

    for e in expected.get("invoices", []):
        ext = e["external_id"]
        [inv] = [i for i in invoices if i.source.external_id == ext] or [None]
        assert inv is not None, f"no invoice {ext}"
        for k, v in e.items():
            if k == "external_id":
                continue
            got = getattr(inv, k)
            if isinstance(got, Decimal):
                assert str(got) == v, f"{ext} {k}: {got} != {v}"
            else:
                _check(got, v, f"{ext} {k}")

    def payment_named(source_id: str) -> tieout.Payment:
        found = [p for p in payments if source_id in p.external_ids]
        assert len(found) == 1, f"payments named {source_id}: {found}"
        return found[0]

    for e in expected.get("payments", []):
        ids = e["external_ids"]
        p = payment_named(ids[0])
        for i in ids:
            assert i in p.external_ids, f"payment {p.external_ids} lacks {i}"
        for k, v in e.items():
            if k == "external_ids":
                continue
            got = getattr(p, k)
            if k == "net" and got is None:
                got = Decimal(0)
            if isinstance(got, Decimal):
                assert str(got) == v, f"payment {ids[0]} {k}: {got} != {v}"
            else:
                _check(got, v, f"payment {ids[0]} {k}")
        assert p.amount == p.allocated + p.unapplied + p.refunded + p.disputed

    for e in expected.get("allocations", []):
        [inv] = [i for i in invoices if i.source.external_id == e["invoice"]]
        pay = payment_named(e["payment"])
        found = [a for a in allocations if a.invoice_id == inv.id and a.payment_id == pay.id]
        assert found, f"no allocation {e['payment']} -> {e['invoice']}"
        a = found[0]
        if "amount" in e:
            assert str(a.amount) == e["amount"], f"allocation {a.amount} != {e['amount']}"
        if "strategy" in e:
            assert a.strategy.value == e["strategy"]

    counts = expected.get("counts", {})
    actual = {"customers": len(books.customers()), "invoices": len(invoices),
              "payments": len(payments), "allocations": len(allocations)}
    for k, n in counts.items():
        assert actual[k] == n, f"{k}: {actual[k]} != {n}"

    again = books.import_(src, plan)
    assert (again.created, again.updated) == (0, 0), "re-import changed the books"

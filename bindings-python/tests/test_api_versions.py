"""The API-version matrix (tests/fixtures/api_versions), one pass through Python: the
same facts as each Stripe API version returns them import to the same books."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List

import tieout
from conftest import ROOT

MATRIX = ROOT / "tests" / "fixtures" / "api_versions"


def _versions() -> List[Path]:
    return sorted(p for p in MATRIX.iterdir() if (p / "api").is_dir())


def _facts(books: tieout.Books) -> Dict[str, Any]:
    invoices = {i.source.external_id: (i.status.value, str(i.subtotal), str(i.discount),
                                       str(i.tax), str(i.total), str(i.amount_paid),
                                       str(i.amount_remaining), i.subscription_ref,
                                       i.lines_complete,
                                       [(l.external_id, str(l.amount), str(l.tax), l.price_ref)
                                        for l in i.lines])
                for i in books.invoices()}
    subs = {s.source.external_id: (getattr(s.status, "value", s.status), s.currency, str(s.amount), s.next_billing_date,
                                   [(i.external_id, i.price_ref) for i in s.items])
            for s in books.subscriptions()}
    pays = sorted((p.refs.charge or "", str(p.amount), str(p.refunded), str(p.allocated),
                   str(p.unapplied)) for p in books.payments())
    return {"invoices": invoices, "subscriptions": subs, "payments": pays}


def test_every_api_version_gives_the_same_books() -> None:
    versions = _versions()
    assert len(versions) >= 5, f"versions missing under {MATRIX}"
    facts = {}
    for v in versions:
        books = tieout.Books.in_memory()
        run = books.import_(tieout.StripeFiles(v / "api"))
        assert run.failures == [], (v.name, run.failures)
        facts[v.name] = _facts(books)
    first = versions[0].name
    ref = facts[first]
    assert ref["invoices"]["in_M_paid"][:7] == ("paid", "120.00", "12.00", "10.80", "118.80",
                                               "118.80", "0.00")
    assert len(ref["subscriptions"]) == 8
    assert ("ch_M2", "15.00", "5.00") in [p[:3] for p in ref["payments"]]
    for name, f in facts.items():
        for k in ref:
            assert f[k] == ref[k], f"{name} {k} differs from {first}"

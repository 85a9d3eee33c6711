"""``Books.report_html``: one self-contained page whose figures are the report's."""

import dataclasses
import datetime
import re
from decimal import Decimal
from pathlib import Path

import tieout

SAMPLE = Path(__file__).resolve().parents[2] / "examples" / "data"


def test_report_html_figures_equal_the_report() -> None:
    books = tieout.Books.in_memory()
    src = tieout.StripeFiles(str(SAMPLE))
    books.import_(src, tieout.ImportPlan())
    html = books.report_html(as_of=datetime.date(2025, 6, 30))
    assert html.startswith("<!DOCTYPE html>")
    assert "<script" not in html and "<link" not in html
    figures = dict(re.findall(r'data-figure="([^"]+)">([^<]*)<', html))
    report = books.report()
    assert set(report.totals) == {"EUR", "JPY", "USD"}
    checked = 0
    balances = 0
    aging = books.aging(datetime.datetime(2025, 6, 30, tzinfo=datetime.timezone.utc))
    assert aging.totals
    for cur, totals in report.totals.items():
        for f in dataclasses.fields(totals):
            if f.name == "adds_up":
                continue
            assert Decimal(figures[f"{cur}.totals.{f.name}"]) == getattr(totals, f.name), f.name
            checked += 1
        assert html.count(f'id="aging-{cur}"') == 1
        buckets = ["current", "1-30", "31-60", "61-90", "90+"]
        # The aging is books.aging()'s at the start of as_of.
        rows = [r for r in aging.totals if r.currency == cur]
        want = ([rows[0].current, rows[0].days_1_30, rows[0].days_31_60, rows[0].days_61_90,
                 rows[0].days_over_90] if rows else [Decimal(0)] * 5)
        for b, w in zip(buckets, want):
            assert Decimal(figures[f"{cur}.aging.{b}"]) == w, (cur, b)
        aged = sum(Decimal(figures[f"{cur}.aging.{b}"]) for b in buckets)
        assert aged == Decimal(figures[f"{cur}.aging.total"]) == sum(want, Decimal(0))
        # With what the aging leaves out (uncollectible), the report's open total.
        assert aged + Decimal(figures[f"{cur}.aging.not_aged"]) == totals.open
        # The Stripe balance statement summary is stripe_balance's, through the end of as_of.
        s = books.stripe_balance(cur, datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc),
                                 datetime.datetime(2025, 7, 1, tzinfo=datetime.timezone.utc))
        if not s.lines:
            assert f"{cur}.balance.closing" not in figures
            continue
        balances += 1
        want = {
            "opening": s.opening, "closing": s.closing,
            "closing_available": s.closing_available, "closing_pending": s.closing_pending,
            "gross": sum((ln.amount for ln in s.lines if ln.part == "gross"), Decimal(0)),
            "fees": sum((ln.amount for ln in s.lines if ln.part == "fee"), Decimal(0)),
            "lines": Decimal(len(s.lines)),
        }
        for k, v in want.items():
            assert Decimal(figures[f"{cur}.balance.{k}"]) == v, (cur, k)
    assert checked == 36  # 12 figures per currency
    assert balances > 0
    # Without as_of the page ages as of today; still a whole page.
    assert books.report_html().rstrip().endswith("</html>")

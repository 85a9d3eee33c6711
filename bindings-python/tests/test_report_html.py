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
    for cur, totals in report.totals.items():
        for f in dataclasses.fields(totals):
            if f.name == "adds_up":
                continue
            assert Decimal(figures[f"{cur}.totals.{f.name}"]) == getattr(totals, f.name), f.name
            checked += 1
        assert html.count(f'id="aging-{cur}"') == 1
    assert checked == 36  # 12 figures per currency
    # Without as_of the page ages as of today; still a whole page.
    assert books.report_html().rstrip().endswith("</html>")

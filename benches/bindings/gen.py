"""Generates a Stripe export of N invoices as list-page files (basil shapes
taken from examples/data): 1 customer per 10 invoices, invoices with 2 lines,
every other invoice paid through an invoice_payment plus its charge. Pages of
100 objects, one `.json` file per page, under OUT/<kind>/.

Creation times spread as in a real account: invoice i is created SPREAD / N
seconds after invoice i - 1, over the three years up to the sample's date; its
payment and charge take the same offset from the sample's, a customer its first
invoice's. Every timestamp of an object moves by its offset, so an object's own
times keep their order. Exports list objects oldest first.

    python gen.py N OUT

Streaming: each object is the sample's JSON text with its ids replaced, so the
generator holds one page at a time and runs at disk speed.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "examples" / "data"
PAGE = 100
SPREAD = 3 * 365 * 24 * 3600
# Unix times from mid-2017 to early 2030: the sample's timestamps, and where
# three years back takes them.
TIMESTAMP = re.compile(r"(?<=[:\[ ])1[5-8][0-9]{8}(?=[,}\]])")


def shifted(text: str, offset: int) -> str:
    """`text` with every timestamp moved `offset` seconds later."""
    return TIMESTAMP.sub(lambda m: str(int(m.group()) + offset), text)


def first(kind: str, pred=lambda o: True) -> dict:
    return next(o for o in json.loads((DATA / f"{kind}.json").read_text())["data"] if pred(o))


def templates() -> dict[str, str]:
    cus = first("customers")
    inv = first("invoices", lambda o: len(o["lines"]["data"]) == 2)
    paid = dict(inv)
    unpaid = json.loads(json.dumps(inv))
    unpaid.update(status="open", amount_paid=0, amount_remaining=inv["total"])
    unpaid["status_transitions"] = dict(inv["status_transitions"], paid_at=None)
    pay = first("invoice_payments", lambda o: o["invoice"] == inv["id"])
    ch = first("charges", lambda o: o["payment_intent"] == pay["payment"]["payment_intent"])
    ch = dict(ch, amount_refunded=0, refunded=False, balance_transaction=None)
    return {
        "customers": json.dumps(cus),
        "invoices_paid": json.dumps(paid),
        "invoices_open": json.dumps(unpaid),
        "invoice_payments": json.dumps(pay),
        "charges": json.dumps(ch),
        "cus": cus["id"],
        "inv": inv["id"],
        "il": inv["lines"]["data"][0]["id"][:-1],
        "number": inv["number"],
        "inpay": pay["id"],
        "pi": pay["payment"]["payment_intent"],
        "ch": ch["id"],
        "pm": ch["payment_method"],
    }


def write_pages(out: Path, kind: str, url: str, objects) -> int:
    (out / kind).mkdir(parents=True, exist_ok=True)
    page: list[str] = []
    n = files = 0

    def flush(has_more: bool) -> None:
        nonlocal files, page
        files += 1
        body = '{"object":"list","url":"%s","has_more":%s,"data":[%s]}' % (
            url, "true" if has_more else "false", ",".join(page))
        (out / kind / f"{kind}_{files:07d}.json").write_text(body)
        page = []

    for o in objects:
        if len(page) == PAGE:
            flush(True)
        page.append(o)
        n += 1
    if page or files == 0:
        flush(False)
    return n


def main(n: int, out: Path) -> None:
    t = templates()
    customers = max(1, n // 10)

    def at(i: int) -> int:
        """The offset of invoice `i`'s times from the sample's (<= 0)."""
        return (i - n) * SPREAD // max(1, n)

    def cus_id(i: int) -> str:
        return f"cus_B{i:09d}"

    write_pages(out, "customers", "/v1/customers", (
        shifted(t["customers"].replace(t["cus"], cus_id(i)), at(i)) for i in range(customers)))

    def invoices():
        for i in range(n):
            s = t["invoices_paid"] if i % 2 == 0 else t["invoices_open"]
            yield shifted(s.replace(t["inv"], f"in_B{i:09d}")
                          .replace(t["il"], f"il_B{i:09d}")
                          .replace(t["cus"], cus_id(i % customers))
                          .replace(t["number"], f"B-{i:09d}"), at(i))

    write_pages(out, "invoices", "/v1/invoices", invoices())
    paid = range(0, n, 2)
    write_pages(out, "charges", "/v1/charges", (
        shifted(t["charges"].replace(t["ch"], f"ch_B{i:09d}").replace(t["pi"], f"pi_B{i:09d}")
                .replace(t["pm"], f"pm_B{i:09d}").replace(t["cus"], cus_id(i % customers)),
                at(i))
        for i in paid))
    write_pages(out, "invoice_payments", "/v1/invoice_payments", (
        shifted(t["invoice_payments"].replace(t["inpay"], f"inpay_B{i:09d}")
                .replace(t["inv"], f"in_B{i:09d}").replace(t["pi"], f"pi_B{i:09d}"), at(i))
        for i in paid))


if __name__ == "__main__":
    main(int(sys.argv[1]), Path(sys.argv[2]))

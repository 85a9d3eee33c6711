"""The peers a finance script would write instead of embedding tieout: read a
Stripe export of list-page files and upsert customers, invoices, invoice
lines, payments (charges) and allocations (invoice payments) into SQLite, one
transaction per page. Amounts stay integers in minor units.

    python peer.py plain DIR DB   # json + sqlite3
    python peer.py sdk DIR DB     # each page through the official stripe SDK's objects
"""

from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path
from typing import Any, Callable

SCHEMA = """
CREATE TABLE IF NOT EXISTS customers (id TEXT PRIMARY KEY, name TEXT, email TEXT, created INTEGER);
CREATE TABLE IF NOT EXISTS invoices (id TEXT PRIMARY KEY, customer TEXT, number TEXT, status TEXT,
    currency TEXT, total INTEGER, amount_paid INTEGER, amount_remaining INTEGER, created INTEGER);
CREATE TABLE IF NOT EXISTS invoice_lines (id TEXT PRIMARY KEY, invoice TEXT, amount INTEGER,
    currency TEXT, description TEXT);
CREATE TABLE IF NOT EXISTS payments (id TEXT PRIMARY KEY, customer TEXT, payment_intent TEXT,
    amount INTEGER, currency TEXT, status TEXT, created INTEGER);
CREATE TABLE IF NOT EXISTS allocations (id TEXT PRIMARY KEY, invoice TEXT, payment_intent TEXT,
    amount INTEGER, currency TEXT);
"""

# Dependency order, as tieout reads an export.
KINDS = ["customers", "invoices", "charges", "invoice_payments"]


def rows(kind: str, objs: list[Any], get: Callable[[Any, str], Any]) -> dict[str, list[tuple]]:
    out: dict[str, list[tuple]] = {}
    if kind == "customers":
        out["customers"] = [(get(o, "id"), get(o, "name"), get(o, "email"), get(o, "created"))
                            for o in objs]
    elif kind == "invoices":
        out["invoices"] = [(get(o, "id"), get(o, "customer"), get(o, "number"), get(o, "status"),
                            get(o, "currency"), get(o, "total"), get(o, "amount_paid"),
                            get(o, "amount_remaining"), get(o, "created")) for o in objs]
        out["invoice_lines"] = [(get(li, "id"), get(o, "id"), get(li, "amount"),
                                 get(li, "currency"), get(li, "description"))
                                for o in objs for li in get(get(o, "lines"), "data")]
    elif kind == "charges":
        out["payments"] = [(get(o, "id"), get(o, "customer"), get(o, "payment_intent"),
                            get(o, "amount"), get(o, "currency"), get(o, "status"),
                            get(o, "created")) for o in objs]
    elif kind == "invoice_payments":
        out["allocations"] = [(get(o, "id"), get(o, "invoice"),
                               get(get(o, "payment"), "payment_intent"), get(o, "amount_paid"),
                               get(o, "currency")) for o in objs]
    return out


UPSERT = {
    "customers": "INSERT INTO customers VALUES (?,?,?,?) ON CONFLICT(id) DO UPDATE SET "
                 "name=excluded.name, email=excluded.email, created=excluded.created",
    "invoices": "INSERT INTO invoices VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT(id) DO UPDATE SET "
                "customer=excluded.customer, number=excluded.number, status=excluded.status, "
                "currency=excluded.currency, total=excluded.total, "
                "amount_paid=excluded.amount_paid, amount_remaining=excluded.amount_remaining, "
                "created=excluded.created",
    "invoice_lines": "INSERT INTO invoice_lines VALUES (?,?,?,?,?) ON CONFLICT(id) DO UPDATE SET "
                     "invoice=excluded.invoice, amount=excluded.amount, "
                     "currency=excluded.currency, description=excluded.description",
    "payments": "INSERT INTO payments VALUES (?,?,?,?,?,?,?) ON CONFLICT(id) DO UPDATE SET "
                "customer=excluded.customer, payment_intent=excluded.payment_intent, "
                "amount=excluded.amount, currency=excluded.currency, status=excluded.status, "
                "created=excluded.created",
    "allocations": "INSERT INTO allocations VALUES (?,?,?,?,?) ON CONFLICT(id) DO UPDATE SET "
                   "invoice=excluded.invoice, payment_intent=excluded.payment_intent, "
                   "amount=excluded.amount, currency=excluded.currency",
}


def main(mode: str, src: Path, db: Path) -> None:
    if mode == "sdk":
        import stripe

        def load(text: str) -> list[Any]:
            page = stripe.convert_to_stripe_object(json.loads(text))
            return list(page.data)

        def get(o: Any, k: str) -> Any:
            return getattr(o, k)
    else:
        def load(text: str) -> list[Any]:
            return json.loads(text)["data"]

        def get(o: Any, k: str) -> Any:
            return o[k]

    con = sqlite3.connect(db, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=NORMAL")
    con.executescript(SCHEMA)
    for kind in KINDS:
        d = src / kind
        if not d.is_dir():
            continue
        for f in sorted(d.iterdir()):
            objs = load(f.read_text())
            con.execute("BEGIN")
            for table, batch in rows(kind, objs, get).items():
                con.executemany(UPSERT[table], batch)
            con.execute("COMMIT")
    con.close()


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]))

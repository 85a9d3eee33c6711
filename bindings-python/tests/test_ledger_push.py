"""Pushing the shipped sample's journal to QuickBooks Online and Xero from
Python: nothing without the review's approval, then every document exactly
once through a crash between recorded and sent, a crash between sent and
recorded, and a 503. A local HTTP server stands in for each API and enforces
what the real ones do: a repeated QuickBooks ``requestid`` or Xero
``Idempotency-Key`` answers the first result instead of creating a second
document, and documents can be looked up (QuickBooks query by ``DocNumber``,
Xero ``Narration.Contains``)."""

from __future__ import annotations

import datetime as dt
import json
import threading
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple, Union
from urllib.parse import parse_qs, urlparse

import pytest

import tieout
from conftest import EXAMPLES

UTC = dt.timezone.utc
TOKEN = "oauth-access-token"
NOW = dt.datetime(2026, 6, 1, tzinfo=UTC)
RATES: Dict[str, Union[Decimal, int, str]] = {"eur": Decimal("1.08"), "jpy": Decimal("0.0067")}


class FakeApi:
    """What the fake QuickBooks and Xero APIs hold."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.created: List[Tuple[str, str, Dict[str, Any]]] = []  # (id, lookup, document)
        self.keys: Dict[str, str] = {}  # idempotency key -> created id
        self.posts = 0
        self.fail_next = False

    def create(self, key: str, lookup: str, doc: Dict[str, Any]) -> Optional[str]:
        with self.lock:
            self.posts += 1
            if self.fail_next:
                self.fail_next = False
                return None
            if key in self.keys:
                return self.keys[key]
            new_id = str(len(self.created) + 1)
            self.created.append((new_id, lookup, doc))
            self.keys[key] = new_id
            return new_id


def _handler(api: FakeApi) -> type:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _send(self, status: int, body: Any) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            url = urlparse(self.path)
            q = {k: v[0] for k, v in parse_qs(url.query).items()}
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                return self._send(401, {})
            if url.path == "/v3/company/9130/journalentry":
                if "requestid" not in q:
                    return self._send(400, {"Fault": {"Error": [{"Message": "requestid required"}]}})
                doc = body["DocNumber"]
                assert len(doc) <= 21, doc
                assert all(Decimal(str(line["Amount"])) > 0 for line in body["Line"])
                new_id = api.create(q["requestid"], doc, body)
                if new_id is None:
                    return self._send(503, {})
                return self._send(200, {"JournalEntry": {**body, "Id": new_id}})
            if url.path == "/ManualJournals":
                key = self.headers.get("Idempotency-Key")
                if not key or self.headers.get("Xero-tenant-id") != "tenant-7":
                    return self._send(400, {})
                journal = body["ManualJournals"][0]
                total = sum(Decimal(str(line["LineAmount"])) for line in journal["JournalLines"])
                if total != 0:
                    return self._send(400, {"Message": "journal does not balance"})
                new_id = api.create(key, journal["Narration"], journal)
                if new_id is None:
                    return self._send(503, {})
                return self._send(200, {"ManualJournals": [{**journal, "ManualJournalID": new_id}]})
            self._send(404, {})

        def do_GET(self) -> None:
            url = urlparse(self.path)
            q = {k: v[0] for k, v in parse_qs(url.query).items()}
            with api.lock:
                created = list(api.created)
            if url.path == "/v3/company/9130/query":
                doc = q["query"].split("DocNumber = '", 1)[1].rstrip("'")
                found = [{"Id": i, "PrivateNote": d["PrivateNote"]} for i, lk, d in created if lk == doc]
                return self._send(200, {"QueryResponse": {"JournalEntry": found} if found else {}})
            if url.path == "/ManualJournals":
                where = q.get("where", "")
                needle = where[len('Narration.Contains("'):-len('")')]
                found = [{"ManualJournalID": i, "Narration": lk} for i, lk, _ in created if needle in lk]
                return self._send(200, {"ManualJournals": found})
            self._send(404, {})

    return Handler


@pytest.fixture()
def fake_api() -> Iterator[Tuple[str, FakeApi]]:
    api = FakeApi()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(api))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", api
    finally:
        server.shutdown()
        server.server_close()


def _books(tmp_path: Path) -> tieout.Books:
    books = tieout.Books.open(tmp_path / "books.db")
    src = tieout.StripeFiles(EXAMPLES)
    plan = tieout.ImportPlan()
    books.import_(src, plan, approval=books.review(src, plan).approval)
    return books


def _crash_at(n: int, at: str) -> Any:
    seen = {"n": 0}

    def fault(key: str, point: str) -> bool:
        if point != at:
            return False
        seen["n"] += 1
        return seen["n"] == n

    return fault


@pytest.mark.parametrize("target", ["qbo", "xero"])
def test_push_posts_each_document_once_after_approval(
    tmp_path: Path, fake_api: Tuple[str, FakeApi], target: str
) -> None:
    url, api = fake_api
    books = _books(tmp_path)
    client: Union[tieout.QuickBooksClient, tieout.XeroClient]
    if target == "qbo":
        account = "9130"
        client = tieout.QuickBooksClient(account, TOKEN, base_url=url, timeout=5.0)
        assert client.realm_id == account and TOKEN not in repr(client)
        review = books.review_ledger_push(target, account, now=NOW)
    else:
        account = "tenant-7"
        client = tieout.XeroClient(account, TOKEN, base_url=url, timeout=5.0)
        assert client.tenant_id == account and TOKEN not in repr(client)
        review = books.review_ledger_push(target, account, base_currency="usd", rates=RATES, now=NOW)
    n = len(review)
    assert review.target == target and review.account == account
    assert n == len(review.plan.intents) >= len(review.entries) > 5
    assert all(isinstance(p.amount, Decimal) for e in review.entries for p in e.postings)
    assert all(i.planned_at == NOW and i.purpose.startswith(f"ledger/{target}/{account}/") for i in review.plan.intents)
    assert len({i.key for i in review.plan.intents}) == n, "one idempotency key per document"

    # Nothing is sent without this review's approval.
    other = books.review_ledger_push(target, "another-company", base_currency="usd", rates=RATES, now=NOW)
    with pytest.raises(tieout.ApprovalRequired):
        books.push_ledger(review, other.approval, client, NOW)
    assert api.posts == 0

    # A crash after the 2nd write was recorded, before it was sent.
    with pytest.raises(tieout.Aborted):
        books.push_ledger(review, review.approval, client, NOW, fault=_crash_at(2, "recorded"))
    assert len(api.created) == 1
    # A crash after the 4th write was sent, before its outcome was recorded.
    with pytest.raises(tieout.Aborted):
        books.push_ledger(review, review.approval.token, client, NOW, fault=_crash_at(3, "performed"))
    assert len(api.created) == 4
    # The next create answers 503: retried later, with backoff.
    api.fail_next = True
    r = books.push_ledger(review, review.approval, client, NOW)
    assert len(r.already_done) == 3, r
    assert len(r.resolved) == 1, "the sent one is found by the lookup, not sent again"
    assert len(r.retrying) == 1 and len(r.delivered) == n - 5, r
    later = NOW + dt.timedelta(hours=1)
    r = books.push_ledger(review, review.approval, client, later)
    assert len(r.delivered) == 1 and len(r.already_done) == n - 1, r

    # Every document exactly once, and each write recorded with the created id.
    assert len(api.created) == n
    assert len({lookup for _, lookup, _ in api.created}) == n
    pushed = [w for w in books.writes() if w.intent.kind == "ledger_post"]
    assert len(pushed) == n and all(w.status == "succeeded" for w in pushed)
    assert {w.attempts[-1].request_id for w in pushed} == {i for i, _, _ in api.created}

    # Nothing new to push, and a re-run sends nothing.
    posts = api.posts
    again = books.review_ledger_push(target, account, base_currency="usd", rates=RATES, now=later)
    assert len(again) == 0 and again.entries == []
    r = books.push_ledger(review, review.approval, client, later)
    assert len(r.already_done) == n and api.posts == posts

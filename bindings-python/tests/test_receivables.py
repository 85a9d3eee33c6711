"""Receivables from Python, end to end: collection cases that follow the books,
AR aging, and follow-ups over a simulated clock through a real SMTP server
(aiosmtpd), a local Slack webhook receiver and a host callback channel:
each message goes exactly once, none after payment, and a crash in the
ambiguous window re-runs without a send under a new key."""

from __future__ import annotations

import datetime as dt
import email
import json
import os
import signal
import subprocess
import sys
import threading
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

import pytest

import tieout
from conftest import ROOT, write_stripe_dir

UTC = dt.timezone.utc
# Monday 2026-03-02: the invoices' due date.
DUE = dt.datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CREATED = DUE - dt.timedelta(days=30)


def ts(t: dt.datetime) -> int:
    return int(t.timestamp())


def customer(cid: str, name: str, address: bool = True) -> Dict[str, Any]:
    addr = ({"line1": "1 Main St", "line2": None, "postal_code": "10115", "city": "Berlin",
             "state": None, "country": "DE"} if address else None)
    return {"id": cid, "object": "customer", "name": name, "email": f"ap@{cid}.test",
            "address": addr, "created": ts(CREATED), "livemode": False, "metadata": {},
            "deleted": False}


def invoice(inid: str, cus: str, cents: int, paid_cents: int = 0,
            paid_at: Optional[dt.datetime] = None, due: dt.datetime = DUE) -> Dict[str, Any]:
    status = "paid" if paid_cents >= cents else "open"
    return {
        "id": inid, "object": "invoice", "customer": cus, "currency": "eur",
        "created": ts(CREATED), "effective_at": ts(CREATED), "status": status,
        "livemode": False, "number": inid.upper(), "subtotal": cents, "total": cents,
        "amount_due": cents, "amount_paid": paid_cents, "amount_remaining": cents - paid_cents,
        "due_date": ts(due), "metadata": {},
        "hosted_invoice_url": f"https://invoice.example/{inid}",
        "status_transitions": {"finalized_at": ts(CREATED),
                               "paid_at": ts(paid_at) if status == "paid" and paid_at else None},
        "lines": {"object": "list", "has_more": False, "data": [
            {"id": f"il_{inid}", "object": "line_item", "amount": cents, "currency": "eur",
             "description": "services", "quantity": 1}]},
    }


def charge(chid: str, inid: str, cus: str, cents: int, at: dt.datetime) -> Dict[str, Any]:
    return {"id": chid, "object": "charge", "amount": cents, "amount_captured": cents,
            "amount_refunded": 0, "currency": "eur", "customer": cus, "created": ts(at),
            "captured": True, "paid": True, "refunded": False, "status": "succeeded",
            "livemode": False, "metadata": {}, "invoice": inid, "payment_intent": None,
            "balance_transaction": None, "disputed": False}


# --- real SMTP server, local Slack receiver ----------------------------------------


class SmtpSink:
    """scripts/smtp_sink.py (aiosmtpd) on 127.0.0.1 and a free port; stopped by PID.

    With `tls` ("starttls" or "tls") the sink serves a certificate from a
    throwaway CA, whose PEM is `ca_pem`; `tls_versions` holds each received
    message's TLS version (None over plain text)."""

    def __init__(self, tls: Optional[str] = None) -> None:
        args = [sys.executable, str(ROOT / "scripts" / "smtp_sink.py")]
        if tls is not None:
            args += ["--tls", tls]
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True)
        assert self.proc.stdout is not None
        ready = self.proc.stdout.readline()
        assert ready.startswith("READY "), ready
        words = ready.split()
        self.port = int(words[1])
        self.ca_pem: Optional[str] = Path(words[2]).read_text() if len(words) > 2 else None
        assert (self.ca_pem is not None) == (tls is not None), ready
        self.messages: List[email.message.Message] = []
        self.tls_versions: List[Optional[str]] = []
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            got = json.loads(line)
            with self._lock:
                self.messages.append(email.message_from_string(got["data"]))
                self.tls_versions.append(got["tls"])

    def received(self, n: int, timeout: float = 10.0) -> List[email.message.Message]:
        deadline = dt.datetime.now() + dt.timedelta(seconds=timeout)
        while dt.datetime.now() < deadline:
            with self._lock:
                if len(self.messages) >= n:
                    break
            threading.Event().wait(0.05)
        with self._lock:
            return list(self.messages)

    def close(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=10)


class SlackReceiver:
    """Records webhook POST bodies; answers `status` (500s on demand)."""

    def __init__(self) -> None:
        self.posts: List[Dict[str, Any]] = []
        self.status = 200
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                code = outer.status
                if code == 200:
                    outer.posts.append(json.loads(body))
                self.send_response(code)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    s = SmtpSink()
    yield s
    s.close()


@pytest.fixture
def slack() -> Iterator[SlackReceiver]:
    s = SlackReceiver()
    yield s
    s.close()


def step(name: str, days: int, channel: str) -> Dict[str, Any]:
    return {
        "name": name, "days": days, "channel": channel,
        "subject": f"[{name}] Invoice {{{{ invoice.number }}}}",
        "text": "Dear {{ customer.name }}, {{ invoice.open_amount }} {{ invoice.currency }} "
                "is open on {{ invoice.number }}"
                "{% if invoice.partially_paid %} after your part payment{% endif %}.",
        "html": "<p>{{ invoice.open_amount }} {{ invoice.currency }} open</p>",
    }


def policy() -> tieout.FollowUpPolicy:
    return tieout.FollowUpPolicy(
        "v1", [step("due", 0, "email"), step("late7", 7, "slack"), step("late14", 14, "host")],
        quiet_days=[])


class Book:
    """The Stripe account as files: the current state of every object."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.n = 0
        self.customers = [customer("cus_a", "Alpha GmbH"), customer("cus_b", "Beta AG"),
                          customer("cus_c", "Gamma KG", address=False)]
        self.invoices = {
            "in_a": invoice("in_a", "cus_a", 10000),
            "in_b": invoice("in_b", "cus_b", 5000),
            "in_c": invoice("in_c", "cus_c", 7000),
            "in_d": invoice("in_d", "cus_a", 3000, due=DUE + dt.timedelta(days=5)),
        }
        self.charges: List[Dict[str, Any]] = []

    def pay(self, inid: str, cents: int, at: dt.datetime) -> None:
        inv = self.invoices[inid]
        paid = inv["amount_paid"] + cents
        self.invoices[inid] = invoice(inid, inv["customer"], inv["amount_due"], paid, at,
                                      due=dt.datetime.fromtimestamp(inv["due_date"], UTC))
        self.charges.append(charge(f"ch_{inid}_{len(self.charges)}", inid, inv["customer"],
                                   cents, at))

    def load(self, books: tieout.Books) -> tieout.ImportRun:
        self.n += 1
        d = write_stripe_dir(self.root / f"s{self.n}",
                             self.customers + list(self.invoices.values()) + self.charges)
        src = tieout.StripeFiles(str(d))
        review = books.review(src)
        return books.import_(src, approval=review.approval)


def test_cases_open_once_refuse_incomplete_debtors_and_follow_payments(tmp_path: Path) -> None:
    book = Book(tmp_path)
    books = tieout.Books.in_memory()
    book.load(books)
    now = DUE + dt.timedelta(days=10)
    opening = books.create_collection_cases(now=now)
    assert sorted(c.invoice_external_id for c in opening.opened) == ["in_a", "in_b", "in_d"]
    [refused] = opening.refused
    assert refused.invoice_external_id == "in_c"
    assert refused.missing == ["postal_address"]
    assert refused.code == "DEBTOR_INCOMPLETE" and "postal_address" in refused.message
    case_a = next(c for c in opening.opened if c.invoice_external_id == "in_a")
    assert case_a.status is tieout.CaseStatus.OPEN
    assert case_a.open_amount == Decimal("100.00") and case_a.currency == "EUR"
    assert case_a.debtor.name == "Alpha GmbH" and case_a.debtor.address.city == "Berlin"
    assert case_a.age_basis is tieout.AgeBasis.DUE_DATE and case_a.debt_age_days == 10
    assert case_a.invoice_url == "https://invoice.example/in_a"

    # Again: nothing new; the filter narrows.
    again = books.create_collection_cases(now=now)
    assert again.opened == [] and len(again.existing) == 3
    only_big = books.create_collection_cases({"min_open_amount": Decimal("60")}, now=now)
    assert only_big.opened == [] and len(only_big.existing) == 1

    # Fixing the customer opens the refused one.
    book.customers[2] = customer("cus_c", "Gamma KG")
    book.load(books)
    fixed = books.create_collection_cases(now=now)
    assert [c.invoice_external_id for c in fixed.opened] == ["in_c"] and fixed.refused == []

    # Payments close or update cases on the next import.
    book.pay("in_a", 10000, DUE + dt.timedelta(days=11))
    book.pay("in_b", 2000, DUE + dt.timedelta(days=11))
    book.load(books)
    by_inv = {c.invoice_external_id: c for c in books.collection_cases(now=now)}
    assert by_inv["in_a"].status is tieout.CaseStatus.PAID
    assert by_inv["in_b"].status is tieout.CaseStatus.OPEN
    assert by_inv["in_b"].open_amount == Decimal("30.00")
    assert [e.reason for e in by_inv["in_a"].history] == ["opened", "paid"]
    assert books.collection_case(by_inv["in_b"].id, now=now) == by_inv["in_b"]
    assert books.collection_case("case_nope") is None

    # Handing the open case to an agency: submitted, with a history entry;
    # a paid case stays paid; an unknown id is NotFound.
    sub = books.submit_collection_case(by_inv["in_b"].id, now=now)
    assert sub.status is tieout.CaseStatus.SUBMITTED and sub.open_amount == Decimal("30.00")
    assert sub.history[-1].reason == "submitted"
    assert books.collection_case(sub.id, now=now) == sub
    assert books.submit_collection_case(by_inv["in_a"].id, now=now).status is tieout.CaseStatus.PAID
    with pytest.raises(tieout.NotFound):
        books.submit_collection_case("case_nope", now=now)
    by_inv = {c.invoice_external_id: c for c in books.collection_cases(now=now)}

    rows = books.cases_csv(now=now).strip().splitlines()
    assert rows[0].startswith("case_id,invoice_id,invoice_external_id")
    assert len(rows) == 5
    exported = json.loads(books.cases_json(now=now))
    assert {c["invoice_external_id"]: c["open_amount"] for c in exported}["in_b"] == "30.00"


def test_aging_buckets_add_up(tmp_path: Path) -> None:
    book = Book(tmp_path)
    books = tieout.Books.in_memory()
    book.load(books)
    report = books.aging(DUE + dt.timedelta(days=3))
    assert report.open_total == {"EUR": Decimal("250.00")}
    [total] = report.totals
    assert total.total == Decimal("250.00")
    assert total.current == Decimal("30.00")  # in_d is due in 2 days
    assert total.days_1_30 == Decimal("220.00")
    assert sum((r.total for r in report.rows), Decimal(0)) == total.total
    late = books.aging(DUE + dt.timedelta(days=95))
    assert late.totals[0].days_over_90 == Decimal("220.00")
    csv_text = books.aging_csv(DUE + dt.timedelta(days=3))
    assert csv_text.splitlines()[-1].startswith("TOTAL,,EUR,30.00,220.00")
    assert json.loads(books.aging_json(DUE))["as_of"].startswith("2026-03-02")


def test_template_errors_are_typed_and_raised_at_load() -> None:
    bad = step("s", 0, "email")
    bad["text"] = "{{ invoice.open_amount "
    with pytest.raises(tieout.TemplateError) as e:
        tieout.FollowUpPolicy("v1", [bad])
    assert e.value.code == "TEMPLATE_ERROR" and "step s" in str(e.value)
    unknown = step("s", 0, "email")
    unknown["subject"] = "{{ invoice.nope }}"
    with pytest.raises(tieout.InvalidArgument):
        tieout.FollowUpPolicy("v1", [unknown])
    with pytest.raises(tieout.InvalidArgument):
        tieout.FollowUpPolicy("v1", [step("s", 0, "email")], quiet_days=["someday"])


def test_follow_ups_go_exactly_once_stop_on_payment_and_survive_a_crash(
    tmp_path: Path, smtp: SmtpSink, slack: SlackReceiver
) -> None:
    book = Book(tmp_path)
    books = tieout.Books.open(str(tmp_path / "books.db"))
    book.load(books)
    pol = policy()
    host_log: List[Tuple[str, Dict[str, Any]]] = []

    def host(message: Dict[str, Any], key: str) -> bool:
        host_log.append((key, message))
        return True

    channels: Dict[str, Any] = {
        "email": tieout.SmtpChannel("127.0.0.1", smtp.port, "AR <ar@tieout.test>",
                                    security="plain", reply_to="billing@tieout.test"),
        "slack": tieout.SlackWebhook(slack.url),
        "host": host,
    }
    # A review first: what would go, to whom, with the rendered text.
    review = books.review_follow_ups(pol, DUE)
    assert {i.planned.invoice_external_id for i in review.items} == {"in_a", "in_b", "in_c"}
    item_a = next(i for i in review.items if i.planned.invoice_external_id == "in_a")
    assert item_a.intent.payload["to_email"] == "ap@cus_a.test"
    assert "100.00 EUR is open on IN_A" in item_a.intent.payload["text"]
    assert not item_a.already_sent and review.approval.token.startswith("wapv_")

    crashed = False

    def crash_once(key: str, point: str) -> bool:
        nonlocal crashed
        if point == "performed" and not crashed:
            crashed = True
            return True
        return False

    sent_after: Dict[str, dt.datetime] = {}
    for day in range(0, 20):
        now = DUE + dt.timedelta(days=day)
        if day == 3:
            book.pay("in_a", 10000, now)  # paid after the first reminder
            book.load(books)
        if day == 9:
            book.pay("in_b", 2000, now)  # partial, after the slack reminder
            book.load(books)
        if day == 14:
            # The host channel takes the message, then the process dies before
            # the outcome is committed; the re-run resolves it.
            with pytest.raises(tieout.Aborted):
                books.run_follow_ups(pol, channels, now, fault=crash_once)
        report = books.run_follow_ups(pol, channels, now)
        for k in report.delivered:
            sent_after.setdefault(k, now)
    assert crashed

    # Email: the "due" step once per open invoice due that day (in_d was due later).
    mails = smtp.received(4)
    subjects = sorted(m["Subject"] for m in mails)
    assert subjects == ["[due] Invoice IN_A", "[due] Invoice IN_B", "[due] Invoice IN_C",
                        "[due] Invoice IN_D"]
    keys = [m["X-Tieout-Key"] for m in mails]
    assert len(set(keys)) == len(keys)
    mail_a = next(m for m in mails if m["Subject"] == "[due] Invoice IN_A")
    assert mail_a["To"] == '"Alpha GmbH" <ap@cus_a.test>' or "ap@cus_a.test" in mail_a["To"]
    assert mail_a["Reply-To"] == "billing@tieout.test"
    assert mail_a["Message-ID"] == f"<{mail_a['X-Tieout-Key']}@tieout>"

    # Slack: late7 for every invoice still open at day 7 / 12; never in_a (paid day 3).
    slack_texts = [p["text"] for p in slack.posts]
    assert len(slack_texts) == 3
    assert not any("IN_A" in t for t in slack_texts)
    assert len({p["tieout_key"] for p in slack.posts}) == 3

    # Host: late14 for in_b (30.00 open after the part payment), in_c, and in_d at day 19.
    host_keys = [k for k, _ in host_log]
    by_invoice = {m["invoice_id"]: m for _, m in host_log}
    assert len(by_invoice) == 3
    b_msg = next(m for m in by_invoice.values() if m["invoice_external_id"] == "in_b")
    assert b_msg["open_amount"] == "30.00" and "after your part payment" in b_msg["text"]
    # The crash was in the ambiguous window: the same key was redelivered,
    # never a new key for the same message.
    assert len(host_keys) == 4 and len(set(host_keys)) == 3

    writes = books.writes()
    assert all(w.status is tieout.WriteStatus.SUCCEEDED for w in writes)
    assert len(writes) == 4 + 3 + 3
    for w in writes:
        assert w.key == w.intent.key and w.attempts
    redelivered = [w for w in writes if len(w.attempts) == 2]
    assert len(redelivered) == 1 and redelivered[0].intent.target == "host"
    # Nothing for in_a after its payment on day 3.
    a_writes = [w for w in writes if w.intent.payload["invoice_external_id"] == "in_a"]
    assert [w.intent.payload["step"] for w in a_writes] == ["due"]

    # Each run of writes is in the history, next to the imports.
    runs = [r for r in books.history() if r.source == "books:writes"]
    assert runs and all(r.mode == "test" for r in runs)
    notes = [n for r in runs for n in r.notes]
    assert sum(n.startswith("succeeded email followup/in_a/due/v1 ") for n in notes) == 1
    assert sum(r.totals.created for r in runs) == 10

    # Another run the same day sends nothing new.
    last = books.run_follow_ups(pol, channels, DUE + dt.timedelta(days=19))
    assert last.delivered == [] and len(smtp.received(4, timeout=0.5)) == 4


def test_live_books_need_the_review_approval_and_failures_are_retried(
    tmp_path: Path, slack: SlackReceiver
) -> None:
    book = Book(tmp_path)
    for c in book.customers:
        c["livemode"] = True
    for inid, inv in list(book.invoices.items()):
        inv["livemode"] = True
    books = tieout.Books.in_memory()
    d = write_stripe_dir(tmp_path / "live", book.customers + list(book.invoices.values()))
    src = tieout.StripeFiles(str(d))
    plan = tieout.ImportPlan(allow_live=True)
    books.import_(src, plan, approval=books.review(src, plan).approval)
    pol = tieout.FollowUpPolicy("v1", [step("due", 0, "slack")], quiet_days=[])
    channels: Dict[str, Any] = {"slack": tieout.SlackWebhook(slack.url)}
    with pytest.raises(tieout.ApprovalRequired):
        books.run_follow_ups(pol, channels, DUE)
    review = books.review_follow_ups(pol, DUE)
    assert review.plan.livemode
    slack.status = 500
    report = books.run_follow_ups(pol, channels, DUE, approval=review.approval,
                                  max_attempts=2, retry_base_seconds=60)
    assert len(report.retrying) == 3 and slack.posts == []
    failed = [w for w in books.writes() if w.status is tieout.WriteStatus.FAILED]
    assert len(failed) == 3 and failed[0].attempts[0].next_retry_at is not None
    # The retry is due a minute later; the answer is still 500: final failure.
    later = DUE + dt.timedelta(minutes=2)
    report = books.run_follow_ups(pol, channels, later,
                                  approval=books.review_follow_ups(pol, later).approval,
                                  max_attempts=2, retry_base_seconds=60)
    assert len(report.failed) == 3
    failed_runs = [r for r in books.history() if r.source == "books:writes"]
    assert failed_runs[0].status is tieout.RunStatus.PARTIALLY_FAILED
    assert len(failed_runs[0].failures) == 3
    assert "Slack answered 500" in failed_runs[0].failures[0].error
    # A raising host callback is a failure, not a crash.

    def boom(message: Dict[str, Any], key: str) -> bool:
        raise RuntimeError("host down")

    pol2 = tieout.FollowUpPolicy("v2", [step("due", 0, "host")], quiet_days=[])
    r2 = books.run_follow_ups(pol2, {"host": boom}, DUE,
                              approval=books.review_follow_ups(pol2, DUE).approval)
    assert len(r2.retrying) == 3
    errors = [w.attempts[-1].error for w in books.writes() if w.intent.purpose.endswith("/v2")]
    assert all(e and "host down" in e for e in errors)


def test_collection_cases_post_import_action(tmp_path: Path) -> None:
    book = Book(tmp_path)
    books = tieout.Books.in_memory()
    d = write_stripe_dir(tmp_path / "acct", book.customers + list(book.invoices.values()))
    src = tieout.StripeFiles(str(d))
    plan = tieout.ImportPlan(post_actions=["collection_cases"])
    assert books.review(src).collection_cases is None
    review = books.review(src, plan)
    assert "collection_cases" in review.summary.post_actions
    # The review shows the cases the action would open and the refused invoice.
    preview = review.collection_cases
    assert isinstance(preview, tieout.CaseOpening)
    assert sorted(c.invoice_external_id for c in preview.opened) == ["in_a", "in_b", "in_d"]
    assert all(isinstance(c.open_amount, Decimal) for c in preview.opened)
    [refused] = preview.refused
    assert (refused.invoice_external_id, refused.missing) == ("in_c", ["postal_address"])
    assert "3 to open, 0 already open, 1 refused" in review.summary_text
    assert books.collection_cases() == []
    # The approval opens exactly those.
    books.import_(src, plan, approval=review.approval)
    cases = books.collection_cases()
    assert sorted(c.id for c in cases) == sorted(c.id for c in preview.opened)
    # A re-import opens none, and its review says so.
    again = books.review(src, plan)
    assert again.collection_cases is not None
    assert again.collection_cases.opened == []
    assert sorted(again.collection_cases.existing) == sorted(c.id for c in cases)
    books.import_(src, plan, approval=again.approval)
    assert books.collection_cases() == cases


def test_slack_daily_digest_lists_each_follow_up_once(tmp_path: Path, slack: SlackReceiver) -> None:
    book = Book(tmp_path)
    books = tieout.Books.in_memory()
    book.load(books)
    pol = tieout.FollowUpPolicy("v1", [step("late7", 7, "slack")], quiet_days=[])
    hook = tieout.SlackWebhook(slack.url, digest=True)
    assert hook.digest
    channels: Dict[str, Any] = {"slack": hook}
    for day in range(7, 14):
        books.run_follow_ups(pol, channels, DUE + dt.timedelta(days=day))
        books.run_follow_ups(pol, channels, DUE + dt.timedelta(days=day, hours=2))
    assert len(slack.posts) == 2, "one message per day with something due"
    first, second = slack.posts
    assert all(n in first["text"] for n in ("IN_A", "IN_B", "IN_C")) and "IN_D" not in first["text"]
    assert "IN_D" in second["text"] and "IN_A" not in second["text"]
    assert first["tieout_key"] != second["tieout_key"]
    writes = books.writes()
    follow_ups = [w for w in writes if w.intent.kind == "follow_up"]
    assert len(follow_ups) == 4
    assert all(w.status is tieout.WriteStatus.SUCCEEDED and len(w.attempts) == 1
               for w in follow_ups)
    assert {w.attempts[0].request_id for w in follow_ups} == {first["tieout_key"],
                                                               second["tieout_key"]}


def run_due_step(tmp_path: Path, sink: SmtpSink, security: str,
                 ca_pem: Optional[str]) -> Tuple[tieout.Books, tieout.WriteReport]:
    """The Book's invoices imported, then one run of a policy whose one step
    (on the due date) emails through `sink`."""
    books = tieout.Books.in_memory()
    Book(tmp_path).load(books)
    pol = tieout.FollowUpPolicy("v1", [step("due", 0, "email")], quiet_days=[])
    email = tieout.SmtpChannel("127.0.0.1", sink.port, "AR <ar@tieout.test>",
                               security=security, ca_pem=ca_pem, timeout=10)
    return books, books.run_follow_ups(pol, {"email": email}, DUE)


@pytest.mark.parametrize("mode", ["starttls", "tls"])
def test_email_goes_over_starttls_and_tls_to_a_server_signed_by_a_trusted_ca(
    tmp_path: Path, mode: str
) -> None:
    sink = SmtpSink(tls=mode)
    try:
        _, report = run_due_step(tmp_path, sink, mode, sink.ca_pem)
        assert len(report.delivered) == 3, report
        mails = sink.received(3)
        assert sorted(m["Subject"] for m in mails) == [
            "[due] Invoice IN_A", "[due] Invoice IN_B", "[due] Invoice IN_C"]
        # The sink saw every session encrypted.
        assert len(sink.tls_versions) == 3
        assert all(v is not None and v.startswith("TLSv1.") for v in sink.tls_versions), \
            sink.tls_versions
        mail_a = next(m for m in mails if m["Subject"] == "[due] Invoice IN_A")
        assert "ap@cus_a.test" in mail_a["To"]
        assert mail_a["From"] == "AR <ar@tieout.test>"
        assert mail_a["Message-ID"] == f"<{mail_a['X-Tieout-Key']}@tieout>"
        text = next(p for p in mail_a.walk() if p.get_content_type() == "text/plain")
        body = text.get_payload(decode=True).decode()
        assert "Dear Alpha GmbH, 100.00 EUR is open on IN_A." in body, body
    finally:
        sink.close()


@pytest.mark.parametrize("mode", ["starttls", "tls"])
def test_without_the_ca_a_tls_send_fails_with_a_certificate_error(
    tmp_path: Path, mode: str
) -> None:
    sink = SmtpSink(tls=mode)
    try:
        books, report = run_due_step(tmp_path, sink, mode, None)
        assert report.delivered == [] and len(report.retrying) == 3, report
        writes = books.writes()
        assert len(writes) == 3
        for w in writes:
            assert w.status is not tieout.WriteStatus.SUCCEEDED
            error = w.attempts[0].error or ""
            assert "certificate" in error and "UnknownIssuer" in error, error
        assert sink.received(1, timeout=0.5) == []
    finally:
        sink.close()


@pytest.mark.parametrize("security", ["starttls", "tls", "plain"])
def test_a_bad_ca_pem_is_a_config_error_at_construction(security: str) -> None:
    not_a_cert = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
    for pem in ["", "hello", not_a_cert]:
        with pytest.raises(tieout.InvalidArgument) as e:
            tieout.SmtpChannel("127.0.0.1", 25, "AR <ar@tieout.test>", security=security,
                               ca_pem=pem)
        assert "ca_pem" in str(e.value), str(e.value)


def test_templates_print_the_customers_last_payment_date(tmp_path: Path) -> None:
    book = Book(tmp_path)
    book.pay("in_a", 4000, DUE - dt.timedelta(days=4))
    book.pay("in_a", 6000, DUE + dt.timedelta(days=3))  # the latest: it paid in_a
    books = tieout.Books.in_memory()
    book.load(books)
    s = step("late7", 7, "email")
    s["text"] = ("{{ customer.name }}: last payment "
                 "{{ history.last_payment_at if history.last_payment_at else 'never' }}.")
    pol = tieout.FollowUpPolicy("v1", [s], quiet_days=[])
    review = books.review_follow_ups(pol, DUE + dt.timedelta(days=12))
    texts = sorted(i.intent.payload["text"] for i in review.items)
    assert texts == [
        "Alpha GmbH: last payment 2026-03-05T09:00:00+00:00.",  # in_d, due 5 days later
        "Beta AG: last payment never.",
        "Gamma KG: last payment never.",
    ]

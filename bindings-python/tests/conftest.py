"""Shared fixtures: repo paths, minimal Stripe JSON builders, a fake Stripe HTTP
server, and localstripe started from scripts/localstripe.py (stopped by PID)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "data"
VECTORS = ROOT / "tests" / "vectors"
LOCALSTRIPE_KEY = "sk_test_tieoutLocalstripe"
T0 = 1_743_850_000  # 2025-04-05, a fixed Stripe `created`


# --- minimal Stripe objects ---------------------------------------------------------


def customer(cid: str, name: str, email: Optional[str] = None) -> Dict[str, Any]:
    return {"id": cid, "object": "customer", "name": name, "email": email, "created": T0,
            "livemode": False, "metadata": {}, "deleted": False}


def charge(chid: str, amount: int, currency: str, customer_id: Optional[str] = None,
           invoice: Optional[str] = None, created: int = T0) -> Dict[str, Any]:
    return {"id": chid, "object": "charge", "amount": amount, "amount_captured": amount,
            "amount_refunded": 0, "currency": currency, "customer": customer_id,
            "created": created, "captured": True, "paid": True, "refunded": False,
            "status": "succeeded", "livemode": False, "metadata": {}, "invoice": invoice,
            "payment_intent": None, "balance_transaction": None, "disputed": False}


def invoice(inid: str, customer_id: str, currency: str, lines: List[int], paid: bool,
            charge_id: Optional[str] = None, created: int = T0) -> Dict[str, Any]:
    total = sum(lines)
    return {
        "id": inid, "object": "invoice", "customer": customer_id, "currency": currency,
        "created": created, "effective_at": created, "status": "paid" if paid else "open",
        "livemode": False, "number": inid.upper(), "subtotal": total, "total": total,
        "amount_due": total, "amount_paid": total if paid else 0,
        "amount_remaining": 0 if paid else total, "charge": charge_id, "metadata": {},
        "status_transitions": {"finalized_at": created, "paid_at": created if paid else None},
        "lines": {"object": "list", "has_more": False, "data": [
            {"id": f"il_{inid}_{i}", "object": "line_item", "amount": a, "currency": currency,
             "description": f"line {i}", "quantity": 1}
            for i, a in enumerate(lines)]},
    }


def write_stripe_dir(path: Path, objects: List[Dict[str, Any]]) -> Path:
    """Writes objects as one Stripe list page per object type."""
    path.mkdir(parents=True, exist_ok=True)
    by_type: Dict[str, List[Dict[str, Any]]] = {}
    for o in objects:
        by_type.setdefault(o["object"], []).append(o)
    for kind, items in by_type.items():
        (path / f"{kind}s.json").write_text(
            json.dumps({"object": "list", "has_more": False, "data": items}))
    return path


@pytest.fixture
def stripe_dir(tmp_path: Path) -> Callable[[List[Dict[str, Any]]], Path]:
    counter = iter(range(1000))

    def make(objects: List[Dict[str, Any]]) -> Path:
        return write_stripe_dir(tmp_path / f"stripe{next(counter)}", objects)

    return make


# --- a fake Stripe API ------------------------------------------------------------------

Route = Callable[[str], Tuple[int, Dict[str, Any]]]


class FakeStripe:
    """A tiny local HTTP server; `routes` maps a path prefix to (status, body)."""

    def __init__(self) -> None:
        self.routes: Dict[str, Tuple[int, Dict[str, Any]]] = {}
        self.requests: List[str] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                fake.requests.append(self.path)
                path = self.path.split("?")[0]
                status, body = 404, {"error": {"type": "invalid_request_error",
                                               "message": f"no route {path}"}}
                for prefix, answer in fake.routes.items():
                    if path.startswith(prefix):
                        status, body = answer
                        break
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Request-Id", "req_fake")
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake_stripe() -> Iterator[FakeStripe]:
    f = FakeStripe()
    yield f
    f.close()


# --- localstripe ---------------------------------------------------------------------------


class LocalStripe:
    """A running localstripe: its URL, what the seed made, and helpers that
    drive it with the official stripe SDK (imported when first used)."""

    def __init__(self, proc: "subprocess.Popen[str]", url: str) -> None:
        self.proc = proc
        self.url = url
        self.seeded: Dict[str, Any] = {}

    def sdk(self) -> Any:
        """The `stripe` module, pointed at this server."""
        import stripe

        stripe.api_key = LOCALSTRIPE_KEY
        stripe.api_base = self.url
        return stripe

    def open_invoices(self, n: int, tag: str) -> List[str]:
        """`n` customers whose subscription's first invoice (125.00 USD) stays
        open: their card declines every charge. The invoices' ids, in order."""
        stripe = self.sdk()
        prod = stripe.Product.create(name=f"Support {tag}")
        plan = stripe.Plan.create(id=f"support-{tag}", amount=12500, currency="usd",
                                  interval="month", product=prod.id)
        out = []
        for i in range(n):
            c = stripe.Customer.create(name=f"{tag} {i}", email=f"{tag}{i}@example.test")
            pm = stripe.PaymentMethod.attach("pm_card_chargeCustomerFail", customer=c.id)
            stripe.Customer.modify(c.id, invoice_settings={"default_payment_method": pm.id})
            stripe.Subscription.create(customer=c.id, items=[{"plan": plan.id}])
            inv = stripe.Invoice.list(customer=c.id).data
            assert len(inv) == 1 and inv[0].status == "open"
            out.append(inv[0].id)
        return out

    def invoice_status(self, invoice_id: str) -> str:
        """Stripe's status of the invoice."""
        return str(self.sdk().Invoice.retrieve(invoice_id).to_dict()["status"])

    def import_customers_and_invoices(self, books: Any) -> None:
        """Imports this server's customers and invoices into `books`, no failures."""
        import tieout

        src = tieout.StripeSource(LOCALSTRIPE_KEY, base_url=self.url, max_retries=1)
        run = books.import_(src, tieout.ImportPlan(objects=["customers", "invoices"]))
        assert run.failed == 0, run.failures


@pytest.fixture(scope="module")
def localstripe() -> Iterator[LocalStripe]:
    """localstripe on a free loopback port (scripts/localstripe.py serve), seeded
    with the official stripe SDK (scripts/localstripe.py seed); stopped by PID."""
    script = ROOT / "scripts" / "localstripe.py"
    proc = subprocess.Popen([sys.executable, str(script), "serve"], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    try:
        port = None
        deadline = time.monotonic() + 30
        assert proc.stdout is not None
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if line.startswith("PORT "):
                port = int(line.split()[1])
                break
            if not line and proc.poll() is not None:
                break
        assert port, "localstripe did not start"
        ls = LocalStripe(proc, f"http://127.0.0.1:{port}")
        seed = subprocess.run([sys.executable, str(script), "seed", ls.url], capture_output=True,
                              text=True, timeout=120)
        assert seed.returncode == 0, seed.stderr
        ls.seeded = json.loads(seed.stdout)
        yield ls
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()

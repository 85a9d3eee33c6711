"""examples/python/webhook_flask.py over real HTTP: signed events are verified and
applied (a repeat is a duplicate), bad signatures are 400."""

import importlib.util
import json
import threading
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Dict, Tuple

from werkzeug.serving import make_server

import tieout

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SECRET = "whsec_flask_example"


def _load_example() -> Any:
    spec = importlib.util.spec_from_file_location("webhook_flask", EXAMPLES / "python" / "webhook_flask.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _post(url: str, body: bytes, signature: str) -> Tuple[int, Dict[str, Any]]:
    req = urllib.request.Request(
        url, data=body, method="POST",
        headers={"Content-Type": "application/json", "Stripe-Signature": signature},
    )
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def test_flask_webhook_example(tmp_path: Path) -> None:
    books = tieout.Books.open(str(tmp_path / "books.db"))
    app = _load_example().create_app(books, SECRET)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}/stripe/webhook"
    try:
        line = next(l for l in (EXAMPLES / "data" / "events.jsonl").read_text().splitlines() if '"invoice.paid"' in l)
        body = line.encode()
        status, reply = _post(url, body, tieout.sign_webhook(body, SECRET))
        assert (status, reply) == (200, {"received": True, "status": "applied"})
        [invoice] = books.invoices()
        assert invoice.source.external_id == "in_SAcmeApr2025001"
        status, reply = _post(url, body, tieout.sign_webhook(body, SECRET))
        assert (status, reply["status"]) == (200, "duplicate")
        status, reply = _post(url, body, tieout.sign_webhook(body, "whsec_wrong"))
        assert (status, reply) == (400, {"error": "WEBHOOK_SIGNATURE"})
        # The raw bytes are what is verified: the same JSON re-serialised fails.
        reformatted = json.dumps(json.loads(body), indent=2).encode()
        status, _ = _post(url, reformatted, tieout.sign_webhook(body, SECRET))
        assert status == 400
        assert len(books.invoices()) == 1
    finally:
        server.shutdown()
        thread.join(timeout=5)

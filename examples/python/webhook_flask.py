"""A Stripe webhook endpoint on Flask: read the raw body, verify its
Stripe-Signature, apply the event to the books, answer 2xx.

    pip install flask
    STRIPE_WEBHOOK_SECRET=whsec_... python examples/python/webhook_flask.py [books.db] [port]

Listens on 127.0.0.1 only. Stripe retries deliveries: applying is idempotent (a
repeated event id is reported as ``duplicate``), so answering 200 to a duplicate
is right. A bad signature gets 400; a books failure 500, so Stripe retries.
"""

from __future__ import annotations

import os
import sys
from typing import Tuple

from flask import Flask, Response, jsonify, request

import tieout


def create_app(books: tieout.Books, secret: str, path: str = "/stripe/webhook") -> Flask:
    """The Flask app; ``secret`` is the endpoint's signing secret."""
    app = Flask(__name__)

    @app.post(path)
    def stripe_webhook() -> Tuple[Response, int]:
        # The exact bytes Stripe signed: never request.json / re-serialised JSON.
        payload = request.get_data(cache=False)
        try:
            event = tieout.verify_webhook(payload, request.headers.get("Stripe-Signature", ""), secret)
        except tieout.WebhookSignatureError as err:
            app.logger.warning("rejected delivery: %s", err)
            return jsonify(error="WEBHOOK_SIGNATURE"), 400
        try:
            outcome = books.apply_event(event)
        except tieout.TieoutError as err:
            app.logger.error("could not apply %s: %s", event.id, err)
            return jsonify(error=type(err).__name__), 500
        for entry in outcome.entries:
            app.logger.info("%s %s %s", entry.action.value, entry.object, entry.external_id)
        return jsonify(received=True, status=outcome.status.value), 200

    return app


def main(argv: list[str]) -> int:
    secret = os.environ.get("STRIPE_WEBHOOK_SECRET")
    if not secret:
        print("set STRIPE_WEBHOOK_SECRET (whsec_...)", file=sys.stderr)
        return 2
    books = tieout.Books.open(argv[1] if len(argv) > 1 else "books.db")
    port = int(argv[2]) if len(argv) > 2 else 4242
    create_app(books, secret).run(host="127.0.0.1", port=port)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

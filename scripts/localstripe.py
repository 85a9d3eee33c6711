#!/usr/bin/env python3
"""localstripe as a test peer for tieout.

  localstripe.py serve          start localstripe on 127.0.0.1 at a free port, in a
                                private temp dir; prints "PORT <n>" then serves until killed
  localstripe.py seed URL       create test data with the official `stripe` SDK against
                                the localstripe at URL; prints a JSON summary of what it made

Needs `pip install localstripe stripe` (checked with localstripe 1.15.10, stripe 16.1.0).
localstripe pickles its state to a fixed /tmp/localstripe.pickle after every write; `serve`
keeps it in memory instead (its own temp dir as working dir), so concurrent instances never
share state and a request does not cost time proportional to the whole store.
"""

import json
import os
import socket
import sys
import tempfile

API_KEY = "sk_test_tieoutLocalstripe"

# This file is named like the package: drop its own directory from the import path.
_HERE = os.path.dirname(os.path.realpath(__file__))
sys.path[:] = [p for p in sys.path if os.path.realpath(p or os.curdir) != _HERE]


def serve():
    workdir = tempfile.mkdtemp(prefix="localstripe-")
    os.chdir(workdir)
    os.environ["TMPDIR"] = workdir
    tempfile.tempdir = workdir

    import aiohttp.web as web
    import localstripe.resources as resources

    # localstripe pickles its whole store to disk on every store write, and a
    # list response is itself stored: every request costs time proportional to
    # everything the server holds (a list page of 100 payment intents took
    # ~0.8 s with 200 of them). The pickle only serves a restart, which no test
    # does: keep the state in memory.
    def dump_to_disk(self):
        return None

    resources.Store.dump_to_disk = dump_to_disk
    _pay_out_of_band(resources)
    _mark_uncollectible(resources)
    # After the patch: the server registers its routes from `extra_apis` on import.
    import localstripe.server as server

    # Stripe lists payment intents by `customer`; localstripe answers 400 to any
    # filter, so a lookup would read (and export, ~10 ms each) every intent.
    base_list = resources.PaymentIntent._api_list_all.__func__

    def payment_intents(cls, url, customer=None, limit=None, starting_after=None, **kwargs):
        li = base_list(cls, url, limit=limit, starting_after=starting_after, **kwargs)
        if customer is not None:
            li._list = [pi for pi in li._list if pi.customer == customer]
        return li

    resources.PaymentIntent._api_list_all = classmethod(payment_intents)

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    # Listen before telling the port: a client that connects before aiohttp
    # starts accepting then waits in the backlog instead of being refused.
    sock.listen(128)
    print(f"PORT {port}", flush=True)
    print(f"WORKDIR {workdir}", flush=True)
    web.run_app(server.app, sock=sock, print=None, handle_signals=True)


def _pay_out_of_band(resources):
    """Adds Stripe's `paid_out_of_band` parameter to `POST /v1/invoices/{id}/pay`.

    localstripe's pay endpoint takes no parameters and always charges the
    customer's default payment method. Real Stripe's also takes
    `paid_out_of_band=true`: mark the invoice paid without charging (money
    received some other way), answering 400 "Invoice is already paid" for a
    paid one. This adds exactly that, so tieout's write-back runs against
    localstripe. Must run before `localstripe.server` is imported (it
    registers the routes from `extra_apis`).
    """
    Invoice = resources.Invoice
    UserError = resources.UserError
    charge_pay = Invoice._api_pay_invoice
    computed = Invoice.status

    def status(self):
        if getattr(self, "_paid_out_of_band", False):
            return "paid"
        return computed.fget(self)

    Invoice.status = property(status)

    def pay(id, paid_out_of_band=None, **kwargs):
        if kwargs:
            raise UserError(400, "Unexpected " + ", ".join(kwargs.keys()))
        if str(paid_out_of_band).lower() not in ("true", "1"):
            return charge_pay(id)
        obj = Invoice._api_retrieve(id)
        if obj.status == "paid":
            raise UserError(400, "Invoice is already paid")
        if obj.status not in ("draft", "open"):
            raise UserError(400, "Bad request")
        obj._draft = False
        obj._paid_out_of_band = True
        obj.paid_out_of_band = True
        obj.status_transitions["paid_at"] = int(__import__("time").time())
        return obj

    for i, (method, url, func) in enumerate(resources.extra_apis):
        if method == "POST" and url == "/v1/invoices/{id}/pay":
            resources.extra_apis[i] = (method, url, pay)


def _mark_uncollectible(resources):
    """Adds Stripe's `POST /v1/invoices/{id}/mark_uncollectible`.

    localstripe has `void` but not this endpoint. Real Stripe marks an open
    invoice uncollectible (status `uncollectible`; it can still be paid or
    voided afterwards) and answers 400 for any other status. This adds exactly
    that, so tieout's write-off writes run against localstripe. Must run
    before `localstripe.server` is imported (it registers the routes from
    `extra_apis`).
    """
    Invoice = resources.Invoice
    UserError = resources.UserError
    computed = Invoice.status

    def status(self):
        base = computed.fget(self)
        if base == "open" and getattr(self, "_uncollectible", False):
            return "uncollectible"
        return base

    Invoice.status = property(status)

    def mark_uncollectible(id, **kwargs):
        if kwargs:
            raise UserError(400, "Unexpected " + ", ".join(kwargs.keys()))
        obj = Invoice._api_retrieve(id)
        if obj.status != "open":
            raise UserError(400, f"Invoice is {obj.status}: only open invoices can be marked uncollectible")
        obj._uncollectible = True
        obj.status_transitions["marked_uncollectible_at"] = int(__import__("time").time())
        return obj

    # Stripe voids uncollectible invoices too: localstripe's void accepts draft
    # and open only, so let an uncollectible one through as open.
    void = Invoice._api_void_invoice.__func__

    def void_invoice(id, **kwargs):
        obj = Invoice._api_retrieve(id)
        if getattr(obj, "_uncollectible", False):
            obj._uncollectible = False
        return void(Invoice, id, **kwargs)

    for i, (method, url, func) in enumerate(resources.extra_apis):
        if method == "POST" and url == "/v1/invoices/{id}/void":
            resources.extra_apis[i] = (method, url, void_invoice)
    resources.extra_apis.append(
        ("POST", "/v1/invoices/{id}/mark_uncollectible", mark_uncollectible))


def seed(url):
    import stripe

    stripe.api_key = API_KEY
    stripe.api_base = url.rstrip("/")
    stripe.max_network_retries = 0

    def d(obj):
        return obj.to_dict() if hasattr(obj, "to_dict") else dict(obj)

    def card_pm(customer_id):
        pm = stripe.PaymentMethod.create(
            type="card",
            card={"number": "4242424242424242", "exp_month": 12, "exp_year": 2034, "cvc": "123"},
        )
        stripe.PaymentMethod.attach(pm.id, customer=customer_id)
        stripe.Customer.modify(customer_id, invoice_settings={"default_payment_method": pm.id})
        return pm.id

    summary = {"customers": [], "plans": [], "products": [], "subscriptions": [],
               "invoices": [], "invoice_items": [], "charges": [], "payment_intents": [],
               "refunds": []}

    customers = []
    for i, (name, email) in enumerate([("Ada Lovelace", "ada@example.com"),
                                       ("Grace Hopper", "grace@example.com"),
                                       ("Alan Turing", "alan@example.com")]):
        c = stripe.Customer.create(name=name, email=email, metadata={"seed": str(i)})
        pm = card_pm(c.id)
        customers.append((c.id, pm))
        summary["customers"].append({"id": c.id, "name": name, "email": email})

    product = stripe.Product.create(name="Pro plan")
    summary["products"].append({"id": product.id, "name": "Pro plan"})
    plan = stripe.Plan.create(amount=1500, currency="usd", interval="month",
                              product=product.id, nickname="Pro monthly")
    summary["plans"].append({"id": plan.id, "amount": 1500, "currency": "usd",
                             "interval": "month", "product": product.id})

    # A subscription: localstripe creates its first invoice and pays it.
    cus0, pm0 = customers[0]
    sub = stripe.Subscription.create(customer=cus0, items=[{"plan": plan.id}])
    sub = d(stripe.Subscription.retrieve(sub.id))
    summary["subscriptions"].append({"id": sub["id"], "customer": cus0,
                                     "status": sub["status"], "plan": plan.id})
    for inv in stripe.Invoice.list(customer=cus0, limit=100).auto_paging_iter():
        inv = d(inv)
        summary["invoices"].append({"id": inv["id"], "customer": inv["customer"],
                                    "status": inv["status"], "total": inv["total"],
                                    "amount_paid": inv.get("amount_paid"),
                                    "subscription": inv.get("subscription")})

    # A pending invoice item for the next invoice.
    ii = stripe.InvoiceItem.create(customer=customers[1][0], amount=700, currency="usd",
                                   description="Setup fee")
    summary["invoice_items"].append({"id": ii.id, "customer": customers[1][0], "amount": 700})

    # Standalone charges, one partially refunded.
    for cus, pm in customers[1:]:
        for amount in (2000, 3500):
            ch = stripe.Charge.create(amount=amount, currency="usd", customer=cus, source=pm,
                                      description=f"one-off {amount}")
            summary["charges"].append({"id": ch.id, "customer": cus, "amount": amount,
                                       "status": ch.status})
    first = summary["charges"][0]
    rf = stripe.Refund.create(charge=first["id"], amount=500)
    summary["refunds"].append({"id": rf.id, "charge": first["id"], "amount": 500})

    # A confirmed payment intent (creates its own charge).
    cus, pm = customers[2]
    pi = stripe.PaymentIntent.create(amount=4200, currency="usd", customer=cus,
                                     payment_method=pm, confirm=True)
    pi = d(stripe.PaymentIntent.retrieve(pi.id))
    summary["payment_intents"].append({"id": pi["id"], "customer": cus, "amount": 4200,
                                       "status": pi["status"]})

    # Every charge localstripe now holds (subscription and intent charges included).
    summary["all_charges"] = [
        {"id": c["id"], "amount": c["amount"], "customer": c.get("customer"),
         "amount_refunded": c.get("amount_refunded", 0)}
        for c in (d(x) for x in stripe.Charge.list(limit=100).auto_paging_iter())
    ]
    print(json.dumps(summary, indent=2, default=str), flush=True)


def main(argv):
    if len(argv) >= 2 and argv[1] == "serve":
        serve()
    elif len(argv) >= 3 and argv[1] == "seed":
        seed(argv[2])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

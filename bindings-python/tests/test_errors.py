"""Engine errors map to the right exception classes, each with its stable code."""

from __future__ import annotations

from pathlib import Path

import pytest

import tieout
from conftest import FakeStripe, charge, customer

EMPTY_LIST = {"object": "list", "data": [], "has_more": False}
LIVE_ACCOUNT = {"id": "acct_live1", "object": "account", "livemode": True}


def test_class_hierarchy_and_codes() -> None:
    assert issubclass(tieout.InvalidApiKey, tieout.SourceError)
    assert issubclass(tieout.SourceError, tieout.TieoutError)
    assert issubclass(tieout.InvalidArgument, ValueError)
    assert issubclass(tieout.NotFound, LookupError)
    assert tieout.ApprovalRequired.code == "APPROVAL_REQUIRED"
    assert tieout.WebhookSignatureError.code == "WEBHOOK_SIGNATURE"


@pytest.mark.parametrize("key", ["", "pk_test_abc", "hello", "sk_test_", "sk_test_a b"])
def test_bad_key_format_is_invalid_api_key(key: str) -> None:
    with pytest.raises(tieout.InvalidApiKey) as e:
        tieout.StripeSource(key)
    assert e.value.code == "INVALID_API_KEY"
    if key:
        assert key not in str(e.value) or key == "sk_test_"


def test_rejected_key_is_invalid_api_key(fake_stripe: FakeStripe) -> None:
    fake_stripe.routes["/v1/"] = (401, {"error": {"type": "invalid_request_error",
                                                  "message": "Invalid API Key provided"}})
    src = tieout.StripeSource("sk_test_revoked1", base_url=fake_stripe.url, max_retries=0)
    with pytest.raises(tieout.InvalidApiKey) as e:
        src.verify()
    assert e.value.code == "INVALID_API_KEY" and "sk_test_revoked1" not in str(e.value)


def test_missing_permission_is_permission_denied(fake_stripe: FakeStripe) -> None:
    denied = {"error": {"type": "invalid_request_error",
                        "message": "The provided key does not have the required permissions"}}
    fake_stripe.routes["/v1/account"] = (404, {"error": {"type": "invalid_request_error", "message": "x"}})
    fake_stripe.routes["/v1/invoices"] = (403, denied)
    fake_stripe.routes["/v1/"] = (200, EMPTY_LIST)
    src = tieout.StripeSource("rk_test_limited1", base_url=fake_stripe.url, max_retries=0)
    assert src.verify().key_kind == "restricted"
    with pytest.raises(tieout.PermissionDenied) as e:
        src.verify_permissions(["customers", "invoices"])
    assert e.value.code == "PERMISSION_DENIED" and "invoices" in str(e.value)


def test_network_failure_is_a_source_error() -> None:
    src = tieout.StripeSource("sk_test_nowhere1", base_url="http://127.0.0.1:9", max_retries=0,
                              timeout=2)
    with pytest.raises(tieout.SourceError) as e:
        src.verify()
    assert e.value.code == "NETWORK_ERROR"


def test_live_source_without_approval_is_approval_required(fake_stripe: FakeStripe) -> None:
    fake_stripe.routes["/v1/account"] = (200, LIVE_ACCOUNT)
    fake_stripe.routes["/v1/"] = (200, EMPTY_LIST)
    src = tieout.StripeSource("sk_live_realmoney1", base_url=fake_stripe.url, max_retries=0)
    books = tieout.Books.in_memory()
    with pytest.raises(tieout.ApprovalRequired) as e:
        books.import_(src, tieout.ImportPlan())
    assert e.value.code == "APPROVAL_REQUIRED"
    plan = tieout.ImportPlan(allow_live=True)
    with pytest.raises(tieout.ApprovalRequired):
        books.import_(src, plan)
    other = books.review(src, tieout.ImportPlan(allow_live=True, objects=["customers"]))
    with pytest.raises(tieout.ApprovalRequired):
        books.import_(src, plan, approval=other.approval)
    review = books.review(src, plan)
    assert review.account.livemode and review.account.account == "acct_live1"
    run = books.import_(src, plan, approval=review.approval)
    assert run.mode == "live" and run.status == tieout.RunStatus.SUCCEEDED


def test_live_event_without_allow_live_is_approval_required() -> None:
    event = {"id": "evt_live1", "object": "event", "type": "customer.created", "created": 1,
             "livemode": True, "data": {"object": customer("cus_L", "Live Co")}}
    books = tieout.Books.in_memory()
    with pytest.raises(tieout.ApprovalRequired):
        books.apply_event(event)
    out = books.apply_event(event, plan=tieout.ImportPlan(allow_live=True))
    assert out.status == tieout.EventStatus.APPLIED


def test_bad_webhook_signature() -> None:
    payload = b'{"id":"evt_1","object":"event","type":"customer.created","created":1,"data":{"object":{}}}'
    header = tieout.sign_webhook(payload, "whsec_right", timestamp=1_700_000_000)
    with pytest.raises(tieout.WebhookSignatureError) as e:
        tieout.verify_webhook(payload, header, "whsec_wrong", now=1_700_000_000)
    assert e.value.code == "WEBHOOK_SIGNATURE"
    with pytest.raises(tieout.WebhookSignatureError):
        tieout.verify_webhook(payload, "", "whsec_right")
    with pytest.raises(tieout.WebhookSignatureError):
        tieout.verify_webhook(payload + b" ", header, "whsec_right", now=1_700_000_000)


def test_signed_body_that_is_not_an_event_is_a_payload_error() -> None:
    assert tieout.WebhookPayloadError.code == "WEBHOOK_PAYLOAD"
    for body in (b"not json", b'{"hello": "world"}', b'{"id": "evt_1", "object": "event"}'):
        header = tieout.sign_webhook(body, "whsec_right", timestamp=1_700_000_000)
        with pytest.raises(tieout.WebhookPayloadError) as e:
            tieout.verify_webhook(body, header, "whsec_right", now=1_700_000_000)
        assert e.value.code == "WEBHOOK_PAYLOAD"
        # Not a signature failure: a receiver must not rotate secrets for it.
        assert not isinstance(e.value, tieout.WebhookSignatureError)


def test_missing_fixed_customer_is_not_found(stripe_dir) -> None:  # type: ignore[no-untyped-def]
    src = tieout.StripeFiles(stripe_dir([customer("cus_A", "A"), charge("ch_A", 100, "usd", "cus_A")]))
    plan = tieout.ImportPlan(customer_resolution="fixed", fixed_customer="cust_does_not_exist")
    books = tieout.Books.in_memory()
    with pytest.raises(tieout.NotFound) as e:
        books.review(src, plan)
    assert e.value.code == "NOT_FOUND"
    with pytest.raises(tieout.NotFound):
        books.import_(src, plan)


def test_unparseable_event_is_invalid_record() -> None:
    books = tieout.Books.in_memory()
    with pytest.raises(tieout.InvalidRecord):
        books.apply_event(b"not json")
    with pytest.raises(tieout.InvalidRecord):
        books.apply_event({"object": "invoice", "id": "in_1"})


def test_store_failure_is_store_error(tmp_path: Path) -> None:
    with pytest.raises(tieout.StoreError) as e:
        tieout.Books.open(tmp_path)  # a directory, not a database file
    assert e.value.code == "STORE_ERROR"


def test_bad_source_argument_is_invalid_argument() -> None:
    with pytest.raises(tieout.InvalidArgument):
        tieout.Books.in_memory().review("examples/data")  # type: ignore[arg-type]

"""tieout's exception classes: one per error kind, each with a stable ``code``.

The native module raises them from the engine's single error enum (one mapping
function in ``bindings-python/src/errors.rs``). ``exc.code`` is the engine's
exact code (e.g. ``NETWORK_ERROR`` on a ``SourceError``); the class attribute
is the kind's default.
"""

from __future__ import annotations

from typing import Optional


class TieoutError(Exception):
    """Base class of every error tieout raises."""

    code: str = "TIEOUT_ERROR"

    def __init__(self, message: str = "", code: Optional[str] = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r})"


class SourceError(TieoutError):
    """The source failed: Stripe API error, network, unreadable file."""

    code = "SOURCE_ERROR"


class InvalidApiKey(SourceError):
    """The key is not a Stripe secret/restricted key, or Stripe rejected it (401)."""

    code = "INVALID_API_KEY"


class PermissionDenied(SourceError):
    """A restricted key lacks read access to a resource (403)."""

    code = "PERMISSION_DENIED"


class RateLimited(SourceError):
    """Stripe kept answering 429 after every retry."""

    code = "RATE_LIMITED"


class StripeApiError(SourceError):
    """Any other Stripe API error."""

    code = "STRIPE_API_ERROR"


class NetworkError(SourceError):
    """Network or TLS failure after retries."""

    code = "NETWORK_ERROR"


class FileError(SourceError):
    """A Stripe export file or directory could not be read."""

    code = "FILE_ERROR"


class WebhookSignatureError(TieoutError, ValueError):
    """A webhook signature that does not verify (or is too old)."""

    code = "WEBHOOK_SIGNATURE"


class WebhookPayloadError(TieoutError, ValueError):
    """A correctly signed webhook body that is not a complete event (not JSON, not an
    event). The signature was fine: not a reason to rotate secrets."""

    code = "WEBHOOK_PAYLOAD"


class InvalidRecord(TieoutError, ValueError):
    """A record or payload that is not what Stripe sends."""

    code = "INVALID_RECORD"


class InvalidArgument(TieoutError, ValueError):
    """An invalid argument or plan."""

    code = "INVALID_ARGUMENT"


class InvalidAmount(TieoutError, ValueError):
    """An amount that is not a whole number of minor units, or overflows."""

    code = "INVALID_AMOUNT"


class UnknownCurrency(TieoutError, ValueError):
    """A currency code that is not active ISO 4217."""

    code = "UNKNOWN_CURRENCY"


class CurrencyMismatch(TieoutError, ValueError):
    """Arithmetic or matching across two currencies."""

    code = "CURRENCY_MISMATCH"


class NotFound(TieoutError, LookupError):
    """A referenced record (e.g. the plan's fixed customer) does not exist."""

    code = "NOT_FOUND"


class ApprovalRequired(TieoutError):
    """A live source or event without ``allow_live`` and the review's approval."""

    code = "APPROVAL_REQUIRED"


class StoreError(TieoutError):
    """The books' store failed (I/O, SQL, corruption)."""

    code = "STORE_ERROR"


class AllocationRejected(TieoutError):
    """An allocation that would over-allocate a payment or an invoice."""

    code = "ALLOCATION_REJECTED"


class InvoiceSettled(TieoutError):
    """A write-off of an invoice already settled (paid in full, void or credited)."""

    code = "INVOICE_SETTLED"


class Busy(TieoutError):
    """Another process holds the import stream or backfill shard (the message names it)."""

    code = "BUSY"


class Interrupted(TieoutError):
    """An import stopped on request; committed pages stay and the next import resumes."""

    code = "INTERRUPTED"


class ActionFailed(TieoutError):
    """A post-import action failed (the import itself committed)."""

    code = "ACTION_FAILED"


class TemplateError(InvalidArgument):
    """A follow-up template does not compile or render (raised when the policy loads)."""

    code = "TEMPLATE_ERROR"


class Aborted(TieoutError):
    """A run of writes stopped at a fault point (a simulated crash); the next run resolves it."""

    code = "ABORTED"


__all__ = [
    "Aborted",
    "Busy",
    "TemplateError",
    "ActionFailed",
    "AllocationRejected",
    "ApprovalRequired",
    "CurrencyMismatch",
    "FileError",
    "Interrupted",
    "InvoiceSettled",
    "InvalidAmount",
    "InvalidApiKey",
    "InvalidArgument",
    "InvalidRecord",
    "NetworkError",
    "NotFound",
    "PermissionDenied",
    "RateLimited",
    "SourceError",
    "StoreError",
    "StripeApiError",
    "TieoutError",
    "UnknownCurrency",
    "WebhookSignatureError",
    "WebhookPayloadError",
]

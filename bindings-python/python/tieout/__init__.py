"""tieout: import Stripe data into your own books and tie every payment out to
the invoices it pays.

Amounts are exact ``decimal.Decimal`` in major units of the record's currency,
times are timezone-aware UTC ``datetime``, enums are string enums, records are
frozen classes with ``to_dict()`` / ``to_row()``, and every error is a
``TieoutError`` subclass with a stable ``code``.

>>> books = tieout.Books.open("books.db")            # or tieout.Books.in_memory()
>>> src = tieout.StripeFiles("examples/data")        # or tieout.StripeSource(api_key)
>>> plan = tieout.ImportPlan()
>>> review = books.review(src, plan)                 # nothing is written
>>> run = books.import_(src, plan, approval=review.approval)
"""

from __future__ import annotations

from . import _errors, _records
# `X as X`: re-exported for type checkers too (mypy --strict does not follow
# `__all__ += _errors.__all__`).
from ._errors import (
    ActionFailed as ActionFailed,
    AllocationRejected as AllocationRejected,
    ApprovalRequired as ApprovalRequired,
    CurrencyMismatch as CurrencyMismatch,
    FileError as FileError,
    Interrupted as Interrupted,
    InvalidAmount as InvalidAmount,
    InvalidApiKey as InvalidApiKey,
    InvalidArgument as InvalidArgument,
    InvalidRecord as InvalidRecord,
    NetworkError as NetworkError,
    NotFound as NotFound,
    PermissionDenied as PermissionDenied,
    RateLimited as RateLimited,
    SourceError as SourceError,
    StoreError as StoreError,
    StripeApiError as StripeApiError,
    TieoutError as TieoutError,
    UnknownCurrency as UnknownCurrency,
    WebhookPayloadError as WebhookPayloadError,
    WebhookSignatureError as WebhookSignatureError,
)
from ._native import (
    Books,
    Event,
    ImportPlan,
    ReconcilePolicy,
    StripeEvents,
    StripeFiles,
    StripeSource,
    __version__,
    sign_webhook,
    verify_webhook,
)
from ._records import (
    Export,
    Journal,
    JournalEntry,
    Posting,
    ReportedBalance,
    StatementLine,
    StripeBalance,
    AllocationLine,
    CurrencyTotals,
    FeeLine,
    FeeTotals,
    FxLine,
    OpenInvoice,
    PayoutCheck,
    PayoutDeposit,
    PayoutMatchReport,
    ReconcileReport,
    UnappliedPayment,
    UnmatchedDeposit,
    UnmatchedPayout,
    AccountInfo,
    Action,
    Address,
    Allocation,
    AllocationKind,
    AllocationReason,
    Approval,
    BalanceTransaction,
    BankLine,
    Counts,
    Customer,
    CustomerKind,
    Dispute,
    DisputeStatus,
    EventOutcome,
    EventStatus,
    Failure,
    FeeDetail,
    FieldChange,
    ImportRun,
    Interval,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    MatchStrategy,
    OriginalCustomer,
    Payment,
    PaymentRefs,
    PaymentStatus,
    Payout,
    Price,
    Product,
    Refund,
    CreditNote,
    CreditNoteLine,
    Review,
    ReviewEntries,
    ReviewEntry,
    ReviewSummary,
    RunStatus,
    SourceRef,
    Subscription,
    SubscriptionItem,
    SubscriptionStatus,
    Total,
    to_rows,
)

__all__ = [
    # native
    "Books",
    "Event",
    "ImportPlan",
    "ReconcilePolicy",
    "StripeEvents",
    "StripeFiles",
    "StripeSource",
    "__version__",
    "sign_webhook",
    "verify_webhook",
]
# The record and error names, as their modules list them.
__all__ += _records.__all__
__all__ += _errors.__all__

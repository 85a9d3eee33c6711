"""Frozen record classes the native module fills in.

Pure data: every value is computed by the Rust engine; these classes only hold
it, print it readably and turn it into plain dicts and CSV rows. Amounts are
``decimal.Decimal``, times are timezone-aware ``datetime`` (UTC), dates are
``datetime.date``, enums are string enums.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import json
import typing
from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum
from typing import (
    Any,
    ClassVar,
    Dict,
    Iterable,
    Iterator,
    List,
    Optional,
    Protocol,
    Sequence,
    Tuple,
    Union,
    overload,
)


# --- enums -------------------------------------------------------------------


class _StrEnum(str, Enum):
    def __str__(self) -> str:
        return str(self.value)

    def __repr__(self) -> str:
        return f"{type(self).__name__}.{self.name}"


class InvoiceStatus(_StrEnum):
    """Books status of an invoice."""

    DRAFT = "draft"
    OPEN = "open"
    PARTIALLY_PAID = "partially_paid"
    PAID = "paid"
    VOID = "void"
    UNCOLLECTIBLE = "uncollectible"


class PaymentStatus(_StrEnum):
    """Status of a payment (unknown source values stay plain strings)."""

    SUCCEEDED = "succeeded"
    PENDING = "pending"
    FAILED = "failed"
    CANCELED = "canceled"


class SubscriptionStatus(_StrEnum):
    """Stripe's subscription statuses (unknown values stay plain strings)."""

    INCOMPLETE = "incomplete"
    INCOMPLETE_EXPIRED = "incomplete_expired"
    TRIALING = "trialing"
    ACTIVE = "active"
    PAST_DUE = "past_due"
    CANCELED = "canceled"
    UNPAID = "unpaid"
    PAUSED = "paused"


class DisputeStatus(_StrEnum):
    """Stripe's dispute statuses (unknown values stay plain strings)."""

    WARNING_NEEDS_RESPONSE = "warning_needs_response"
    WARNING_UNDER_REVIEW = "warning_under_review"
    WARNING_CLOSED = "warning_closed"
    NEEDS_RESPONSE = "needs_response"
    UNDER_REVIEW = "under_review"
    WON = "won"
    LOST = "lost"
    PREVENTED = "prevented"


class Interval(_StrEnum):
    """Billing interval unit (unknown values stay plain strings)."""

    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    YEAR = "year"


class CustomerKind(_StrEnum):
    """Organisation or person."""

    COMPANY = "company"
    CONTACT = "contact"


class MatchStrategy(_StrEnum):
    """The matching strategy that decided an allocation."""

    EXPLICIT_LINK = "explicit_link"
    PAYMENT_INTENT = "payment_intent"
    CHARGE = "charge"
    CHECKOUT_SESSION = "checkout_session"
    METADATA = "metadata"
    EXACT_AMOUNT = "exact_amount"
    OLDEST_FIRST = "oldest_first"
    NEWEST_FIRST = "newest_first"
    MANUAL = "manual"
    SOURCE_PAID = "source_paid"


class AllocationKind(_StrEnum):
    """Money from a payment, or a small difference written off."""

    PAYMENT = "payment"
    WRITE_OFF = "write_off"


class RunStatus(_StrEnum):
    """Outcome of an import run."""

    RUNNING = "running"
    SUCCEEDED = "succeeded"
    PARTIALLY_FAILED = "partially_failed"
    FAILED = "failed"


class Action(_StrEnum):
    """What a review or event does to one source record."""

    CREATE = "create"
    UPDATE = "update"
    UNCHANGED = "unchanged"
    SKIPPED = "skipped"
    FAILED = "failed"


class EventStatus(_StrEnum):
    """What applying one event did."""

    APPLIED = "applied"
    DUPLICATE = "duplicate"
    IGNORED = "ignored"


def _enum(cls: type, value: Optional[str]) -> Any:
    """The member of ``cls`` named ``value``; unknown values stay plain strings."""
    if value is None:
        return None
    member = cls._value2member_map_.get(value)  # type: ignore[attr-defined]
    return member if member is not None else value


# --- plain conversion helpers --------------------------------------------------


def _plain(value: Any) -> Any:
    """Records, enums, lists and dicts as plain Python values (Decimal and datetime kept)."""
    if isinstance(value, Enum):
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, _PagedList)):
        return [_plain(v) for v in value]
    return value


def _cell(value: Any) -> Any:
    """One CSV cell: exact decimal strings, ISO times, JSON for nested lists."""
    if value is None:
        return ""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (_dt.datetime, _dt.date)):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        return json.dumps(_plain(value), default=str, sort_keys=True)
    return value


def _flatten(prefix: str, value: Any, out: Dict[str, Any]) -> None:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            _flatten(f"{prefix}{f.name}.", getattr(value, f.name), out)
    elif isinstance(value, dict) and prefix:
        for k, v in value.items():
            _flatten(f"{prefix}{k}.", v, out)
    else:
        out[prefix[:-1]] = _cell(value)


def to_rows(records: Iterable[Any]) -> List[Dict[str, Any]]:
    """Records as flat dicts for ``csv.DictWriter`` (nested fields as ``source.external_id``).

    Every row has every key seen in any record, so ``fieldnames=rows[0].keys()`` works.
    """
    rows = [r.to_row() if hasattr(r, "to_row") else dict(r) for r in records]
    keys: Dict[str, None] = {}
    for row in rows:
        for k in row:
            keys.setdefault(k, None)
    return [{k: row.get(k, "") for k in keys} for row in rows]


@dataclass(frozen=True, repr=False)
class _Record:
    """Base of every record: readable repr, ``to_dict()`` and ``to_row()``."""

    _repr_fields: ClassVar[Tuple[str, ...]] = ()

    def __repr__(self) -> str:
        names = self._repr_fields or tuple(f.name for f in dataclasses.fields(self))
        parts = []
        for name in names:
            value = getattr(self, name)
            if isinstance(value, Enum):
                value = value.value
            parts.append(f"{name}={value!r}")
        return f"{type(self).__name__}({', '.join(parts)})"

    def to_dict(self) -> Dict[str, Any]:
        """Every field as plain Python values (nested records as dicts, enums as strings)."""
        return _plain(self)  # type: ignore[no-any-return]

    def to_row(self) -> Dict[str, Any]:
        """A flat dict of strings and numbers for ``csv.DictWriter``."""
        out: Dict[str, Any] = {}
        _flatten("", self, out)
        return out


# --- source details -----------------------------------------------------------


@dataclass(frozen=True, repr=False)
class OriginalCustomer(_Record):
    """The customer a record had in the source (kept for fixed-customer imports)."""

    external_id: str
    name: Optional[str]
    email: Optional[str]


@dataclass(frozen=True, repr=False)
class SourceRef(_Record):
    """Where an imported record came from."""

    _repr_fields = ("system", "account", "object", "external_id", "status")

    system: str
    account: str
    object: str
    external_id: str
    status: Optional[str]
    url: Optional[str]
    updated_at: Optional[_dt.datetime]
    created_at: Optional[_dt.datetime]
    livemode: bool
    original_customer: Optional[OriginalCustomer]


@dataclass(frozen=True, repr=False)
class AccountInfo(_Record):
    """The source account and mode, as verified."""

    system: str
    account: str
    livemode: bool
    key_kind: str


# --- records ------------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class Address(_Record):
    """A postal address."""

    line1: Optional[str]
    line2: Optional[str]
    city: Optional[str]
    state: Optional[str]
    postal_code: Optional[str]
    country: Optional[str]


@dataclass(frozen=True, repr=False)
class Customer(_Record):
    """A customer of the books (imported, or created with ``Books.create_customer``)."""

    _repr_fields = ("id", "name", "email", "kind")

    id: str
    source: Optional[SourceRef]
    kind: CustomerKind
    name: Optional[str]
    email: Optional[str]
    phone: Optional[str]
    address: Optional[Address]
    deleted: bool
    metadata: Dict[str, str]


@dataclass(frozen=True, repr=False)
class Product(_Record):
    """Something sold."""

    _repr_fields = ("id", "name", "active")

    id: str
    source: SourceRef
    name: str
    description: Optional[str]
    active: bool


@dataclass(frozen=True, repr=False)
class Price(_Record):
    """A price (or legacy plan) of a product."""

    _repr_fields = ("id", "unit_amount", "currency", "interval")

    id: str
    source: SourceRef
    product_id: Optional[str]
    product_ref: Optional[str]
    currency: str
    unit_amount: Optional[Decimal]
    interval: Optional[Union[Interval, str]]
    interval_count: Optional[int]
    active: bool
    nickname: Optional[str]


@dataclass(frozen=True, repr=False)
class InvoiceLine(_Record):
    """One line of an invoice."""

    _repr_fields = ("description", "quantity", "amount")

    external_id: Optional[str]
    description: Optional[str]
    quantity: Decimal
    unit_amount: Optional[Decimal]
    amount: Decimal
    tax: Decimal
    period_start: Optional[_dt.datetime]
    period_end: Optional[_dt.datetime]
    price_ref: Optional[str]
    product_ref: Optional[str]
    subscription_item_ref: Optional[str]
    proration: bool


@dataclass(frozen=True, repr=False)
class PaymentRefs(_Record):
    """The source ids that name one payment."""

    charge: Optional[str]
    payment_intent: Optional[str]
    invoice_payments: List[str]
    balance_transaction: Optional[str]
    checkout_session: Optional[str]
    paid_invoice: Optional[str]


@dataclass(frozen=True, repr=False)
class InvoiceWriteOff(_Record):
    """An invoice written off by hand (``Books.write_off``).

    ``amount`` is what was open when it was written off; payments matched
    later recover it (``recovered``). ``state`` is ``written_off``,
    ``partially_recovered`` or ``recovered``.
    """

    _repr_fields = ("amount", "recovered", "state", "reason")

    amount: Decimal
    reason: str
    at: _dt.datetime
    recovered: Decimal
    state: str


@dataclass(frozen=True, repr=False)
class Invoice(_Record):
    """An invoice; ``status``, ``amount_paid`` and ``amount_remaining`` are the books' view."""

    _repr_fields = ("id", "number", "status", "total", "amount_remaining", "currency")

    id: str
    source: SourceRef
    customer_id: Optional[str]
    customer_ref: Optional[OriginalCustomer]
    subscription_id: Optional[str]
    subscription_ref: Optional[str]
    number: Optional[str]
    status: InvoiceStatus
    currency: str
    subtotal: Decimal
    discount: Decimal
    tax: Decimal
    total: Decimal
    amount_due: Decimal
    amount_paid: Decimal
    amount_remaining: Decimal
    amount_written_off: Decimal
    source_amount_paid: Decimal
    amount_credited: Decimal
    source_credited: Decimal
    issued_at: Optional[_dt.datetime]
    due_date: Optional[_dt.datetime]
    paid_at: Optional[_dt.datetime]
    lines: List[InvoiceLine]
    #: False when Stripe embedded only the first lines (``has_more``) and the rest
    #: could not be fetched: ``lines`` is partial and nothing sums it.
    lines_complete: bool
    payment_refs: PaymentRefs
    metadata: Dict[str, str]
    #: The write-off by hand, if any (the reason, the time, what was recovered).
    write_off: Optional[InvoiceWriteOff] = None


@dataclass(frozen=True, repr=False)
class FeeDetail(_Record):
    """One part of a fee."""

    amount: Decimal
    currency: str
    kind: str
    description: Optional[str]


@dataclass(frozen=True, repr=False)
class Payment(_Record):
    """A payment received: one real movement of money.

    Invariant: ``amount == allocated + unapplied + refunded + disputed``.
    """

    _repr_fields = ("id", "amount", "currency", "status", "allocated", "unapplied")

    id: str
    source: SourceRef
    external_ids: List[str]
    customer_id: Optional[str]
    customer_ref: Optional[OriginalCustomer]
    refs: PaymentRefs
    status: Union[PaymentStatus, str]
    amount: Decimal
    currency: str
    settlement_amount: Optional[Decimal]
    settlement_currency: Optional[str]
    fx_rate: Optional[Decimal]
    fee: Decimal
    fee_details: List[FeeDetail]
    net: Optional[Decimal]
    method: Optional[str]
    received_at: Optional[_dt.datetime]
    refunded: Decimal
    refunded_reported: Optional[Decimal]
    disputed: Decimal
    allocated: Decimal
    unapplied: Decimal
    unapplied_reasons: List[str]
    description: Optional[str]
    metadata: Dict[str, str]


@dataclass(frozen=True, repr=False)
class AllocationReason(_Record):
    """Why an allocation exists."""

    strategy: MatchStrategy
    detail: str


@dataclass(frozen=True, repr=False)
class Allocation(_Record):
    """Part of a payment applied to an invoice."""

    _repr_fields = ("id", "payment_id", "invoice_id", "amount", "currency", "strategy")

    id: str
    payment_id: str
    invoice_id: str
    amount: Decimal
    currency: str
    reason: AllocationReason
    kind: AllocationKind
    allocated_at: Optional[_dt.datetime]

    @property
    def strategy(self) -> MatchStrategy:
        """The deciding strategy (``reason.strategy``)."""
        return self.reason.strategy


@dataclass(frozen=True, repr=False)
class SubscriptionItem(_Record):
    """One item of a subscription."""

    external_id: Optional[str]
    price_ref: Optional[str]
    product_ref: Optional[str]
    quantity: Decimal
    unit_amount: Optional[Decimal]
    interval: Union[Interval, str]
    interval_count: int
    current_period_start: Optional[_dt.datetime]
    current_period_end: Optional[_dt.datetime]


@dataclass(frozen=True, repr=False)
class Subscription(_Record):
    """A subscription."""

    _repr_fields = ("id", "status", "amount", "currency", "interval", "next_billing_date")

    id: str
    source: SourceRef
    customer_id: Optional[str]
    customer_ref: Optional[OriginalCustomer]
    status: Union[SubscriptionStatus, str]
    currency: str
    amount: Decimal
    interval: Union[Interval, str]
    interval_count: int
    start_date: Optional[_dt.datetime]
    current_period_start: Optional[_dt.datetime]
    current_period_end: Optional[_dt.datetime]
    next_billing_date: Optional[_dt.datetime]
    cancel_at_period_end: bool
    canceled_at: Optional[_dt.datetime]
    ended_at: Optional[_dt.datetime]
    trial_end: Optional[_dt.datetime]
    items: List[SubscriptionItem]


@dataclass(frozen=True, repr=False)
class Refund(_Record):
    """A refund of (part of) a payment."""

    _repr_fields = ("id", "payment_id", "amount", "currency", "status")

    id: str
    source: SourceRef
    payment_id: Optional[str]
    payment_refs: PaymentRefs
    amount: Decimal
    currency: str
    status: str
    reason: Optional[str]
    created_at: Optional[_dt.datetime]
    balance_transaction: Optional[str]


@dataclass(frozen=True, repr=False)
class CreditNoteLine(_Record):
    """One line of a credit note."""

    _repr_fields = ("external_id", "kind", "amount")

    external_id: Optional[str]
    kind: str
    description: Optional[str]
    quantity: Decimal
    amount: Decimal
    invoice_line_ref: Optional[str]


@dataclass(frozen=True, repr=False)
class CreditNote(_Record):
    """A credit note against an invoice: before payment it reduces what is due
    (``pre_payment_amount``), after payment it refunds, credits the customer balance
    or is settled out of band (``post_payment_amount``)."""

    _repr_fields = ("id", "invoice_ref", "amount", "currency", "pre_payment_amount")

    id: str
    source: SourceRef
    invoice_id: Optional[str]
    invoice_ref: str
    customer_id: Optional[str]
    customer_ref: Optional[OriginalCustomer]
    number: Optional[str]
    currency: str
    amount: Decimal
    pre_payment_amount: Decimal
    post_payment_amount: Decimal
    refund_amount: Decimal
    credit_amount: Decimal
    out_of_band_amount: Decimal
    refund_refs: List[str]
    customer_balance_transaction: Optional[str]
    reason: Optional[str]
    memo: Optional[str]
    effective_at: Optional[_dt.datetime]
    voided_at: Optional[_dt.datetime]
    lines: List[CreditNoteLine]


@dataclass(frozen=True, repr=False)
class Dispute(_Record):
    """A dispute (chargeback) against a payment."""

    _repr_fields = ("id", "payment_id", "amount", "currency", "status")

    id: str
    source: SourceRef
    payment_id: Optional[str]
    payment_refs: PaymentRefs
    amount: Decimal
    currency: str
    status: Union[DisputeStatus, str]
    reason: Optional[str]
    created_at: Optional[_dt.datetime]


@dataclass(frozen=True, repr=False)
class BalanceTransaction(_Record):
    """A movement in the Stripe balance (gross, fee, net in the settlement currency)."""

    _repr_fields = ("id", "kind", "amount", "fee", "net", "currency")

    id: str
    source: SourceRef
    amount: Decimal
    currency: str
    fee: Decimal
    fee_details: List[FeeDetail]
    net: Decimal
    exchange_rate: Optional[Decimal]
    kind: str
    reporting_category: Optional[str]
    status: Optional[str]
    available_on: Optional[_dt.datetime]
    source_object: Optional[str]
    payout_ref: Optional[str]
    payment_id: Optional[str]


@dataclass(frozen=True, repr=False)
class Payout(_Record):
    """A payout from Stripe to the bank."""

    _repr_fields = ("id", "amount", "currency", "status", "arrival_date", "deposit_id")

    id: str
    source: SourceRef
    amount: Decimal
    currency: str
    status: str
    arrival_date: Optional[_dt.date]
    automatic: bool
    method: Optional[str]
    statement_descriptor: Optional[str]
    balance_transaction_ids: List[str]
    deposit_id: Optional[str]


@dataclass(frozen=True, repr=False)
class BankLine(_Record):
    """One line of a bank statement."""

    _repr_fields = ("id", "date", "amount", "currency", "description", "payout_id")

    id: str
    account: Optional[str]
    date: _dt.date
    amount: Decimal
    currency: str
    description: Optional[str]
    reference: Optional[str]
    payout_id: Optional[str]


# --- import runs and reviews -----------------------------------------------------


@dataclass(frozen=True, repr=False)
class Counts(_Record):
    """Created / updated / unchanged / skipped / failed counters."""

    created: int
    updated: int
    unchanged: int
    skipped: int
    failed: int


@dataclass(frozen=True, repr=False)
class Failure(_Record):
    """A record that could not be imported."""

    object: str
    external_id: str
    error: str


@dataclass(frozen=True, repr=False)
class ImportRun(_Record):
    """One import run in the history."""

    _repr_fields = ("id", "status", "created", "updated", "unchanged", "skipped", "failed")

    id: str
    plan_hash: str
    source: str
    mode: str
    status: RunStatus
    started_at: _dt.datetime
    finished_at: Optional[_dt.datetime]
    created: int
    updated: int
    unchanged: int
    skipped: int
    failed: int
    totals: Counts
    by_object: Dict[str, Counts]
    failures: List[Failure]
    notes: List[str]
    error: Optional[str]
    #: The plan it ran, as the checklist its review showed (imports only).
    summary: Optional[ReviewSummary] = None


@dataclass(frozen=True, repr=False)
class WorkerReport(_Record):
    """What one backfill worker did, and the backfill's one history entry."""

    _repr_fields = ("worker", "shards", "shards_total")

    #: The worker (host, process and books instance).
    worker: str
    #: The shards this worker imported to their end, by index.
    shards: List[int]
    #: How many shards the backfill has.
    shards_total: int
    #: The backfill's run: every shard's counts and failures.
    run: ImportRun


@dataclass(frozen=True, repr=False)
class FieldChange(_Record):
    """One field that changes (``before`` / ``after`` as JSON values)."""

    path: str
    before: Any
    after: Any


@dataclass(frozen=True, repr=False)
class ReviewEntry(_Record):
    """The planned fate of one source record."""

    _repr_fields = ("object", "external_id", "action", "books_id")

    object: str
    external_id: str
    books_id: str
    action: Action
    changes: List[FieldChange]
    reason: Optional[str]
    error: Optional[str]


_T = typing.TypeVar("_T")


class _Pages(Protocol[_T]):
    def __len__(self) -> int: ...
    def page(self, offset: int, limit: int) -> List[_T]: ...


class _PagedList(Sequence[_T]):
    """A list a review shows, read page by page from the review's spill file
    (a review of a million records does not hold a million items). A
    read-only sequence: ``len``, indexing, slicing and iteration work as on a
    list, and it equals a list with the same items; ``page(offset, limit)``
    reads one page.
    """

    _PAGE = 1000
    _WHAT = "item"

    def __init__(self, pages: _Pages[_T]) -> None:
        self._pages = pages

    def __len__(self) -> int:
        return len(self._pages)

    def page(self, offset: int, limit: int) -> List[_T]:
        """Up to ``limit`` items from ``offset`` on (empty past the end)."""
        if offset < 0 or limit < 0:
            raise ValueError("offset and limit must be 0 or more")
        return self._pages.page(offset, limit)

    @overload
    def __getitem__(self, index: int) -> _T: ...

    @overload
    def __getitem__(self, index: slice) -> List[_T]: ...

    def __getitem__(self, index: Union[int, slice]) -> Union[_T, List[_T]]:
        n = len(self)
        if isinstance(index, slice):
            start, stop, step = index.indices(n)
            if step == 1:
                return self.page(start, max(0, stop - start))
            return [self[i] for i in range(start, stop, step)]
        i = index + n if index < 0 else index
        if not 0 <= i < n:
            raise IndexError(f"review {self._WHAT} index out of range")
        return self.page(i, 1)[0]

    def __iter__(self) -> Iterator[_T]:
        offset = 0
        while True:
            page = self.page(offset, self._PAGE)
            if not page:
                return
            yield from page
            offset += len(page)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (_PagedList, list)):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"{type(self).__name__}(len={len(self)})"


class ReviewEntries(_PagedList[ReviewEntry]):
    """A review's entries, one per source record in the order planned, read
    page by page from the review's spill file (see the base class for the
    sequence operations and ``page``).
    """

    _WHAT = "entry"


class ReviewAllocations(_PagedList[Allocation]):
    """The allocations a review would create or change, in id order, read
    page by page from the review's spill file (see the base class for the
    sequence operations and ``page``).
    """

    _WHAT = "allocation"


class ReviewRemovals(_PagedList[str]):
    """The books ids of the allocations a review would remove, in id order,
    read page by page from the review's spill file (see the base class for
    the sequence operations and ``page``).
    """

    _WHAT = "removed allocation"


@dataclass(frozen=True, repr=False)
class Total(_Record):
    """Count and amount sum of created and updated records of one type and currency."""

    count: int
    amount: Decimal


@dataclass(frozen=True, repr=False)
class Approval(_Record):
    """Proof that a person reviewed this exact plan against this account."""

    token: str

    def __str__(self) -> str:
        return self.token


@dataclass(frozen=True, repr=False)
class ReviewSummary(_Record):
    """The import plan as the checklist a person approves (stable snake_case values)."""

    _repr_fields = ("account", "livemode", "objects")

    system: str
    account: str
    livemode: bool
    key_kind: str
    objects: List[str]
    customer_resolution: str
    fixed_customer: Optional[str]
    match_by_email: bool
    customer_filter: str
    filter_customers: List[str]
    created_from: Optional[_dt.datetime]
    created_to: Optional[_dt.datetime]
    invoice_statuses: List[str]
    paid_invoices: str
    unpaid_invoices: str
    allocation_order: str
    match_on_import: bool
    write_off_abs: Decimal
    write_off_pct: Decimal
    fees: str
    fx: str
    post_actions: List[str]
    allow_live: bool


@dataclass(frozen=True, repr=False)
class Review(_Record):
    """Everything an import would do, shown before it is approved. Nothing was written.

    ``summary`` is the plan as a checklist; ``summary_text`` renders it with
    the counts and totals for a person to read before approving.
    """

    _repr_fields = ("account", "plan_hash", "total_counts")

    account: AccountInfo
    plan_hash: str
    summary: ReviewSummary
    summary_text: str
    approval: Approval
    entries: ReviewEntries
    allocations: ReviewAllocations
    allocations_removed: ReviewRemovals
    counts: Dict[str, Counts]
    total_counts: Counts
    totals: Dict[str, Dict[str, Total]]
    failures: List[Failure]
    notes: List[str]
    #: The cases the plan's ``collection_cases`` post-import action would open
    #: (and the invoices it would refuse); ``None`` when the plan does not name it.
    collection_cases: Optional[CaseOpening]

    def entries_page(self, offset: int, limit: int) -> List[ReviewEntry]:
        """Up to ``limit`` entries from ``offset`` on, read from the review's spill."""
        return self.entries.page(offset, limit)

    def allocations_page(self, offset: int, limit: int) -> List[Allocation]:
        """Up to ``limit`` allocations from ``offset`` on (id order), read from the review's spill."""
        return self.allocations.page(offset, limit)

    def to_rows(self) -> List[Dict[str, Any]]:
        """One flat row per entry (object, external_id, books_id, action, detail)."""
        rows = []
        for e in self.entries:
            detail = e.reason or e.error or "; ".join(c.path for c in e.changes)
            rows.append(
                {
                    "object": e.object,
                    "external_id": e.external_id,
                    "books_id": e.books_id,
                    "action": e.action.value,
                    "detail": detail,
                }
            )
        return rows


@dataclass(frozen=True, repr=False)
class EventOutcome(_Record):
    """What applying one webhook or Events API event did."""

    _repr_fields = ("event_id", "event_type", "status")

    event_id: str
    event_type: str
    status: EventStatus
    entries: List[ReviewEntry] = field(default_factory=list)
    #: Notes on what was applied (e.g. an invoice whose lines are incomplete).
    notes: List[str] = field(default_factory=list)


# --- reconcile report (built from the engine's JSON by the declared field types) ----


@dataclass(frozen=True, repr=False)
class AllocationLine(_Record):
    """One allocation (payment money or write-off) with its reason."""

    _repr_fields = ("invoice_number", "payment_external_id", "amount", "currency", "strategy")

    allocation_id: str
    payment_id: str
    payment_external_id: str
    invoice_id: str
    invoice_external_id: str
    invoice_number: Optional[str]
    customer_id: Optional[str]
    amount: Decimal
    currency: str
    strategy: MatchStrategy
    reason: str
    allocated_at: Optional[_dt.datetime]


@dataclass(frozen=True, repr=False)
class OpenInvoice(_Record):
    """An invoice with money still open."""

    _repr_fields = ("number", "status", "open", "currency")

    invoice_id: str
    external_id: str
    number: Optional[str]
    customer_id: Optional[str]
    status: InvoiceStatus
    currency: str
    amount_due: Decimal
    amount_paid: Decimal
    written_off: Decimal
    open: Decimal
    due_date: Optional[_dt.datetime]


@dataclass(frozen=True, repr=False)
class UnappliedPayment(_Record):
    """A payment with unapplied money (unmatched, or overpayment credit)."""

    _repr_fields = ("external_id", "amount", "unapplied", "currency", "credit")

    payment_id: str
    external_id: str
    customer_id: Optional[str]
    currency: str
    amount: Decimal
    unapplied: Decimal
    credit: bool
    reasons: List[str]


@dataclass(frozen=True, repr=False)
class FeeLine(_Record):
    """Gross, fee and net of one payment."""

    _repr_fields = ("external_id", "gross", "currency", "fee", "net")

    payment_id: str
    external_id: str
    gross: Decimal
    currency: str
    settlement_amount: Optional[Decimal]
    settlement_currency: Optional[str]
    fx_rate: Optional[Decimal]
    fee: Decimal
    fee_details: List[FeeDetail]
    net: Optional[Decimal]


@dataclass(frozen=True, repr=False)
class FeeTotals(_Record):
    """Fee totals in one settlement currency, as the fee policy books them."""

    gross: Decimal
    fees: Decimal
    net: Decimal
    payments_booked: Decimal
    fee_expense: Decimal


@dataclass(frozen=True, repr=False)
class FxLine(_Record):
    """The FX difference of one allocation settled in another currency."""

    _repr_fields = ("allocation_id", "amount", "currency", "settlement_currency", "difference")

    allocation_id: str
    payment_id: str
    invoice_id: str
    amount: Decimal
    currency: str
    settlement_currency: str
    settlement_rate: Optional[Decimal]
    settled: Decimal
    invoice_date: Optional[_dt.date]
    invoice_rate: Optional[Decimal]
    at_invoice_rate: Optional[Decimal]
    difference: Optional[Decimal]
    note: Optional[str]


@dataclass(frozen=True, repr=False)
class CurrencyTotals(_Record):
    """Totals in one currency; ``adds_up`` when both balances are zero."""

    _repr_fields = ("payments_received", "allocated", "unapplied", "invoiced", "open", "adds_up")

    payments_received: Decimal
    allocated: Decimal
    unapplied: Decimal
    refunded: Decimal
    disputed: Decimal
    payments_balance: Decimal
    invoiced: Decimal
    paid: Decimal
    written_off: Decimal
    open: Decimal
    credited: Decimal
    invoices_balance: Decimal
    adds_up: bool


@dataclass(frozen=True, repr=False)
class PayoutCheck(_Record):
    """A payout against the balance transactions it settled."""

    _repr_fields = ("external_id", "amount", "currency", "net_total", "difference")

    payout_id: str
    external_id: str
    amount: Decimal
    currency: str
    balance_transactions: List[str]
    missing: List[str]
    net_total: Decimal
    difference: Decimal


@dataclass(frozen=True, repr=False)
class PayoutDeposit(_Record):
    """A payout matched to a bank deposit."""

    _repr_fields = ("payout_external_id", "bank_line_id", "amount", "currency", "bank_date")

    payout_id: str
    payout_external_id: str
    bank_line_id: str
    amount: Decimal
    currency: str
    arrival_date: Optional[_dt.date]
    bank_date: _dt.date
    reason: str


@dataclass(frozen=True, repr=False)
class UnmatchedPayout(_Record):
    """A payout with no bank deposit."""

    _repr_fields = ("external_id", "amount", "currency", "arrival_date", "reason")

    payout_id: str
    external_id: str
    amount: Decimal
    currency: str
    arrival_date: Optional[_dt.date]
    status: str
    reason: str


@dataclass(frozen=True, repr=False)
class UnmatchedDeposit(_Record):
    """A bank deposit no payout claimed."""

    _repr_fields = ("bank_line_id", "date", "amount", "currency")

    bank_line_id: str
    date: _dt.date
    amount: Decimal
    currency: str
    description: Optional[str]
    reference: Optional[str]


@dataclass(frozen=True, repr=False)
class PayoutMatchReport(_Record):
    """Payouts against bank deposits and balance transactions."""

    _repr_fields = ("new_pairs",)

    pairs: List[PayoutDeposit]
    new_pairs: int
    unmatched_payouts: List[UnmatchedPayout]
    unmatched_deposits: List[UnmatchedDeposit]
    checks: List[PayoutCheck]


@dataclass(frozen=True, repr=False)
class ReconcileReport(_Record):
    """Everything one reconcile shows; ``to_rows()`` gives CSV rows with a ``section`` column."""

    _repr_fields = ("adds_up",)

    policy: Dict[str, Any]
    allocations: List[AllocationLine]
    write_offs: List[AllocationLine]
    open_invoices: List[OpenInvoice]
    unapplied: List[UnappliedPayment]
    payouts: PayoutMatchReport
    fees: List[FeeLine]
    fee_totals: Dict[str, FeeTotals]
    fx: List[FxLine]
    totals: Dict[str, CurrencyTotals]
    adds_up: bool
    csv_rows: List[Dict[str, str]] = field(default_factory=list, compare=False)

    def to_rows(self) -> List[Dict[str, str]]:
        """Flat rows for ``csv.DictWriter`` (every row has every column)."""
        keys: Dict[str, None] = {"section": None}
        for row in self.csv_rows:
            for k in row:
                keys.setdefault(k, None)
        return [{k: row.get(k, "") for k in keys} for row in self.csv_rows]


# --- ledger -------------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class Posting(_Record):
    """One line of a journal entry: debit positive, credit negative."""

    _repr_fields = ("account", "amount", "currency")

    account: str
    amount: Decimal
    currency: str
    customer_id: Optional[str] = None
    memo: Optional[str] = None


@dataclass(frozen=True, repr=False)
class JournalEntry(_Record):
    """A balanced journal entry with a stable id derived from its source."""

    _repr_fields = ("id", "date", "narration")

    id: str
    layer: str
    date: _dt.date
    narration: str
    links: List[str]
    source_id: str
    category: str
    postings: List[Posting]
    customer_id: Optional[str] = None
    adjusts: Optional[str] = None


@dataclass(frozen=True, repr=False)
class Journal(_Record):
    """Journal entries, and those posted to suspense (listed for review)."""

    _repr_fields = ("suspense",)

    entries: List[JournalEntry]
    suspense: List[str]
    skipped: List[List[str]]


@dataclass(frozen=True, repr=False)
class ReportedBalance(_Record):
    """The balance Stripe reported at a moment (and the import run that read it)."""

    at: _dt.datetime
    currency: str
    available: Decimal
    pending: Decimal
    run_id: Optional[str] = None


@dataclass(frozen=True, repr=False)
class StatementLine(_Record):
    """A Stripe balance statement line: the gross or the fee of a transaction."""

    _repr_fields = ("transaction_id", "part", "amount", "balance")

    transaction_id: str
    part: str
    date: _dt.datetime
    category: str
    description: str
    amount: Decimal
    balance: Decimal
    available_on: Optional[_dt.datetime] = None


@dataclass(frozen=True, repr=False)
class StripeBalance(_Record):
    """The Stripe balance in one currency as a bank statement."""

    _repr_fields = ("currency", "opening_available", "opening_pending", "closing_available", "closing_pending")

    currency: str
    start: _dt.datetime
    end: _dt.datetime
    opening_available: Decimal
    opening_pending: Decimal
    lines: List[StatementLine]
    closing_available: Decimal
    closing_pending: Decimal
    reported: Optional[ReportedBalance] = None
    unexplained_available: Optional[Decimal] = None
    unexplained_pending: Optional[Decimal] = None

    @property
    def opening(self) -> Decimal:
        """Opening total (available + pending)."""
        return self.opening_available + self.opening_pending

    @property
    def closing(self) -> Decimal:
        """Closing total (available + pending)."""
        return self.closing_available + self.closing_pending

    @property
    def ties(self) -> bool:
        """False when a reported balance differs from the computed one."""
        return not (self.unexplained_available or self.unexplained_pending)


@dataclass(frozen=True, repr=False)
class Export(_Record):
    """An export: the rendered text and the entries it holds."""

    _repr_fields = ("target", "exported_at")

    target: str
    text: str
    entries: List[JournalEntry]
    exported_at: _dt.datetime


@dataclass(frozen=True, repr=False)
class ExportedEntry(_Record):
    """One journal entry as an export target received it: when, and the postings it holds."""

    _repr_fields = ("target", "entry_id", "at")

    id: str
    target: str
    entry_id: str
    at: _dt.datetime
    postings: List[Posting]
    adjustments: int = 0
    date: Optional[_dt.date] = None


# --- receivables: collection cases, aging, follow-ups, writes -------------------


class CaseStatus(_StrEnum):
    """Where a collection case stands."""

    OPEN = "open"
    SUBMITTED = "submitted"
    PAID = "paid"
    CLOSED = "closed"


class AgeBasis(_StrEnum):
    """What a debt's age counts from."""

    DUE_DATE = "due_date"
    FINALIZED = "finalized"


class WriteStatus(_StrEnum):
    """Where a write to the outside (an email, a Slack message) stands."""

    PLANNED = "planned"
    IN_FLIGHT = "in_flight"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    UNKNOWN = "unknown"
    CANCELLED = "cancelled"


@dataclass(frozen=True, repr=False)
class Debtor(_Record):
    """The debtor of a collection case, taken from the customer."""

    _repr_fields = ("customer_id", "name", "email")

    customer_id: str
    name: str
    email: str
    address: Address


@dataclass(frozen=True, repr=False)
class CaseEvent(_Record):
    """One change of a case's status or open amount."""

    at: _dt.datetime
    status: CaseStatus
    open_amount: Decimal
    reason: str


@dataclass(frozen=True, repr=False)
class CollectionCase(_Record):
    """One unpaid invoice handed to collection, keyed by the invoice's source id.

    ``debt_age_days`` is the engine's count of whole days from ``age_from``
    to the time the cases were read (0 when not yet due).
    """

    _repr_fields = ("id", "invoice_external_id", "status", "open_amount", "currency")

    id: str
    invoice_id: str
    invoice_external_id: str
    debtor: Debtor
    currency: str
    original_amount: Decimal
    open_amount: Decimal
    age_from: _dt.datetime
    age_basis: AgeBasis
    status: CaseStatus
    history: List[CaseEvent]
    debt_age_days: int
    invoice_number: Optional[str] = None
    invoice_url: Optional[str] = None
    close_reason: Optional[str] = None


@dataclass(frozen=True, repr=False)
class CaseRefusal(_Record):
    """An invoice no case was opened for: its debtor lacks ``missing``
    (``name``, ``email``, ``postal_address`` or ``customer``).
    ``code`` is always ``DEBTOR_INCOMPLETE``."""

    _repr_fields = ("invoice_external_id", "missing")

    invoice_id: str
    invoice_external_id: str
    missing: List[str]
    code: str
    message: str
    customer_id: Optional[str] = None


@dataclass(frozen=True, repr=False)
class CaseOpening(_Record):
    """What ``create_collection_cases`` did: cases opened, ids that existed, refusals."""

    _repr_fields = ("opened", "existing", "refused")

    opened: List[CollectionCase]
    existing: List[str]
    refused: List[CaseRefusal]


@dataclass(frozen=True, repr=False)
class AgingRow(_Record):
    """One customer's (or, in ``totals``, every customer's) open amounts in one currency."""

    _repr_fields = ("customer_id", "currency", "total")

    currency: str
    current: Decimal
    days_1_30: Decimal
    days_31_60: Decimal
    days_61_90: Decimal
    days_over_90: Decimal
    total: Decimal
    customer_id: Optional[str] = None
    customer_name: Optional[str] = None


@dataclass(frozen=True, repr=False)
class AgingReport(_Record):
    """AR aging as of one time; each currency's total equals its ``open_total``."""

    _repr_fields = ("as_of", "open_total")

    as_of: _dt.datetime
    rows: List[AgingRow]
    totals: List[AgingRow]
    open_total: Dict[str, Decimal]


@dataclass(frozen=True, repr=False)
class Money(_Record):
    """An exact amount in one currency."""

    amount: Decimal
    currency: str


@dataclass(frozen=True, repr=False)
class WriteIntent(_Record):
    """One write to the outside: its key (derived from its purpose), target and payload.

    For a follow-up the payload holds ``to_email``, ``to_name``, ``subject``,
    ``text``, ``html``, ``invoice_id``, ``step``, ``open_amount``, ``currency``.
    """

    _repr_fields = ("key", "target", "kind", "purpose")

    key: str
    target: str
    kind: str
    purpose: str
    payload: Dict[str, Any]
    planned_at: _dt.datetime
    subject: Optional[str] = None
    amount: Optional[Money] = None


@dataclass(frozen=True, repr=False)
class WriteAttempt(_Record):
    """One attempt at a write, recorded before it was made."""

    number: int
    started_at: _dt.datetime
    retryable: bool = False
    finished_at: Optional[_dt.datetime] = None
    request_id: Optional[str] = None
    error: Optional[str] = None
    next_retry_at: Optional[_dt.datetime] = None


@dataclass(frozen=True, repr=False)
class WriteRecord(_Record):
    """A write as the books record it: intent, status, attempts, outcome."""

    _repr_fields = ("key", "status", "updated_at")

    id: str
    key: str
    intent: WriteIntent
    status: WriteStatus
    attempts: List[WriteAttempt]
    updated_at: _dt.datetime
    outcome: Optional[Dict[str, Any]] = None


@dataclass(frozen=True, repr=False)
class PlannedFollowUp(_Record):
    """One follow-up due: the latest due step of one invoice."""

    _repr_fields = ("invoice_external_id", "step", "channel", "planned_at")

    key: str
    purpose: str
    invoice_id: str
    invoice_external_id: str
    customer_id: str
    step_index: int
    step: str
    channel: str
    planned_at: _dt.datetime
    due_at: _dt.datetime
    open_amount: Decimal
    amount_due: Decimal
    currency: str
    invoice_number: Optional[str] = None
    invoice_url: Optional[str] = None
    customer_name: Optional[str] = None
    customer_email: Optional[str] = None


@dataclass(frozen=True, repr=False)
class FollowUpItem(_Record):
    """One follow-up as a person reviews it: the plan and the rendered message."""

    _repr_fields = ("planned", "already_sent")

    planned: PlannedFollowUp
    intent: WriteIntent
    already_sent: bool
    already_done: bool


@dataclass(frozen=True, repr=False)
class WritePlan(_Record):
    """The writes one review covers, for one account and mode."""

    _repr_fields = ("account", "livemode")

    account: str
    livemode: bool
    intents: List[WriteIntent]


@dataclass(frozen=True, repr=False)
class FollowUpReview(_Record):
    """What a follow-up run would send, and the approval live-mode books need."""

    _repr_fields = ("plan", "approval")

    items: List[FollowUpItem]
    plan: WritePlan
    approval: Approval


@dataclass(frozen=True, repr=False)
class WriteReport(_Record):
    """What a run of writes did, by idempotency key."""

    _repr_fields = ("delivered", "cancelled", "failed", "unknown")

    delivered: List[str]
    resolved: List[str]
    already_done: List[str]
    cancelled: List[str]
    retrying: List[str]
    failed: List[str]
    unknown: List[str]


def _convert(tp: Any, value: Any) -> Any:
    """``value`` (decoded engine JSON) as type ``tp``: the declared types drive it."""
    if value is None:
        return None
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is Union:
        inner = [a for a in args if a is not type(None)]
        return _convert(inner[0], value) if inner else value
    if origin in (list, List):
        return [_convert(args[0], v) for v in value]
    if origin in (dict, Dict):
        return {k: _convert(args[1], v) for k, v in value.items()}
    if tp is Decimal:
        return Decimal(str(value))
    if tp is _dt.datetime:
        return _dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if tp is _dt.date:
        return _dt.date.fromisoformat(str(value))
    if isinstance(tp, type) and issubclass(tp, Enum):
        return _enum(tp, value)
    if dataclasses.is_dataclass(tp) and isinstance(value, dict):
        return _build(tp, value)
    return value


def _build(cls: Any, data: Dict[str, Any]) -> Any:
    """A record class from decoded engine JSON (conversion by declared field types)."""
    hints = typing.get_type_hints(cls)
    kwargs = {}
    for f in dataclasses.fields(cls):
        if f.name in data:
            kwargs[f.name] = _convert(hints[f.name], data[f.name])
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            # The engine leaves out empty optional fields (`skip_serializing_if`).
            kwargs[f.name] = None
    return cls(**kwargs)


__all__ = [
    "InvoiceWriteOff",
    "AgeBasis",
    "AgingReport",
    "AgingRow",
    "CaseEvent",
    "CaseOpening",
    "CaseRefusal",
    "CaseStatus",
    "CollectionCase",
    "Debtor",
    "FollowUpItem",
    "FollowUpReview",
    "Money",
    "PlannedFollowUp",
    "WriteAttempt",
    "WriteIntent",
    "WritePlan",
    "WriteRecord",
    "WriteReport",
    "WriteStatus",
    "Export",
    "ExportedEntry",
    "Journal",
    "JournalEntry",
    "Posting",
    "ReportedBalance",
    "StatementLine",
    "StripeBalance",
    "AllocationLine",
    "CurrencyTotals",
    "FeeLine",
    "FeeTotals",
    "FxLine",
    "OpenInvoice",
    "PayoutCheck",
    "PayoutDeposit",
    "PayoutMatchReport",
    "ReconcileReport",
    "UnappliedPayment",
    "UnmatchedDeposit",
    "UnmatchedPayout",
    "AccountInfo",
    "Action",
    "Address",
    "Allocation",
    "AllocationKind",
    "AllocationReason",
    "Approval",
    "BalanceTransaction",
    "BankLine",
    "Counts",
    "Customer",
    "CustomerKind",
    "Dispute",
    "DisputeStatus",
    "EventOutcome",
    "EventStatus",
    "Failure",
    "FeeDetail",
    "FieldChange",
    "ImportRun",
    "WorkerReport",
    "Interval",
    "Invoice",
    "InvoiceLine",
    "InvoiceStatus",
    "MatchStrategy",
    "OriginalCustomer",
    "Payment",
    "PaymentRefs",
    "PaymentStatus",
    "Payout",
    "Price",
    "Product",
    "Refund",
    "CreditNote",
    "CreditNoteLine",
    "Review",
    "ReviewAllocations",
    "ReviewRemovals",
    "ReviewEntries",
    "ReviewEntry",
    "ReviewSummary",
    "RunStatus",
    "SourceRef",
    "Subscription",
    "SubscriptionItem",
    "SubscriptionStatus",
    "Total",
    "to_rows",
]

"""Type stubs for the native module ``tieout._native`` (checked by mypy.stubtest)."""

import datetime
import os
from decimal import Decimal
from typing import Any, Callable, Dict, Generic, List, Optional, Sequence, Tuple, TypeVar, Union, final

from tieout._records import (
    Export,
    ExportedEntry,
    Journal,
    JournalEntry,
    WritePlan,
    StripeBalance,
    AccountInfo,
    Allocation,
    Approval,
    BalanceTransaction,
    BankLine,
    Customer,
    Dispute,
    EventOutcome,
    ImportRun,
    PayoutMatchReport,
    ReconcileReport,
    Invoice,
    Payment,
    Payout,
    Price,
    Product,
    Refund,
    CreditNote,
    Review,
    ReviewEntry,
    Subscription,
    AgingReport,
    CaseOpening,
    CollectionCase,
    FollowUpReview,
    PlannedFollowUp,
    WriteRecord,
    WriteReport,
    WorkerReport,
)

__version__: str

__all__ = [
    "Books",
    "Event",
    "FollowUpPolicy",
    "ImportPlan",
    "LedgerPushReview",
    "QuickBooksClient",
    "ReconcilePolicy",
    "SlackWebhook",
    "SmtpChannel",
    "RecordIterator",
    "ReviewAllocationPages",
    "ReviewEntryPages",
    "ReviewRemovalPages",
    "StripeEvents",
    "StripeFiles",
    "StripeSource",
    "XeroClient",
    "__version__",
    "currency_exponent",
    "sign_webhook",
    "verify_webhook",
]

_Amount = Union[Decimal, int, str]
_Time = Union[datetime.datetime, datetime.date, int]
_Payload = Union[bytes, bytearray, str]
_Progress = Callable[[int, Optional[int], int], Any]
_Source = Union["StripeSource", "StripeFiles", "StripeEvents"]

@final
class ReconcilePolicy:
    def __new__(
        cls,
        order: str = "oldest_first",
        write_off_abs: Optional[_Amount] = None,
        write_off_pct: Optional[_Amount] = None,
        fees: str = "separate_expense",
        fx: str = "report_difference",
        metadata_keys: Optional[Sequence[str]] = None,
        match_on_import: bool = True,
        deposit_window_days: int = 3,
    ) -> ReconcilePolicy: ...
    @property
    def order(self) -> str: ...
    @property
    def write_off_abs(self) -> Decimal: ...
    @property
    def write_off_pct(self) -> Decimal: ...
    @property
    def fees(self) -> str: ...
    @property
    def fx(self) -> str: ...
    @property
    def metadata_keys(self) -> List[str]: ...
    @property
    def match_on_import(self) -> bool: ...
    @property
    def deposit_window_days(self) -> int: ...
    def to_dict(self) -> Dict[str, Any]: ...
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class ImportPlan:
    def __new__(
        cls,
        objects: Optional[Sequence[str]] = None,
        customer_resolution: str = "stripe",
        fixed_customer: Optional[Union[str, Customer]] = None,
        match_by_email: bool = False,
        customer_filter: Optional[Dict[str, Sequence[str]]] = None,
        created_from: Optional[_Time] = None,
        created_to: Optional[_Time] = None,
        invoice_statuses: Optional[Sequence[str]] = None,
        paid_invoices: str = "record_payment",
        unpaid_invoices: str = "keep_status",
        policy: Optional[ReconcilePolicy] = None,
        post_actions: Optional[Sequence[str]] = None,
        allow_live: bool = False,
    ) -> ImportPlan: ...
    @staticmethod
    def from_json(data: Union[str, Dict[str, Any]]) -> ImportPlan: ...
    @property
    def hash(self) -> str: ...
    @property
    def objects(self) -> List[str]: ...
    @property
    def customer_resolution(self) -> str: ...
    @property
    def fixed_customer(self) -> Optional[str]: ...
    @property
    def match_by_email(self) -> bool: ...
    @property
    def customer_filter(self) -> Optional[Dict[str, List[str]]]: ...
    @property
    def created_from(self) -> Optional[datetime.datetime]: ...
    @property
    def created_to(self) -> Optional[datetime.datetime]: ...
    @property
    def invoice_statuses(self) -> List[str]: ...
    @property
    def paid_invoices(self) -> str: ...
    @property
    def unpaid_invoices(self) -> str: ...
    @property
    def policy(self) -> ReconcilePolicy: ...
    @property
    def post_actions(self) -> List[str]: ...
    @property
    def allow_live(self) -> bool: ...
    def to_dict(self) -> Dict[str, Any]: ...
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class StripeSource:
    def __new__(
        cls,
        api_key: str,
        base_url: Optional[str] = None,
        api_version: Optional[str] = None,
        stripe_account: Optional[str] = None,
        max_requests_per_second: Optional[int] = None,
        max_concurrency: Optional[int] = None,
        max_retries: Optional[int] = None,
        timeout: Optional[float] = None,
        page_limit: Optional[int] = None,
        shards: Optional[int] = None,
        retry_base_delay: Optional[float] = None,
        retry_max_delay: Optional[float] = None,
        backfill_start: Optional[int] = None,
    ) -> StripeSource: ...
    def verify(self) -> AccountInfo: ...
    def verify_permissions(self, objects: Optional[Sequence[str]] = None) -> None: ...
    def events(self) -> StripeEvents: ...
    @property
    def livemode(self) -> bool: ...
    @property
    def key_kind(self) -> str: ...
    @property
    def api_version(self) -> str: ...

@final
class StripeEvents:
    def __new__(cls, source: StripeSource, retention_secs: Optional[int] = None) -> StripeEvents: ...
    def verify(self) -> AccountInfo: ...

@final
class StripeFiles:
    def __new__(cls, dir: Union[str, os.PathLike[str]], account: Optional[str] = None) -> StripeFiles: ...
    def verify(self) -> AccountInfo: ...
    @property
    def dir(self) -> str: ...

@final
class Event:
    @staticmethod
    def from_json(payload: _Payload) -> Event: ...
    @property
    def id(self) -> str: ...
    @property
    def type(self) -> str: ...
    @property
    def created(self) -> int: ...
    @property
    def created_at(self) -> Optional[datetime.datetime]: ...
    @property
    def api_version(self) -> Optional[str]: ...
    @property
    def livemode(self) -> bool: ...
    @property
    def account(self) -> Optional[str]: ...
    @property
    def object(self) -> Dict[str, Any]: ...
    @property
    def previous_attributes(self) -> Optional[Dict[str, Any]]: ...
    def to_dict(self) -> Dict[str, Any]: ...

_Channel = Union["SmtpChannel", "SlackWebhook", Callable[[Dict[str, Any], str], Any]]

@final
class FollowUpPolicy:
    def __new__(
        cls,
        version: str,
        steps: List[Dict[str, Any]],
        *,
        paused: Optional[List[str]] = None,
        opted_out: Optional[List[str]] = None,
        quiet_days: Optional[List[str]] = None,
    ) -> FollowUpPolicy: ...
    @property
    def version(self) -> str: ...
    @property
    def steps(self) -> List[str]: ...
    def to_dict(self) -> Any: ...

@final
class SmtpChannel:
    def __new__(
        cls,
        host: str,
        port: int,
        from_: str,
        *,
        security: str = "starttls",
        username: Optional[str] = None,
        password: Optional[str] = None,
        reply_to: Optional[str] = None,
        timeout: float = 30.0,
        ca_pem: Optional[str] = None,
    ) -> SmtpChannel: ...

@final
class SlackWebhook:
    def __new__(cls, url: str, *, timeout: float = 10.0, digest: bool = False) -> SlackWebhook: ...
    @property
    def digest(self) -> bool: ...

_R = TypeVar("_R")

@final
class RecordIterator(Generic[_R]):
    """Records of a query, read lazily one page at a time."""
    def __iter__(self) -> RecordIterator[_R]: ...
    def __next__(self) -> _R: ...
    @property
    def pages_fetched(self) -> int: ...
    @property
    def cursor(self) -> Optional[str]: ...

@final
class ReviewEntryPages:
    def __len__(self) -> int: ...
    def page(self, offset: int, limit: int) -> List[ReviewEntry]: ...

@final
class ReviewAllocationPages:
    def __len__(self) -> int: ...
    def page(self, offset: int, limit: int) -> List[Allocation]: ...

@final
class ReviewRemovalPages:
    def __len__(self) -> int: ...
    def page(self, offset: int, limit: int) -> List[str]: ...

@final
class QuickBooksClient:
    def __new__(
        cls,
        realm_id: str,
        access_token: str,
        *,
        base_url: Optional[str] = None,
        timeout: float = 30.0,
    ) -> QuickBooksClient: ...
    @property
    def realm_id(self) -> str: ...

@final
class XeroClient:
    def __new__(
        cls,
        tenant_id: str,
        access_token: str,
        *,
        base_url: Optional[str] = None,
        timeout: float = 30.0,
    ) -> XeroClient: ...
    @property
    def tenant_id(self) -> str: ...

@final
class LedgerPushReview:
    @property
    def target(self) -> str: ...
    @property
    def account(self) -> str: ...
    @property
    def entries(self) -> List[JournalEntry]: ...
    @property
    def plan(self) -> WritePlan: ...
    @property
    def approval(self) -> Approval: ...
    def __len__(self) -> int: ...

@final
class Books:
    @staticmethod
    def open(
        path: Union[str, os.PathLike[str]],
        *,
        commit_records: Optional[int] = None,
        commit_seconds: Optional[float] = None,
        schema: Optional[str] = None,
        lease_seconds: Optional[float] = None,
        lock_wait_seconds: Optional[float] = None,
    ) -> Books: ...
    @property
    def holder(self) -> str: ...
    def backfill_worker(
        self,
        source: _Source,
        plan: Optional[ImportPlan] = None,
        approval: Optional[Union[Approval, str]] = None,
        *,
        shards: int = 16,
        name: Optional[str] = None,
    ) -> WorkerReport: ...
    @staticmethod
    def in_memory() -> Books: ...
    @property
    def commit_batch(self) -> Tuple[int, float]: ...
    def review(
        self,
        source: _Source,
        plan: Optional[ImportPlan] = None,
        progress: Optional[_Progress] = None,
    ) -> Review: ...
    def import_(
        self,
        source: _Source,
        plan: Optional[ImportPlan] = None,
        approval: Optional[Union[Approval, str]] = None,
        progress: Optional[_Progress] = None,
    ) -> ImportRun: ...
    def apply_event(
        self,
        event: Union[Event, _Payload, Dict[str, Any]],
        plan: Optional[ImportPlan] = None,
    ) -> EventOutcome: ...
    def create_customer(self, name: str, email: Optional[str] = None, kind: str = "company") -> Customer: ...
    def create_invoice(
        self,
        customer_id: str,
        lines: List[Dict[str, Any]],
        currency: str,
        due_date: Optional[_Time] = None,
        prefix: Optional[str] = None,
        memo: Optional[str] = None,
        key: Optional[str] = None,
        now: Optional[_Time] = None,
    ) -> Invoice: ...
    def issue_invoice(self, invoice_id: str, now: Optional[_Time] = None) -> Invoice: ...
    def void_invoice(self, invoice_id: str, now: Optional[_Time] = None) -> Invoice: ...
    def review_customer_pushes(
        self,
        api_key: str,
        base_url: Optional[str] = None,
        only: Optional[List[str]] = None,
        now: Optional[_Time] = None,
    ) -> Dict[str, Any]: ...
    def push_customers(
        self,
        api_key: str,
        base_url: Optional[str] = None,
        only: Optional[List[str]] = None,
        approval: Optional[str] = None,
        now: Optional[_Time] = None,
    ) -> Dict[str, List[str]]: ...
    def payment_link(
        self,
        invoice_id: str,
        api_key: str,
        success_url: str,
        cancel_url: str,
        base_url: Optional[str] = None,
        save_card: bool = False,
        approval: Optional[str] = None,
        now: Optional[_Time] = None,
    ) -> Dict[str, Any]: ...
    def stripe_customer_link(self, customer_id: str, account: str) -> Optional[str]: ...
    def review_writes(
        self,
        api_key: str,
        base_url: Optional[str] = None,
        now: Optional[_Time] = None,
        write_back_method: str = "auto",
        api_version: Optional[str] = None,
        *,
        write_offs: Optional[str] = None,
    ) -> Dict[str, Any]: ...
    def apply_writes(
        self,
        api_key: str,
        base_url: Optional[str] = None,
        approval: Optional[str] = None,
        now: Optional[_Time] = None,
        write_back_method: str = "auto",
        api_version: Optional[str] = None,
        *,
        fault: Optional[Callable[[str, str], bool]] = None,
        write_offs: Optional[str] = None,
    ) -> Dict[str, List[str]]: ...
    def write_back(
        self,
        api_key: str,
        base_url: Optional[str] = None,
        approval: Optional[str] = None,
        now: Optional[_Time] = None,
        *,
        fault: Optional[Callable[[str, str], bool]] = None,
    ) -> Dict[str, List[str]]: ...
    def record_payment(
        self,
        reference: str,
        amount: _Amount,
        currency: str,
        received_at: Optional[_Time] = None,
        customer_id: Optional[str] = None,
        method: Optional[str] = None,
        description: Optional[str] = None,
    ) -> Payment: ...
    def auto_pay(self, customer_id: str) -> Optional[Dict[str, Any]]: ...
    def set_default_payment_method(
        self,
        customer_id: str,
        account: str,
        payment_method: str,
        now: Optional[_Time] = None,
    ) -> Dict[str, Any]: ...
    def enable_auto_pay(self, customer_id: str, now: Optional[_Time] = None) -> Dict[str, Any]: ...
    def disable_auto_pay(
        self, customer_id: str, reason: str, now: Optional[_Time] = None
    ) -> Dict[str, Any]: ...
    def save_card_from_checkout(
        self,
        session: Union[str, Dict[str, Any]],
        account: str,
        payment_intent: Union[str, Dict[str, Any], None] = None,
        now: Optional[_Time] = None,
    ) -> Optional[Dict[str, Any]]: ...
    def review_auto_pay(
        self,
        api_key: str,
        base_url: Optional[str] = None,
        now: Optional[_Time] = None,
    ) -> Dict[str, Any]: ...
    def run_auto_pay(
        self,
        api_key: str,
        base_url: Optional[str] = None,
        approval: Optional[str] = None,
        now: Optional[_Time] = None,
        *,
        channels: Optional[Dict[str, Any]] = None,
        notify: Optional[List[str]] = None,
        success_url: Optional[str] = None,
        cancel_url: Optional[str] = None,
        fault: Optional[Callable[[str, str], bool]] = None,
    ) -> Dict[str, Any]: ...
    def invoices(self, status: Optional[str] = None, customer_id: Optional[str] = None) -> List[Invoice]: ...
    def customers(self) -> List[Customer]: ...
    def iter_records(
        self,
        kind: str,
        *,
        status: Optional[str] = None,
        customer_id: Optional[str] = None,
        currency: Optional[str] = None,
        created_from: Optional[_Time] = None,
        created_to: Optional[_Time] = None,
        due_from: Optional[_Time] = None,
        due_to: Optional[_Time] = None,
        updated_since: Optional[_Time] = None,
        page_size: int = 500,
        after: Optional[str] = None,
    ) -> RecordIterator[Any]: ...
    def iter_invoices(
        self,
        *,
        status: Optional[str] = None,
        customer_id: Optional[str] = None,
        currency: Optional[str] = None,
        created_from: Optional[_Time] = None,
        created_to: Optional[_Time] = None,
        due_from: Optional[_Time] = None,
        due_to: Optional[_Time] = None,
        updated_since: Optional[_Time] = None,
        page_size: int = 500,
        after: Optional[str] = None,
    ) -> RecordIterator[Invoice]: ...
    def iter_payments(
        self,
        *,
        status: Optional[str] = None,
        customer_id: Optional[str] = None,
        currency: Optional[str] = None,
        created_from: Optional[_Time] = None,
        created_to: Optional[_Time] = None,
        due_from: Optional[_Time] = None,
        due_to: Optional[_Time] = None,
        updated_since: Optional[_Time] = None,
        page_size: int = 500,
        after: Optional[str] = None,
    ) -> RecordIterator[Payment]: ...
    def iter_customers(
        self,
        *,
        status: Optional[str] = None,
        customer_id: Optional[str] = None,
        currency: Optional[str] = None,
        created_from: Optional[_Time] = None,
        created_to: Optional[_Time] = None,
        due_from: Optional[_Time] = None,
        due_to: Optional[_Time] = None,
        updated_since: Optional[_Time] = None,
        page_size: int = 500,
        after: Optional[str] = None,
    ) -> RecordIterator[Customer]: ...
    def products(self) -> List[Product]: ...
    def prices(self) -> List[Price]: ...
    def payments(self) -> List[Payment]: ...
    def allocations(self) -> List[Allocation]: ...
    def subscriptions(self) -> List[Subscription]: ...
    def payouts(self) -> List[Payout]: ...
    def refunds(self) -> List[Refund]: ...
    def credit_notes(self) -> List[CreditNote]: ...
    def disputes(self) -> List[Dispute]: ...
    def balance_transactions(self) -> List[BalanceTransaction]: ...
    def bank_lines(self) -> List[BankLine]: ...
    def history(self) -> List[ImportRun]: ...
    def default_account(self) -> Optional[str]: ...
    def set_default_account(self, account: str) -> None: ...
    def register_action(self, name: str, action: Callable[[ImportRun], Any]) -> None: ...
    def reconcile(self, policy: Optional[ReconcilePolicy] = None) -> ReconcileReport: ...
    def report(self, policy: Optional[ReconcilePolicy] = None) -> ReconcileReport: ...
    # `mapping`: account names by LedgerMapping key (accounts_receivable,
    # revenue, ..., suspense; missing keys keep the default). The optional
    # `deferred_revenue` key books lines whose service period runs past the
    # issue day to that account and recognises them month by month, up to
    # `as_of` (journal_entries; default today) or the export's `to` / `now`.
    def journal_entries(
        self,
        mapping: Optional[Dict[str, Any]] = None,
        layers: Optional[List[str]] = None,
        as_of: Optional[Union[datetime.datetime, datetime.date, int]] = None,
    ) -> Journal: ...
    def stripe_balance(
        self,
        currency: str,
        from_: Union[datetime.datetime, datetime.date, int],
        to: Union[datetime.datetime, datetime.date, int],
    ) -> StripeBalance: ...
    def record_reported_balance(
        self,
        currency: str,
        available: _Amount,
        pending: _Amount,
        at: Union[datetime.datetime, datetime.date, int],
    ) -> None: ...
    def stripe_balance_statement(
        self,
        currency: str,
        from_: Union[datetime.datetime, datetime.date, int],
        to: Union[datetime.datetime, datetime.date, int],
        format: str = "csv",
        account: Optional[str] = None,
    ) -> str: ...
    def export_log(self, target: str) -> List[ExportedEntry]: ...
    def export(
        self,
        target: str,
        since_last: bool = False,
        mapping: Optional[Dict[str, Any]] = None,
        layers: Optional[List[str]] = None,
        base_currency: Optional[str] = None,
        rates: Optional[Dict[str, _Amount]] = None,
        now: Optional[Union[datetime.datetime, int]] = None,
        from_: Optional[Union[datetime.datetime, datetime.date, int]] = None,
        to: Optional[Union[datetime.datetime, datetime.date, int]] = None,
    ) -> Export: ...
    def review_ledger_push(
        self,
        target: str,
        account: str,
        mapping: Optional[Dict[str, Any]] = None,
        layers: Optional[List[str]] = None,
        base_currency: Optional[str] = None,
        rates: Optional[Dict[str, _Amount]] = None,
        now: Optional[_Time] = None,
    ) -> LedgerPushReview: ...
    def push_ledger(
        self,
        review: LedgerPushReview,
        approval: Union[Approval, str],
        client: Union[QuickBooksClient, XeroClient],
        now: Optional[_Time] = None,
        *,
        fault: Optional[Callable[[str, str], bool]] = None,
        max_attempts: Optional[int] = None,
        retry_base_seconds: Optional[int] = None,
    ) -> WriteReport: ...
    def table(self, name: str, **filters: Any) -> Any: ...
    def report_html(
        self, as_of: Optional[datetime.date] = None, policy: Optional[ReconcilePolicy] = None
    ) -> str: ...
    def match_payouts(self, policy: Optional[ReconcilePolicy] = None) -> PayoutMatchReport: ...
    def allocate(
        self, payment_id: str, invoice_id: str, amount: _Amount, note: Optional[str] = None
    ) -> Allocation: ...
    def write_off(self, invoice_id: str, reason: str, now: Optional[_Time] = None) -> Invoice: ...
    def unallocate(self, allocation_id: str) -> None: ...
    def import_bank_csv(self, csv: str, mapping: Optional[Dict[str, Any]] = None) -> List[BankLine]: ...
    def import_bank_camt053(self, xml: str) -> List[BankLine]: ...
    def create_collection_cases(
        self,
        filter: Optional[Dict[str, Any]] = None,
        policy: Optional[Dict[str, Any]] = None,
        now: Optional[_Time] = None,
    ) -> CaseOpening: ...
    def collection_cases(self, now: Optional[_Time] = None) -> List[CollectionCase]: ...
    def collection_case(self, case_id: str, now: Optional[_Time] = None) -> Optional[CollectionCase]: ...
    def submit_collection_case(self, case_id: str, now: Optional[_Time] = None) -> CollectionCase: ...
    def cases_csv(self, now: Optional[_Time] = None) -> str: ...
    def cases_json(self, now: Optional[_Time] = None) -> str: ...
    def aging(self, as_of: Optional[_Time] = None) -> AgingReport: ...
    def aging_csv(self, as_of: Optional[_Time] = None) -> str: ...
    def aging_json(self, as_of: Optional[_Time] = None) -> str: ...
    def plan_follow_ups(self, policy: FollowUpPolicy, now: Optional[_Time] = None) -> List[PlannedFollowUp]: ...
    def review_follow_ups(self, policy: FollowUpPolicy, now: Optional[_Time] = None) -> FollowUpReview: ...
    def run_follow_ups(
        self,
        policy: FollowUpPolicy,
        channels: Dict[str, _Channel],
        now: Optional[_Time] = None,
        approval: Optional[Union[Approval, str]] = None,
        *,
        fault: Optional[Callable[[str, str], bool]] = None,
        max_attempts: Optional[int] = None,
        retry_base_seconds: Optional[int] = None,
    ) -> WriteReport: ...
    def writes(self) -> List[WriteRecord]: ...

def verify_webhook(
    payload: _Payload,
    signature_header: str,
    secret: str,
    tolerance: Optional[int] = 300,
    now: Optional[int] = None,
) -> Event: ...
def currency_exponent(code: str) -> int: ...
def sign_webhook(payload: _Payload, secret: str, timestamp: Optional[int] = None) -> str: ...

//! Receivables for Node: collection cases, aging, follow-up policies and runs,
//! channels (SMTP, Slack, JS functions) and write records. Amounts are decimal
//! strings, times ISO strings, as everywhere in the binding.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc, Weekday};
use napi::bindgen_prelude::{FnArgs, PromiseRaw, Unknown};
use napi::threadsafe_function::ThreadsafeFunction;
use napi::{Env, Status};
use napi_derive::napi;
use serde_json::Value;
use tieout::Currency;
use tieout::channels::{SlackWebhook, SmtpConfig, SmtpSecurity};
use tieout::collect::CompiledPolicy;
use tieout::core::collect::{
    CaseFilter as CoreCaseFilter, CasePolicy, FollowUpPolicy as CorePolicy,
    FollowUpStep as CoreStep, MessageTemplate, cases_csv, cases_json,
};
use tieout::core::writes::{RetryPolicy, WriteApproval};
use tieout::writes::{
    CallbackChannel, Channels as CoreChannels, FaultPoint, Outcome, WriteOptions,
};

use crate::books::Books;
use crate::callbacks::{Returned, call_and_wait};
use crate::error::{invalid, to_napi};
use crate::records::Address;
use crate::task::{blocking, rejected};
use crate::values::{amount, instant, instant_opt, parse_decimal, parse_instant};

/// A host channel: `(message, key) => boolean | string | void`. Weak: a
/// `Channels` object kept (or not yet collected) after its runs does not keep
/// the process alive; a run in progress does, through its Promise.
pub type SendFn = ThreadsafeFunction<
    FnArgs<(Value, String)>,
    Unknown<'static>,
    FnArgs<(Value, String)>,
    Status,
    false,
    true,
>;

/// A fault hook (tests): `(key, point) => boolean`. Weak, like [`SendFn`].
pub type FaultFn = ThreadsafeFunction<
    FnArgs<(String, String)>,
    Unknown<'static>,
    FnArgs<(String, String)>,
    Status,
    false,
    true,
>;

// --- records ------------------------------------------------------------------

/// Where a collection case stands.
#[napi(string_enum = "snake_case")]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CaseStatus {
    /// Opened, money still owed.
    Open,
    /// Handed to an agency.
    Submitted,
    /// Paid in full.
    Paid,
    /// Closed for another reason (see `closeReason`).
    Closed,
}

impl From<tieout::core::collect::CaseStatus> for CaseStatus {
    fn from(s: tieout::core::collect::CaseStatus) -> Self {
        use tieout::core::collect::CaseStatus as S;
        match s {
            S::Open => CaseStatus::Open,
            S::Submitted => CaseStatus::Submitted,
            S::Paid => CaseStatus::Paid,
            S::Closed => CaseStatus::Closed,
        }
    }
}

/// Where a write to the outside stands.
#[napi(string_enum = "snake_case")]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WriteStatus {
    /// Recorded, never attempted.
    Planned,
    /// Handed to the channel; outcome not committed yet.
    InFlight,
    /// Confirmed.
    Succeeded,
    /// Refused.
    Failed,
    /// Answer lost: resolved with the same key before any retry.
    Unknown,
    /// Not made: its reason went away (the invoice was paid).
    Cancelled,
}

impl From<tieout::core::writes::WriteStatus> for WriteStatus {
    fn from(s: tieout::core::writes::WriteStatus) -> Self {
        use tieout::core::writes::WriteStatus as S;
        match s {
            S::Planned => WriteStatus::Planned,
            S::InFlight => WriteStatus::InFlight,
            S::Succeeded => WriteStatus::Succeeded,
            S::Failed => WriteStatus::Failed,
            S::Unknown => WriteStatus::Unknown,
            S::Cancelled => WriteStatus::Cancelled,
        }
    }
}

/// The debtor of a case, taken from the customer.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct Debtor {
    /// Books id of the customer.
    pub customer_id: String,
    /// Name.
    pub name: String,
    /// Email.
    pub email: String,
    /// Postal address.
    pub address: Address,
}

/// One change of a case's status or open amount.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct CaseEvent {
    /// When (ISO).
    pub at: String,
    /// Status after it.
    pub status: CaseStatus,
    /// Open amount after it.
    pub open_amount: String,
    /// Why (`opened`, `paid`, `void`, ...).
    pub reason: String,
}

/// One unpaid invoice handed to collection, keyed by the invoice's source id.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct CollectionCase {
    /// The books' own id.
    pub id: String,
    /// Books id of the invoice.
    pub invoice_id: String,
    /// Stripe invoice id.
    pub invoice_external_id: String,
    /// Invoice number.
    pub invoice_number: Option<String>,
    /// Hosted invoice URL.
    pub invoice_url: Option<String>,
    /// Who owes it.
    pub debtor: Debtor,
    /// Currency.
    pub currency: String,
    /// Amount due when opened.
    pub original_amount: String,
    /// Still open per the books.
    pub open_amount: String,
    /// What the age counts from (ISO).
    pub age_from: String,
    /// `due_date`, or `finalized` when Stripe gave no due date.
    pub age_basis: String,
    /// Whole days from `ageFrom` to the time the cases were read.
    pub debt_age_days: i64,
    /// Status.
    pub status: CaseStatus,
    /// Why a closed case was closed.
    pub close_reason: Option<String>,
    /// Every change, oldest first.
    pub history: Vec<CaseEvent>,
}

fn case_of(c: &tieout::core::collect::CollectionCase, now: DateTime<Utc>) -> CollectionCase {
    let a = &c.debtor.address;
    CollectionCase {
        id: c.id.clone(),
        invoice_id: c.invoice_id.clone(),
        invoice_external_id: c.invoice_external_id.clone(),
        invoice_number: c.invoice_number.clone(),
        invoice_url: c.invoice_url.clone(),
        debtor: Debtor {
            customer_id: c.debtor.customer_id.clone(),
            name: c.debtor.name.clone(),
            email: c.debtor.email.clone(),
            address: Address {
                line1: a.line1.clone(),
                line2: a.line2.clone(),
                city: a.city.clone(),
                state: a.state.clone(),
                postal_code: a.postal_code.clone(),
                country: a.country.clone(),
            },
        },
        currency: c.currency.code().to_string(),
        original_amount: amount(c.original_amount, c.currency),
        open_amount: amount(c.open_amount, c.currency),
        age_from: instant(c.age_from),
        age_basis: match c.age_basis {
            tieout::core::collect::AgeBasis::DueDate => "due_date".into(),
            tieout::core::collect::AgeBasis::Finalized => "finalized".into(),
        },
        debt_age_days: c.debt_age_days(now),
        status: c.status.into(),
        close_reason: c.close_reason.clone(),
        history: c
            .history
            .iter()
            .map(|e| CaseEvent {
                at: instant(e.at),
                status: e.status.into(),
                open_amount: amount(e.open_amount, c.currency),
                reason: e.reason.clone(),
            })
            .collect(),
    }
}

/// An invoice no case was opened for.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct CaseRefusal {
    /// Books id of the invoice.
    pub invoice_id: String,
    /// Stripe invoice id.
    pub invoice_external_id: String,
    /// Books id of its customer.
    pub customer_id: Option<String>,
    /// Missing debtor fields: `name`, `email`, `postal_address`, `customer`.
    pub missing: Vec<String>,
    /// Always `DEBTOR_INCOMPLETE`.
    pub code: String,
    /// One line naming the missing fields.
    pub message: String,
}

/// What `createCollectionCases` did.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct CaseOpening {
    /// New cases.
    pub opened: Vec<CollectionCase>,
    /// Ids of cases that already existed.
    pub existing: Vec<String>,
    /// Invoices refused for missing debtor details.
    pub refused: Vec<CaseRefusal>,
}

/// A core `CaseOpening` for JS, each opened case aged at `now`.
pub(crate) fn opening_of(
    o: &tieout::core::collect::CaseOpening,
    now: DateTime<Utc>,
) -> CaseOpening {
    CaseOpening {
        opened: o.opened.iter().map(|c| case_of(c, now)).collect(),
        existing: o.existing.clone(),
        refused: o
            .refused
            .iter()
            .map(|r| CaseRefusal {
                invoice_id: r.invoice_id.clone(),
                invoice_external_id: r.invoice_external_id.clone(),
                customer_id: r.customer_id.clone(),
                missing: r.missing.iter().map(|m| m.as_str().to_string()).collect(),
                code: "DEBTOR_INCOMPLETE".into(),
                message: r.message(),
            })
            .collect(),
    }
}

/// One customer's (or, in `totals`, every customer's) open amounts in one currency.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct AgingRow {
    /// Books id of the customer (null in totals).
    pub customer_id: Option<String>,
    /// Customer name.
    pub customer_name: Option<String>,
    /// Currency.
    pub currency: String,
    /// Not yet due.
    pub current: String,
    /// 1-30 days past due.
    #[napi(js_name = "days1To30")]
    pub days1_30: String,
    /// 31-60 days past due.
    #[napi(js_name = "days31To60")]
    pub days31_60: String,
    /// 61-90 days past due.
    #[napi(js_name = "days61To90")]
    pub days61_90: String,
    /// More than 90 days past due.
    #[napi(js_name = "daysOver90")]
    pub days_over90: String,
    /// Sum of the buckets.
    pub total: String,
}

fn row_of(r: &tieout::core::collect::AgingRow) -> AgingRow {
    let c = r.currency;
    AgingRow {
        customer_id: r.customer_id.clone(),
        customer_name: r.customer_name.clone(),
        currency: c.code().to_string(),
        current: amount(r.current, c),
        days1_30: amount(r.days_1_30, c),
        days31_60: amount(r.days_31_60, c),
        days61_90: amount(r.days_61_90, c),
        days_over90: amount(r.days_over_90, c),
        total: amount(r.total, c),
    }
}

/// AR aging as of one time.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct AgingReport {
    /// The time ages count to (ISO).
    pub as_of: String,
    /// One row per customer and currency.
    pub rows: Vec<AgingRow>,
    /// One row per currency.
    pub totals: Vec<AgingRow>,
    /// Open total per currency (equals the totals' `total`).
    pub open_total: std::collections::HashMap<String, String>,
    /// The report as CSV.
    pub csv: String,
    /// The report as JSON text.
    pub json: String,
}

/// An exact amount in one currency.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct Money {
    /// Decimal string.
    pub amount: String,
    /// Currency.
    pub currency: String,
}

/// One write to the outside: its key (derived from its purpose), target and payload.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct WriteIntent {
    /// Idempotency key.
    pub key: String,
    /// Channel name.
    pub target: String,
    /// `follow_up`, `digest`, ...
    pub kind: String,
    /// The purpose the key derives from.
    pub purpose: String,
    /// Books id of the record it concerns.
    pub subject: Option<String>,
    /// Amount it concerns.
    pub amount: Option<Money>,
    /// What the channel needs (`to_email`, `subject`, `text`, `html`, ...).
    pub payload: Value,
    /// When it was planned (ISO).
    pub planned_at: String,
}

pub(crate) fn intent_of(i: &tieout::core::writes::WriteIntent) -> WriteIntent {
    WriteIntent {
        key: i.key.clone(),
        target: i.target.clone(),
        kind: i.kind.clone(),
        purpose: i.purpose.clone(),
        subject: i.subject.clone(),
        amount: i.amount.map(|m| Money {
            amount: amount(m.amount, m.currency),
            currency: m.currency.code().to_string(),
        }),
        payload: i.payload.clone(),
        planned_at: instant(i.planned_at),
    }
}

/// One attempt at a write.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct WriteAttempt {
    /// 1 for the first.
    pub number: u32,
    /// Recorded at (ISO), before the send.
    pub started_at: String,
    /// Outcome committed at (ISO).
    pub finished_at: Option<String>,
    /// The receiver's id (Message-ID, ...).
    pub request_id: Option<String>,
    /// The error of a failed or unknown attempt.
    pub error: Option<String>,
    /// Whether the failure may be retried.
    pub retryable: bool,
    /// Earliest next attempt (ISO).
    pub next_retry_at: Option<String>,
}

/// A write as the books record it.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct WriteRecord {
    /// The books' own id.
    pub id: String,
    /// Idempotency key.
    pub key: String,
    /// What is written.
    pub intent: WriteIntent,
    /// Where it stands.
    pub status: WriteStatus,
    /// Every attempt, oldest first.
    pub attempts: Vec<WriteAttempt>,
    /// What the receiver answered (or why it was cancelled).
    pub outcome: Option<Value>,
    /// Last change (ISO).
    pub updated_at: String,
}

pub(crate) fn write_of(w: &tieout::core::writes::WriteRecord) -> WriteRecord {
    WriteRecord {
        id: w.id.clone(),
        key: w.key.clone(),
        intent: intent_of(&w.intent),
        status: w.status.into(),
        attempts: w
            .attempts
            .iter()
            .map(|a| WriteAttempt {
                number: a.number,
                started_at: instant(a.started_at),
                finished_at: instant_opt(a.finished_at),
                request_id: a.request_id.clone(),
                error: a.error.clone(),
                retryable: a.retryable,
                next_retry_at: instant_opt(a.next_retry_at),
            })
            .collect(),
        outcome: w.outcome.clone(),
        updated_at: instant(w.updated_at),
    }
}

/// One follow-up that is due: the latest due step of one invoice.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct PlannedFollowUp {
    /// Idempotency key.
    pub key: String,
    /// `followup/<invoice>/<step>/<version>`.
    pub purpose: String,
    /// Books id of the invoice.
    pub invoice_id: String,
    /// Stripe invoice id.
    pub invoice_external_id: String,
    /// Invoice number.
    pub invoice_number: Option<String>,
    /// Hosted invoice URL.
    pub invoice_url: Option<String>,
    /// Books id of the customer.
    pub customer_id: String,
    /// Customer name.
    pub customer_name: Option<String>,
    /// Customer email.
    pub customer_email: Option<String>,
    /// Position of the step.
    pub step_index: u32,
    /// Step name.
    pub step: String,
    /// Channel name.
    pub channel: String,
    /// When the step was due (ISO).
    pub planned_at: String,
    /// Due date the steps count from (ISO).
    pub due_at: String,
    /// Open amount when planned.
    pub open_amount: String,
    /// Amount due.
    pub amount_due: String,
    /// Currency.
    pub currency: String,
}

fn planned_of(p: &tieout::core::collect::PlannedFollowUp) -> PlannedFollowUp {
    PlannedFollowUp {
        key: p.key.clone(),
        purpose: p.purpose.clone(),
        invoice_id: p.invoice_id.clone(),
        invoice_external_id: p.invoice_external_id.clone(),
        invoice_number: p.invoice_number.clone(),
        invoice_url: p.invoice_url.clone(),
        customer_id: p.customer_id.clone(),
        customer_name: p.customer_name.clone(),
        customer_email: p.customer_email.clone(),
        step_index: u32::try_from(p.step_index).unwrap_or(u32::MAX),
        step: p.step.clone(),
        channel: p.channel.clone(),
        planned_at: instant(p.planned_at),
        due_at: instant(p.due_at),
        open_amount: amount(p.open_amount, p.currency),
        amount_due: amount(p.amount_due, p.currency),
        currency: p.currency.code().to_string(),
    }
}

/// One follow-up as a person reviews it.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct FollowUpItem {
    /// What was planned.
    pub planned: PlannedFollowUp,
    /// The write with the rendered message.
    pub intent: WriteIntent,
    /// Already sent under this key.
    pub already_sent: bool,
    /// Already sent or cancelled.
    pub already_done: bool,
}

/// The writes a review covers.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct WritePlan {
    /// Account.
    pub account: String,
    /// Live mode: a run needs the approval.
    pub livemode: bool,
    /// The writes, in order.
    pub intents: Vec<WriteIntent>,
}

/// What a follow-up run would send.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct FollowUpReview {
    /// The messages, by invoice.
    pub items: Vec<FollowUpItem>,
    /// The plan the approval covers.
    pub plan: WritePlan,
    /// Approval token for `runFollowUps`.
    pub approval: String,
}

/// What a run of writes did, by key.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct WriteReport {
    /// Made in this run.
    pub delivered: Vec<String>,
    /// Found made by a lookup.
    pub resolved: Vec<String>,
    /// Made before this run.
    pub already_done: Vec<String>,
    /// Not made: the invoice was paid, ...
    pub cancelled: Vec<String>,
    /// Failed, retried later.
    pub retrying: Vec<String>,
    /// Failed for good.
    pub failed: Vec<String>,
    /// Outcome unknown, for a person.
    pub unknown: Vec<String>,
}

impl From<tieout::writes::WriteReport> for WriteReport {
    fn from(r: tieout::writes::WriteReport) -> Self {
        WriteReport {
            delivered: r.delivered,
            resolved: r.resolved,
            already_done: r.already_done,
            cancelled: r.cancelled,
            retrying: r.retrying,
            failed: r.failed,
            unknown: r.unknown,
        }
    }
}

/// How a run of writes retries and (tests) where a JS `fault(key, point)`
/// stops it as a crash would. Call it off the JS thread: the hook waits for
/// the JS function's answer.
pub(crate) fn write_options(
    max_attempts: Option<u32>,
    retry_base_seconds: Option<i64>,
    fault: Option<Arc<FaultFn>>,
) -> WriteOptions {
    let mut retry = RetryPolicy::default();
    if let Some(n) = max_attempts {
        retry.max_attempts = n.max(1);
    }
    if let Some(s) = retry_base_seconds {
        retry.base_seconds = s.max(0);
    }
    let fault = fault.map(|f| {
        let b: tieout::writes::FaultHook = Box::new(move |intent, point| {
            let point = match point {
                FaultPoint::Recorded => "recorded",
                FaultPoint::Performed => "performed",
            };
            matches!(
                call_and_wait(&f, FnArgs::from((intent.key.clone(), point.to_string()))),
                Some(Returned::True)
            )
        });
        b
    });
    WriteOptions { retry, fault }
}

// --- inputs --------------------------------------------------------------------

/// Which open invoices `createCollectionCases` considers.
#[napi(object, object_to_js = false)]
pub struct CaseFilter {
    /// Only this books customer.
    pub customer_id: Option<String>,
    /// Only this currency.
    pub currency: Option<String>,
    /// Created at or after (ISO).
    pub created_from: Option<String>,
    /// Created before (ISO).
    pub created_to: Option<String>,
    /// At least this many days past due.
    pub min_days_overdue: Option<i64>,
    /// At least this much open (decimal string).
    pub min_open_amount: Option<String>,
}

/// Options of `Books#createCollectionCases`.
#[napi(object, object_to_js = false)]
pub struct CreateCasesOptions {
    /// Which invoices.
    pub filter: Option<CaseFilter>,
    /// Refuse debtors without a postal address (default true).
    pub require_postal_address: Option<bool>,
    /// The opening time (ISO; default now).
    pub now: Option<String>,
}

/// One step of a follow-up policy.
#[napi(object, object_to_js = false)]
pub struct FollowUpStepInput {
    /// Unique name (part of each message's key).
    pub name: String,
    /// Days relative to the due date (negative: before).
    pub days: i64,
    /// `email`, `slack` or a host channel name.
    pub channel: String,
    /// Subject template (minijinja).
    pub subject: String,
    /// Plain-text template.
    pub text: String,
    /// HTML template (email).
    pub html: Option<String>,
    /// Only with at least this much open (decimal string).
    pub min_open_amount: Option<String>,
    /// Skip for customers on average at least this many days late.
    pub skip_if_average_days_late_at_least: Option<i64>,
}

/// Options of `new FollowUpPolicy`.
#[napi(object, object_to_js = false)]
pub struct FollowUpPolicyOptions {
    /// Version (part of each message's key).
    pub version: String,
    /// Steps.
    pub steps: Vec<FollowUpStepInput>,
    /// Paused customers (books ids).
    pub paused: Option<Vec<String>>,
    /// Opted-out customers (books ids).
    pub opted_out: Option<Vec<String>>,
    /// Days nothing is sent (`sat`, `sun`, ...; default the weekend).
    pub quiet_days: Option<Vec<String>>,
}

/// A follow-up policy with its templates compiled: a bad template throws
/// `TEMPLATE_ERROR` here, never at send time.
#[napi]
pub struct FollowUpPolicy {
    inner: Arc<CompiledPolicy>,
}

fn policy_of(o: FollowUpPolicyOptions) -> tieout::Result<CompiledPolicy> {
    let steps = o
        .steps
        .into_iter()
        .map(|s| {
            Ok(CoreStep {
                name: s.name,
                days: s.days,
                channel: s.channel,
                template: MessageTemplate {
                    subject: s.subject,
                    text: s.text,
                    html: s.html,
                },
                min_open_amount: s
                    .min_open_amount
                    .map(|m| parse_decimal("minOpenAmount", &m))
                    .transpose()?,
                skip_if_average_days_late_at_least: s.skip_if_average_days_late_at_least,
            })
        })
        .collect::<tieout::Result<Vec<_>>>()?;
    let mut p = CorePolicy::new(&o.version, steps)?;
    p.paused = o.paused.unwrap_or_default().into_iter().collect();
    p.opted_out = o.opted_out.unwrap_or_default().into_iter().collect();
    if let Some(days) = o.quiet_days {
        p.quiet_days = days
            .iter()
            .map(|d| {
                d.parse::<Weekday>()
                    .map_err(|_| invalid(format!("unknown weekday {d:?}")))
            })
            .collect::<tieout::Result<_>>()?;
    }
    CompiledPolicy::new(p)
}

#[napi]
impl FollowUpPolicy {
    /// Validates the policy and compiles its templates.
    #[napi(constructor)]
    pub fn new(env: Env, options: FollowUpPolicyOptions) -> napi::Result<Self> {
        let p = policy_of(options).map_err(|e| to_napi(&env, &e))?;
        Ok(FollowUpPolicy { inner: Arc::new(p) })
    }

    /// The version.
    #[napi(getter)]
    pub fn version(&self) -> String {
        self.inner.policy().version.clone()
    }

    /// Step names, in order.
    #[napi(getter)]
    pub fn steps(&self) -> Vec<String> {
        self.inner
            .policy()
            .steps
            .iter()
            .map(|s| s.name.clone())
            .collect()
    }
}

/// SMTP settings of `Channels#smtp`.
#[napi(object, object_to_js = false)]
pub struct SmtpOptions {
    /// Server host.
    pub host: String,
    /// Server port.
    pub port: u32,
    /// Sender, e.g. `AR <ar@example.com>`.
    pub from: String,
    /// `plain` (local servers), `starttls` (default) or `tls`.
    pub security: Option<String>,
    /// Login.
    pub username: Option<String>,
    /// Password.
    pub password: Option<String>,
    /// Reply-To.
    pub reply_to: Option<String>,
    /// Timeout in milliseconds (default 30000).
    pub timeout_ms: Option<u32>,
    /// PEM text of extra root certificates to trust (a private or test CA),
    /// checked when the channel is added.
    pub ca_pem: Option<String>,
}

/// Options of `Channels#slack`.
#[napi(object, object_to_js = false)]
pub struct SlackOptions {
    /// Request timeout in milliseconds (default 10000).
    pub timeout_ms: Option<u32>,
    /// One message per day listing the day's follow-ups (default false).
    pub digest: Option<bool>,
}

/// Channels by name for `Books#runFollowUps`: SMTP email, Slack webhooks and
/// JS functions `(message, key) => boolean | string | void` (`false`,
/// `'failed'` or a throw: failed and retried with backoff).
#[napi]
#[derive(Default)]
pub struct Channels {
    pub(crate) inner: CoreChannels,
}

fn smtp_of(o: SmtpOptions) -> tieout::Result<tieout::channels::SmtpChannel> {
    let security = match o.security.as_deref().unwrap_or("starttls") {
        "plain" => SmtpSecurity::Plain,
        "starttls" => SmtpSecurity::StartTls,
        "tls" => SmtpSecurity::Tls,
        other => {
            return Err(invalid(format!(
                "security must be plain, starttls or tls, not {other:?}"
            )));
        }
    };
    let port = u16::try_from(o.port).map_err(|_| invalid("port out of range"))?;
    tieout::channels::SmtpChannel::new(SmtpConfig {
        host: o.host,
        port,
        security,
        username: o.username,
        password: o.password,
        from: o.from,
        reply_to: o.reply_to,
        timeout: Duration::from_millis(u64::from(o.timeout_ms.unwrap_or(30_000))),
        ca_pem: o.ca_pem,
    })
}

/// A JS function as a channel.
fn host_channel(name: String, f: Arc<SendFn>) -> CallbackChannel {
    CallbackChannel::new(move |intent, _attempt| {
        let mut message = intent.payload.clone();
        if let Some(o) = message.as_object_mut() {
            o.insert("target".into(), intent.target.clone().into());
            o.insert("kind".into(), intent.kind.clone().into());
            o.insert("purpose".into(), intent.purpose.clone().into());
            o.insert("planned_at".into(), instant(intent.planned_at).into());
        }
        let failed = |error: String| Outcome::Failed {
            error,
            retryable: true,
        };
        match call_and_wait(&f, FnArgs::from((message, intent.key.clone()))) {
            Some(Returned::Ok | Returned::True) => Outcome::Delivered {
                request_id: None,
                detail: serde_json::json!({ "host": true }),
            },
            Some(Returned::Text(t)) if t != "failed" => Outcome::Delivered {
                request_id: None,
                detail: serde_json::json!({ "host": t }),
            },
            Some(Returned::False | Returned::Text(_)) => {
                failed(format!("host channel {name} reported failed"))
            }
            Some(Returned::Threw(m)) => failed(format!("host channel {name} threw: {m}")),
            None => failed(format!("host channel {name} could not be called")),
        }
    })
}

#[napi]
impl Channels {
    /// No channels.
    #[napi(constructor)]
    pub fn new() -> Self {
        Channels::default()
    }

    /// Adds an SMTP email channel called `name`.
    #[napi]
    pub fn smtp(&mut self, env: Env, name: String, options: SmtpOptions) -> napi::Result<()> {
        let ch = smtp_of(options).map_err(|e| to_napi(&env, &e))?;
        self.inner = std::mem::take(&mut self.inner).with(&name, ch);
        Ok(())
    }

    /// Adds a Slack incoming webhook called `name`; `options.digest` sends
    /// one message per day listing the day's follow-ups instead of one per
    /// invoice (key `digest/<name>/<date>`).
    #[napi]
    pub fn slack(
        &mut self,
        env: Env,
        name: String,
        url: String,
        options: Option<SlackOptions>,
    ) -> napi::Result<()> {
        let (timeout, digest) = options.map_or((None, None), |o| (o.timeout_ms, o.digest));
        let t = Duration::from_millis(u64::from(timeout.unwrap_or(10_000)));
        let ch = SlackWebhook::new(&url, t).map_err(|e| to_napi(&env, &e))?;
        let all = std::mem::take(&mut self.inner);
        self.inner = if digest.unwrap_or(false) {
            all.with_digest(&name, ch)
        } else {
            all.with(&name, ch)
        };
        Ok(())
    }

    /// Adds a host channel: `send(message, key)` returns `true`/nothing (sent)
    /// or `false`/`'failed'` (failed); a throw is a failure.
    #[napi(
        ts_args_type = "name: string, send: (message: Record<string, any>, key: string) => boolean | string | void"
    )]
    pub fn callback(&mut self, name: String, send: SendFn) {
        let ch = host_channel(name.clone(), Arc::new(send));
        self.inner = std::mem::take(&mut self.inner).with(&name, ch);
    }
}

/// Options of `Books#runFollowUps`.
#[napi(object, object_to_js = false)]
pub struct RunFollowUpsOptions {
    /// The approval token of `reviewFollowUps` (live-mode books).
    pub approval: Option<String>,
    /// Attempts before a failure is final (default 4).
    pub max_attempts: Option<u32>,
    /// First retry wait in seconds, doubling (default 300).
    pub retry_base_seconds: Option<i64>,
    /// Tests: `(key, point) => true` stops the run at `recorded` or
    /// `performed` as a crash would (the Promise rejects with `ABORTED`).
    #[napi(ts_type = "(key: string, point: string) => boolean")]
    pub fault: Option<FaultFn>,
}

fn now_of(now: Option<String>, field: &str) -> tieout::Result<DateTime<Utc>> {
    match now {
        Some(t) => parse_instant(field, &t),
        None => Ok(Utc::now()),
    }
}

fn filter_of(f: Option<CaseFilter>) -> tieout::Result<CoreCaseFilter> {
    let Some(f) = f else {
        return Ok(CoreCaseFilter::default());
    };
    Ok(CoreCaseFilter {
        customer_id: f.customer_id,
        currency: f.currency.map(|c| Currency::parse(&c)).transpose()?,
        created_from: f
            .created_from
            .map(|t| parse_instant("createdFrom", &t))
            .transpose()?,
        created_to: f
            .created_to
            .map(|t| parse_instant("createdTo", &t))
            .transpose()?,
        min_days_overdue: f.min_days_overdue,
        min_open_amount: f
            .min_open_amount
            .map(|m| parse_decimal("minOpenAmount", &m))
            .transpose()?,
    })
}

macro_rules! try_arg {
    ($env:expr, $e:expr) => {
        match $e {
            Ok(v) => v,
            Err(e) => return rejected($env, e),
        }
    };
}

#[napi]
impl Books {
    /// Opens one collection case per collectible invoice matching the filter
    /// that has none yet (keyed by the Stripe invoice id); debtors without a
    /// name, email or postal address are refused per invoice.
    #[napi(ts_return_type = "Promise<CaseOpening>")]
    pub fn create_collection_cases<'env>(
        &self,
        env: &'env Env,
        options: Option<CreateCasesOptions>,
    ) -> napi::Result<PromiseRaw<'env, CaseOpening>> {
        let (filter, postal, now) = match options {
            Some(o) => (o.filter, o.require_postal_address, o.now),
            None => (None, None, None),
        };
        let filter = try_arg!(env, filter_of(filter));
        let now = try_arg!(env, now_of(now, "now"));
        let mut policy = CasePolicy::default();
        if let Some(p) = postal {
            policy.require_postal_address = p;
        }
        let books = self.inner.clone();
        blocking(env, move || {
            let o = books.create_collection_cases(&filter, &policy, now)?;
            Ok(opening_of(&o, now))
        })
    }

    /// Every collection case, with its debt age at `now` (ISO; default now).
    #[napi(ts_return_type = "Promise<Array<CollectionCase>>")]
    pub fn collection_cases<'env>(
        &self,
        env: &'env Env,
        now: Option<String>,
    ) -> napi::Result<PromiseRaw<'env, Vec<CollectionCase>>> {
        let now = try_arg!(env, now_of(now, "now"));
        let books = self.inner.clone();
        blocking(env, move || {
            Ok(books
                .collection_cases()?
                .iter()
                .map(|c| case_of(c, now))
                .collect())
        })
    }

    /// One collection case by id, or null.
    #[napi(ts_return_type = "Promise<CollectionCase | null>")]
    pub fn collection_case<'env>(
        &self,
        env: &'env Env,
        case_id: String,
        now: Option<String>,
    ) -> napi::Result<PromiseRaw<'env, Option<CollectionCase>>> {
        let now = try_arg!(env, now_of(now, "now"));
        let books = self.inner.clone();
        blocking(env, move || {
            Ok(books
                .collection_cases()?
                .iter()
                .find(|c| c.id == case_id)
                .map(|c| case_of(c, now)))
        })
    }

    /// Marks an open case as handed to an agency (status `submitted`, with a
    /// history entry) and returns it; a case in another status comes back
    /// unchanged. Rejects with NOT_FOUND for an unknown id.
    #[napi(ts_return_type = "Promise<CollectionCase>")]
    pub fn submit_collection_case<'env>(
        &self,
        env: &'env Env,
        case_id: String,
        now: Option<String>,
    ) -> napi::Result<PromiseRaw<'env, CollectionCase>> {
        let now = try_arg!(env, now_of(now, "now"));
        let books = self.inner.clone();
        blocking(env, move || {
            Ok(case_of(&books.submit_collection_case(&case_id, now)?, now))
        })
    }

    /// Every collection case as CSV (for an agency).
    #[napi(ts_return_type = "Promise<string>")]
    pub fn cases_csv<'env>(
        &self,
        env: &'env Env,
        now: Option<String>,
    ) -> napi::Result<PromiseRaw<'env, String>> {
        let now = try_arg!(env, now_of(now, "now"));
        let books = self.inner.clone();
        blocking(env, move || Ok(cases_csv(&books.collection_cases()?, now)))
    }

    /// Every collection case as JSON text (amounts as strings).
    #[napi(ts_return_type = "Promise<string>")]
    pub fn cases_json<'env>(
        &self,
        env: &'env Env,
        now: Option<String>,
    ) -> napi::Result<PromiseRaw<'env, String>> {
        let now = try_arg!(env, now_of(now, "now"));
        let books = self.inner.clone();
        blocking(env, move || {
            Ok(cases_json(&books.collection_cases()?, now).to_string())
        })
    }

    /// AR aging at `asOf` (ISO; default now), with its CSV and JSON.
    #[napi(ts_return_type = "Promise<AgingReport>")]
    pub fn aging<'env>(
        &self,
        env: &'env Env,
        as_of: Option<String>,
    ) -> napi::Result<PromiseRaw<'env, AgingReport>> {
        let as_of = try_arg!(env, now_of(as_of, "asOf"));
        let books = self.inner.clone();
        blocking(env, move || {
            let a = books.aging(as_of)?;
            Ok(AgingReport {
                as_of: instant(a.as_of),
                rows: a.rows.iter().map(row_of).collect(),
                totals: a.totals.iter().map(row_of).collect(),
                open_total: a
                    .open_total
                    .iter()
                    .map(|(c, d)| (c.code().to_string(), amount(*d, *c)))
                    .collect(),
                csv: a.to_csv(),
                json: a.to_json().to_string(),
            })
        })
    }

    /// The follow-ups due at `now` (ISO; default now) under `policy`.
    #[napi(ts_return_type = "Promise<Array<PlannedFollowUp>>")]
    pub fn plan_follow_ups<'env>(
        &self,
        env: &'env Env,
        policy: &FollowUpPolicy,
        now: Option<String>,
    ) -> napi::Result<PromiseRaw<'env, Vec<PlannedFollowUp>>> {
        let now = try_arg!(env, now_of(now, "now"));
        let (books, p) = (self.inner.clone(), policy.inner.clone());
        blocking(env, move || {
            Ok(books
                .plan_follow_ups(&p, now)?
                .iter()
                .map(planned_of)
                .collect())
        })
    }

    /// What a follow-up run at `now` would send, to whom, with the rendered
    /// text, and the approval token live-mode books need. Nothing is sent.
    #[napi(ts_return_type = "Promise<FollowUpReview>")]
    pub fn review_follow_ups<'env>(
        &self,
        env: &'env Env,
        policy: &FollowUpPolicy,
        now: Option<String>,
    ) -> napi::Result<PromiseRaw<'env, FollowUpReview>> {
        let now = try_arg!(env, now_of(now, "now"));
        let (books, p) = (self.inner.clone(), policy.inner.clone());
        blocking(env, move || {
            let r = books.review_follow_ups(&p, now)?;
            Ok(FollowUpReview {
                items: r
                    .items
                    .iter()
                    .map(|i| FollowUpItem {
                        planned: planned_of(&i.planned),
                        intent: intent_of(&i.intent),
                        already_sent: i.already_sent,
                        already_done: i.already_done,
                    })
                    .collect(),
                plan: WritePlan {
                    account: r.plan.account.clone(),
                    livemode: r.plan.livemode,
                    intents: r.plan.intents.iter().map(intent_of).collect(),
                },
                approval: r.approval.token.clone(),
            })
        })
    }

    /// Sends the follow-ups due at `now` (ISO; default now), each exactly
    /// once, through `channels`; live-mode books need `options.approval`.
    #[napi(ts_return_type = "Promise<WriteReport>")]
    pub fn run_follow_ups<'env>(
        &self,
        env: &'env Env,
        policy: &FollowUpPolicy,
        channels: &Channels,
        now: Option<String>,
        options: Option<RunFollowUpsOptions>,
    ) -> napi::Result<PromiseRaw<'env, WriteReport>> {
        let now = try_arg!(env, now_of(now, "now"));
        let (books, p, chans) = (
            self.inner.clone(),
            policy.inner.clone(),
            channels.inner.clone(),
        );
        let mut approval = None;
        let mut retry = (None, None);
        let mut fault = None;
        if let Some(o) = options {
            approval = o.approval.map(|token| WriteApproval { token });
            retry = (o.max_attempts, o.retry_base_seconds);
            fault = o.fault.map(Arc::new);
        }
        blocking(env, move || {
            let options = write_options(retry.0, retry.1, fault);
            let r = books.run_follow_ups(&p, &chans, now, approval.as_ref(), &options)?;
            Ok(WriteReport::from(r))
        })
    }

    /// Every recorded write to the outside: key, status, attempts, outcome.
    #[napi(ts_return_type = "Promise<Array<WriteRecord>>")]
    pub fn writes<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, Vec<WriteRecord>>> {
        let books = self.inner.clone();
        blocking(env, move || {
            Ok(books.writes()?.iter().map(write_of).collect())
        })
    }
}

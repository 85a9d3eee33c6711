//! `Books`: the embedded books, every store or network call a Promise.

use std::sync::Arc;

use napi::bindgen_prelude::{
    Buffer, ClassInstance, Either, FromNapiValue, JavaScriptClassExt, PromiseRaw, Unknown,
};
use napi::{Env, JsValue, ValueType};
use napi_derive::napi;

use crate::callbacks::{self, ActionFn, ProgressFn};
use crate::error::invalid;
use crate::plan::{ImportPlanOptions, plan_of};
use crate::records::{
    Allocation, BalanceTransaction, BankLine, CreditNote, Customer, CustomerKind, Dispute,
    ImportRun, Invoice, InvoiceStatus, Payment, Payout, Price, Product, Refund, ReviewEntry,
    Subscription,
};
use crate::sources::{StripeFiles, StripeSource, source_of};
use crate::task::{blocking, rejected, spawn};

/// Options of `Books.open`: how imports group source pages into commits
/// (each commit holds whole pages and the checkpoint after them).
#[napi(object, object_to_js = false)]
pub struct OpenOptions {
    /// Commit once this many source records are pending (default 2000; 0: every page).
    pub commit_records: Option<i64>,
    /// Or this many seconds after the previous commit (default 1; 0: every page).
    pub commit_seconds: Option<f64>,
    /// PostgreSQL schema holding the books (default `tieout`); only with a
    /// `postgres://` / `postgresql://` URL.
    pub schema: Option<String>,
    /// Shared books: seconds an import stream or backfill shard stays held
    /// without a commit renewing it (default 60).
    pub lease_seconds: Option<f64>,
    /// Shared books: seconds an import waits for a stream another process
    /// holds before it rejects with `BUSY` naming the holder (default 0).
    pub lock_wait_seconds: Option<f64>,
}

/// How imports group pages into commits (`Books#commitBatch`).
#[napi(object, object_from_js = false)]
pub struct CommitBatch {
    /// Pending source records that trigger a commit.
    pub records: i64,
    /// Longest time, in seconds, planned pages wait for a commit.
    pub seconds: f64,
}

/// Options of `Books#review`.
#[napi(object, object_to_js = false)]
pub struct ReviewOptions {
    /// Called after each page with the records read so far, the total when
    /// the source knows it (files do, the API does not: `null`), and the
    /// records that failed so far. Return `false` to stop (the Promise rejects
    /// with `INTERRUPTED`).
    #[napi(ts_type = "(done: number, total: number | null, failures: number) => boolean | void")]
    pub on_progress: Option<ProgressFn>,
}

/// Options of `Books#import`.
#[napi(object, object_to_js = false)]
pub struct ImportOptions {
    /// The `approval` token of a review of this exact plan and account. Required
    /// for live-mode sources; when given for a test source it must match too.
    pub approval: Option<String>,
    /// Progress callback, as for `review`. Returning `false` stops after the
    /// current page: the Promise rejects with `INTERRUPTED` and the next import
    /// resumes from the last committed page.
    #[napi(ts_type = "(done: number, total: number | null, failures: number) => boolean | void")]
    pub on_progress: Option<ProgressFn>,
}

/// Options of `Books#applyEvent`.
#[napi(object, object_to_js = false)]
pub struct ApplyEventOptions {
    /// The plan events are applied under (default plan; live-mode events need `allowLive`).
    pub plan: Option<ImportPlanOptions>,
}

/// Options of `Books#createCustomer`.
#[napi(object, object_to_js = false)]
pub struct CreateCustomerOptions {
    /// Email address (also lets `matchByEmail` imports find the customer).
    pub email: Option<String>,
    /// `company` (default) or `contact`.
    pub kind: Option<CustomerKind>,
}

/// Filter of `Books#invoices`.
#[napi(object, object_to_js = false)]
pub struct InvoiceFilter {
    /// Only invoices in this books status.
    pub status: Option<InvoiceStatus>,
    /// Only invoices of this books customer.
    pub customer_id: Option<String>,
}

/// What applying one event did.
#[napi(string_enum = "snake_case")]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventStatus {
    /// The event's object was applied to the books.
    Applied,
    /// The event id was applied before; nothing changed (deliveries are at least once).
    Duplicate,
    /// An event type tieout does not import; acknowledged and ignored.
    Ignored,
}

/// The outcome of `Books#applyEvent`.
#[napi(object, object_from_js = false)]
pub struct EventOutcome {
    /// Event id.
    pub event_id: String,
    /// Event type.
    pub event_type: String,
    /// Applied, duplicate or ignored.
    pub status: EventStatus,
    /// What happened to each record the event carried.
    pub entries: Vec<ReviewEntry>,
    /// Notes on what was applied (e.g. an invoice whose lines are incomplete).
    pub notes: Vec<String>,
}

impl From<&tieout::EventOutcome> for EventOutcome {
    fn from(o: &tieout::EventOutcome) -> Self {
        EventOutcome {
            event_id: o.event_id.clone(),
            event_type: o.event_type.clone(),
            status: match o.status {
                tieout::EventStatus::Applied => EventStatus::Applied,
                tieout::EventStatus::Duplicate => EventStatus::Duplicate,
                tieout::EventStatus::Ignored => EventStatus::Ignored,
            },
            entries: o.entries.iter().map(Into::into).collect(),
            notes: o.notes.clone(),
        }
    }
}

/// A company's books: customers, invoices, payments, allocations and the rest,
/// in SQLite (`Books.open`) or memory (`Books.inMemory`). Every call that reads
/// or writes the books or talks to Stripe returns a Promise and runs off the
/// JS thread.
#[napi]
pub struct Books {
    pub(crate) inner: Arc<tieout::Books>,
}

macro_rules! list_queries {
    ($($doc:literal $name:ident => $ts:literal, $ty:ty;)*) => {
        #[napi]
        impl Books {
            $(
                #[doc = $doc]
                #[napi(ts_return_type = $ts)]
                pub fn $name<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, Vec<$ty>>> {
                    let books = self.inner.clone();
                    blocking(env, move || Ok(books.$name()?.iter().map(<$ty>::from).collect()))
                }
            )*
        }
    };
}

list_queries! {
    "Every customer."
    customers => "Promise<Array<Customer>>", Customer;
    "Every payment (one per real payment, however many Stripe objects name it)."
    payments => "Promise<Array<Payment>>", Payment;
    "Every allocation of a payment to an invoice."
    allocations => "Promise<Array<Allocation>>", Allocation;
    "Every subscription."
    subscriptions => "Promise<Array<Subscription>>", Subscription;
    "Every payout."
    payouts => "Promise<Array<Payout>>", Payout;
    "Every refund."
    refunds => "Promise<Array<Refund>>", Refund;
    "Every credit note."
    credit_notes => "Promise<Array<CreditNote>>", CreditNote;
    "Every dispute."
    disputes => "Promise<Array<Dispute>>", Dispute;
    "Every balance transaction."
    balance_transactions => "Promise<Array<BalanceTransaction>>", BalanceTransaction;
    "Every bank statement line."
    bank_lines => "Promise<Array<BankLine>>", BankLine;
    "Every product."
    products => "Promise<Array<Product>>", Product;
    "Every price (and legacy plan)."
    prices => "Promise<Array<Price>>", Price;
    "Import history, newest first."
    history => "Promise<Array<ImportRun>>", ImportRun;
}

#[napi]
impl Books {
    /// Opens (or creates) books: a `postgres://` or `postgresql://` URL opens
    /// shared books in PostgreSQL (schema `options.schema`, default `tieout`);
    /// anything else is a SQLite file path.
    #[napi(ts_return_type = "Promise<Books>")]
    pub fn open(
        env: &Env,
        path: String,
        options: Option<OpenOptions>,
    ) -> napi::Result<PromiseRaw<'_, Books>> {
        let (records, seconds, schema, lease, wait) =
            options.map_or((None, None, None, None, None), |o| {
                (
                    o.commit_records,
                    o.commit_seconds,
                    o.schema,
                    o.lease_seconds,
                    o.lock_wait_seconds,
                )
            });
        let batch = match tieout::CommitBatch::from_parts(records, seconds) {
            Ok(b) => b,
            Err(e) => return rejected(env, e),
        };
        let leases = match tieout::LeaseOptions::from_seconds(lease, wait) {
            Ok(l) => l,
            Err(e) => return rejected(env, e),
        };
        blocking(env, move || {
            Ok(Books {
                inner: Arc::new(
                    tieout::Books::open_in_schema(&path, schema.as_deref())?
                        .with_commit_batch(batch)
                        .with_leases(leases),
                ),
            })
        })
    }

    /// How imports group pages into commits.
    #[napi(getter)]
    pub fn commit_batch(&self) -> CommitBatch {
        let b = self.inner.commit_batch();
        CommitBatch {
            records: i64::try_from(b.records).unwrap_or(i64::MAX),
            seconds: b.interval.as_secs_f64(),
        }
    }

    /// Books in memory: nothing is written to disk (for tests and previews).
    #[napi(factory)]
    pub fn in_memory() -> Books {
        Books {
            inner: Arc::new(tieout::Books::in_memory()),
        }
    }

    /// Runs the whole import without writing anything and returns every planned
    /// change, the allocations it would make, totals, and the approval token.
    #[napi(ts_return_type = "Promise<Review>")]
    pub fn review<'env>(
        &self,
        env: &'env Env,
        source: Either<&StripeSource, &StripeFiles>,
        plan: Option<ImportPlanOptions>,
        options: Option<ReviewOptions>,
    ) -> napi::Result<PromiseRaw<'env, crate::review::Review>> {
        let plan = match plan_of(plan.as_ref()) {
            Ok(p) => p,
            Err(e) => return rejected(env, e),
        };
        let books = self.inner.clone();
        let source = source_of(&source);
        let progress = options.and_then(|o| o.on_progress).map(Arc::new);
        spawn(env, async move {
            let review = match progress {
                Some(f) => {
                    let cb = callbacks::progress(f);
                    books.review_with(source.as_ref(), &plan, Some(&cb)).await?
                }
                None => books.review(source.as_ref(), &plan).await?,
            };
            Ok(crate::review::Review::new(review))
        })
    }

    /// Imports: the same path as `review`, committing each page with its
    /// checkpoint. A live source needs `allowLive` on the plan and the
    /// `approval` of a review of this exact plan (else `APPROVAL_REQUIRED`).
    /// Importing again creates and updates nothing that has not changed.
    #[napi(js_name = "import", ts_return_type = "Promise<ImportRun>")]
    pub fn import_<'env>(
        &self,
        env: &'env Env,
        source: Either<&StripeSource, &StripeFiles>,
        plan: Option<ImportPlanOptions>,
        options: Option<ImportOptions>,
    ) -> napi::Result<PromiseRaw<'env, ImportRun>> {
        let plan = match plan_of(plan.as_ref()) {
            Ok(p) => p,
            Err(e) => return rejected(env, e),
        };
        let books = self.inner.clone();
        let source = source_of(&source);
        let (approval, progress) = match options {
            Some(o) => (
                o.approval.map(|token| tieout::Approval { token }),
                o.on_progress.map(Arc::new),
            ),
            None => (None, None),
        };
        spawn(env, async move {
            let run = match progress {
                Some(f) => {
                    let cb = callbacks::progress(f);
                    books
                        .import_with(source.as_ref(), &plan, approval.as_ref(), Some(&cb))
                        .await?
                }
                None => {
                    books
                        .import(source.as_ref(), &plan, approval.as_ref())
                        .await?
                }
            };
            Ok(ImportRun::from(&run))
        })
    }

    /// Applies a verified webhook event (from `verifyWebhook`) or an Events API
    /// event: the event object, or its raw JSON as a string or Buffer.
    /// Deduplicated by event id; older snapshots never overwrite newer ones;
    /// event types tieout does not import are acknowledged as `ignored`.
    #[napi(
        ts_args_type = "event: StripeEvent | string | Buffer, options?: ApplyEventOptions | undefined | null",
        ts_return_type = "Promise<EventOutcome>"
    )]
    pub fn apply_event<'env>(
        &self,
        env: &'env Env,
        event: Unknown<'_>,
        options: Option<ApplyEventOptions>,
    ) -> napi::Result<PromiseRaw<'env, EventOutcome>> {
        let parsed = match parse_event(env, event) {
            Ok(e) => e,
            Err(e) => return rejected(env, e),
        };
        let plan = match plan_of(options.as_ref().and_then(|o| o.plan.as_ref())) {
            Ok(p) => p,
            Err(e) => return rejected(env, e),
        };
        let books = self.inner.clone();
        blocking(env, move || {
            let outcome = books.apply_event_with(&parsed, &plan)?;
            Ok(EventOutcome::from(&outcome))
        })
    }

    /// Creates a customer in the books (e.g. the fixed "Stripe Customer" a
    /// `customerResolution: 'fixed'` plan files everything under).
    #[napi(ts_return_type = "Promise<Customer>")]
    pub fn create_customer<'env>(
        &self,
        env: &'env Env,
        name: String,
        options: Option<CreateCustomerOptions>,
    ) -> napi::Result<PromiseRaw<'env, Customer>> {
        let books = self.inner.clone();
        let (email, kind) = match options {
            Some(o) => (o.email, o.kind.map(Into::into).unwrap_or_default()),
            None => (None, tieout::CustomerKind::default()),
        };
        blocking(env, move || {
            let c = books.create_customer(&name, email.as_deref(), kind)?;
            Ok(Customer::from(&c))
        })
    }

    /// Invoices, optionally filtered by books status and customer.
    #[napi(ts_return_type = "Promise<Array<Invoice>>")]
    pub fn invoices<'env>(
        &self,
        env: &'env Env,
        filter: Option<InvoiceFilter>,
    ) -> napi::Result<PromiseRaw<'env, Vec<Invoice>>> {
        let books = self.inner.clone();
        let filter = tieout::InvoiceFilter {
            status: filter.as_ref().and_then(|f| f.status).map(Into::into),
            customer_id: filter.and_then(|f| f.customer_id),
        };
        blocking(env, move || {
            Ok(books.invoices(&filter)?.iter().map(Invoice::from).collect())
        })
    }

    /// Invoices matching `options`, read lazily a page at a time:
    /// `for await (const inv of books.iterInvoices({ status: 'open' }))`.
    #[napi(ts_return_type = "InvoiceIterator & AsyncIterable<Invoice>")]
    pub fn iter_invoices<'env>(
        &self,
        env: &'env Env,
        options: Option<crate::paging::RecordQueryOptions>,
    ) -> napi::Result<ClassInstance<'env, crate::paging::InvoiceIterator>> {
        let q = crate::paging::query_of(tieout::EntityKind::Invoice, options)
            .map_err(|e| crate::error::to_napi(env, &e))?;
        let it = crate::paging::InvoiceIterator {
            walk: crate::paging::walk(self.inner.clone(), q),
        };
        crate::paging::async_iterable(env, it.into_instance(env)?)
    }

    /// Payments matching `options`, read lazily a page at a time (`for await`).
    #[napi(ts_return_type = "PaymentIterator & AsyncIterable<Payment>")]
    pub fn iter_payments<'env>(
        &self,
        env: &'env Env,
        options: Option<crate::paging::RecordQueryOptions>,
    ) -> napi::Result<ClassInstance<'env, crate::paging::PaymentIterator>> {
        let q = crate::paging::query_of(tieout::EntityKind::Payment, options)
            .map_err(|e| crate::error::to_napi(env, &e))?;
        let it = crate::paging::PaymentIterator {
            walk: crate::paging::walk(self.inner.clone(), q),
        };
        crate::paging::async_iterable(env, it.into_instance(env)?)
    }

    /// Customers matching `options`, read lazily a page at a time (`for await`).
    #[napi(ts_return_type = "CustomerIterator & AsyncIterable<Customer>")]
    pub fn iter_customers<'env>(
        &self,
        env: &'env Env,
        options: Option<crate::paging::RecordQueryOptions>,
    ) -> napi::Result<ClassInstance<'env, crate::paging::CustomerIterator>> {
        let q = crate::paging::query_of(tieout::EntityKind::Customer, options)
            .map_err(|e| crate::error::to_napi(env, &e))?;
        let it = crate::paging::CustomerIterator {
            walk: crate::paging::walk(self.inner.clone(), q),
        };
        crate::paging::async_iterable(env, it.into_instance(env)?)
    }

    /// The Stripe account these books import from (set by the first import from
    /// a verified source); events without an `account` are filed under it.
    #[napi(ts_return_type = "Promise<string | null>")]
    pub fn default_account<'env>(
        &self,
        env: &'env Env,
    ) -> napi::Result<PromiseRaw<'env, Option<String>>> {
        let books = self.inner.clone();
        blocking(env, move || books.default_account())
    }

    /// Sets the Stripe account events without an `account` belong to.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn set_default_account<'env>(
        &self,
        env: &'env Env,
        account: String,
    ) -> napi::Result<PromiseRaw<'env, ()>> {
        let books = self.inner.clone();
        blocking(env, move || books.set_default_account(&account))
    }

    /// Registers a named post-import action that plans name in `postActions`.
    /// It runs after a successful import with the run; returning `false` or a
    /// string (the reason), or throwing, fails it (`ACTION_FAILED`; the import
    /// itself stays committed).
    #[napi(ts_args_type = "name: string, action: (run: ImportRun) => boolean | string | void")]
    pub fn register_action(&self, name: String, action: ActionFn) {
        let f = callbacks::action(name.clone(), Arc::new(action));
        self.inner.register_action(&name, f);
    }
}

/// Reads an event argument: a JS object (Stripe's event shape), or its raw JSON
/// as a string or Buffer.
fn parse_event(env: &Env, event: Unknown<'_>) -> tieout::Result<tieout::StripeEvent> {
    let bad = |what: &str| invalid(format!("event: {what}"));
    let ty = event.get_type().map_err(|e| bad(&e.reason))?;
    let parsed = match ty {
        ValueType::String => {
            let text = String::from_unknown(event).map_err(|e| bad(&e.reason))?;
            tieout::StripeEvent::parse(text.as_bytes())
        }
        ValueType::Object => {
            if event.is_buffer().map_err(|e| bad(&e.reason))? {
                let buf = Buffer::from_unknown(event).map_err(|e| bad(&e.reason))?;
                tieout::StripeEvent::parse(&buf)
            } else {
                let value: serde_json::Value =
                    env.from_js_value(event).map_err(|e| bad(&e.reason))?;
                tieout::StripeEvent::from_value(value)
            }
        }
        _ => return Err(bad("expected an event object, a JSON string or a Buffer")),
    };
    parsed.map_err(tieout::Error::Stripe)
}

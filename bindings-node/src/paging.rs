//! Async iteration over the books' filtered queries:
//! `for await (const inv of books.iterInvoices({ status: 'open' }))` reads
//! one page at a time (on tokio's blocking pool) as the loop advances.
//!
//! The iterators are plain classes with the async iterator protocol's
//! `next()` (a Promise of `{ done, value }`); `Symbol.asyncIterator`
//! (returning the iterator itself) is set on each instance when it is made,
//! since this napi-derive has no async iterator marker.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use napi::Env;
use napi::bindgen_prelude::{ClassInstance, Function, Object, PromiseRaw, Unknown};
use napi_derive::napi;
use tieout::{Currency, Entity, EntityKind, RecordQuery, TimeRange};

use crate::error::invalid;
use crate::records::{Customer, Invoice, Payment};
use crate::task::spawn;
use crate::values::parse_instant;

/// Filters and paging of `Books#iterInvoices`, `iterPayments` and
/// `iterCustomers`. Every filter is optional; they combine with AND. Pages
/// are ordered by id, or, with a time filter, by that time (created, then
/// due, then updated) and id.
#[napi(object, object_to_js = false)]
pub struct RecordQueryOptions {
    /// Only records in this status (`'open'`, `'succeeded'`, ...).
    pub status: Option<String>,
    /// Only records of this books customer.
    pub customer_id: Option<String>,
    /// Only records in this currency (ISO code).
    pub currency: Option<String>,
    /// Created at or after this instant (ISO) or date.
    pub created_from: Option<String>,
    /// Created before this instant (ISO) or date.
    pub created_to: Option<String>,
    /// Due at or after this instant (invoices).
    pub due_from: Option<String>,
    /// Due before this instant (invoices).
    pub due_to: Option<String>,
    /// Updated in the source at or after this instant.
    pub updated_since: Option<String>,
    /// Records read per page (default 500, at most 10000).
    pub page_size: Option<u32>,
    /// Resume after this cursor (`iterator.cursor` of an earlier walk).
    pub after: Option<String>,
}

/// The query of `options` for `kind`, checked.
pub(crate) fn query_of(
    kind: EntityKind,
    o: Option<RecordQueryOptions>,
) -> tieout::Result<RecordQuery> {
    let mut q = RecordQuery::new(kind);
    if let Some(o) = o {
        let time = |v: Option<String>, field: &str| v.map(|t| parse_instant(field, &t)).transpose();
        q.status = o.status;
        q.customer_id = o.customer_id;
        q.currency = o.currency.map(|c| Currency::parse(&c)).transpose()?;
        q.created = TimeRange::new(
            time(o.created_from, "createdFrom")?,
            time(o.created_to, "createdTo")?,
        );
        q.due = TimeRange::new(time(o.due_from, "dueFrom")?, time(o.due_to, "dueTo")?);
        q.updated_since = time(o.updated_since, "updatedSince")?;
        if let Some(n) = o.page_size {
            q.limit = n as usize;
        }
        q.after = o.after;
    }
    q.validate()?;
    Ok(q)
}

/// The walk: the query (its `after` moves page by page), the page being
/// handed out and how many pages were read.
pub(crate) struct Walk {
    books: Arc<tieout::Books>,
    query: RecordQuery,
    buffered: VecDeque<Entity>,
    done: bool,
    pages: u32,
}

/// The shared state of one iterator.
pub(crate) type Shared = Arc<Mutex<Walk>>;

/// A new walk of `query`.
pub(crate) fn walk(books: Arc<tieout::Books>, query: RecordQuery) -> Shared {
    Arc::new(Mutex::new(Walk {
        books,
        query,
        buffered: VecDeque::new(),
        done: false,
        pages: 0,
    }))
}

fn locked(w: &Shared) -> tieout::Result<std::sync::MutexGuard<'_, Walk>> {
    w.lock().map_err(|_| invalid("the iterator failed earlier"))
}

/// The next record of the walk, reading the next page when the current one
/// is used up (off the JS thread).
async fn next_record(w: Shared) -> tieout::Result<Option<Entity>> {
    let fetch = {
        let g = locked(&w)?;
        if !g.buffered.is_empty() || g.done {
            None
        } else {
            Some((Arc::clone(&g.books), g.query.clone()))
        }
    };
    if let Some((books, q)) = fetch {
        let page = tokio::task::spawn_blocking(move || books.query(&q))
            .await
            .map_err(|e| {
                tieout::Error::Core(tieout::CoreError::Store(format!(
                    "background task failed: {e}"
                )))
            })??;
        let mut g = locked(&w)?;
        g.pages += 1;
        match page.next {
            Some(next) => g.query.after = Some(next),
            None => g.done = true,
        }
        g.buffered.extend(page.records);
    }
    Ok(locked(&w)?.buffered.pop_front())
}

/// Makes `instance` async iterable: `instance[Symbol.asyncIterator]`
/// returns the instance, whose `next()` follows the protocol.
pub(crate) fn async_iterable<'env, T>(
    env: &'env Env,
    instance: ClassInstance<'env, T>,
) -> napi::Result<ClassInstance<'env, T>> {
    let install: Function<'_, Object<'_>, Unknown<'_>> = env
        .run_script("(function (o) { o[Symbol.asyncIterator] = function () { return this }; })")?;
    install.call(instance.as_object(env))?;
    Ok(instance)
}

macro_rules! record_iterator {
    ($(#[$doc:meta] $name:ident, $step:ident => $variant:ident : $ty:ident, $ts:literal;)*) => {
        $(
            #[$doc]
            #[napi]
            pub struct $name {
                pub(crate) walk: Shared,
            }

            /// One step of the async iterator protocol.
            #[napi(object, object_from_js = false)]
            pub struct $step {
                /// True once every record was returned.
                pub done: bool,
                /// The record (absent when `done`).
                pub value: Option<$ty>,
            }

            #[napi]
            impl $name {
                /// The next record (`{ done: false, value }`), reading the next
                /// page when the current one is used up; `{ done: true }` after
                /// the last.
                #[napi(ts_return_type = $ts)]
                pub fn next<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, $step>> {
                    let w = Arc::clone(&self.walk);
                    spawn(env, async move {
                        Ok(match next_record(w).await? {
                            Some(Entity::$variant(r)) => $step {
                                done: false,
                                value: Some($ty::from(&r)),
                            },
                            _ => $step {
                                done: true,
                                value: None,
                            },
                        })
                    })
                }

                /// Pages read from the books so far.
                #[napi(getter)]
                pub fn pages_fetched(&self, env: &Env) -> napi::Result<u32> {
                    locked(&self.walk)
                        .map(|g| g.pages)
                        .map_err(|e| crate::error::to_napi(env, &e))
                }

                /// The cursor after the last page read (pass it as `after` to
                /// resume there later); `null` before the first page and after
                /// the last.
                #[napi(getter)]
                pub fn cursor(&self, env: &Env) -> napi::Result<Option<String>> {
                    let g = locked(&self.walk).map_err(|e| crate::error::to_napi(env, &e))?;
                    Ok(if g.done { None } else { g.query.after.clone() })
                }
            }
        )*
    };
}

record_iterator! {
    /// Invoices of a query, read a page at a time (`for await`).
    InvoiceIterator, InvoiceStep => Invoice: Invoice, "Promise<IteratorResult<Invoice, undefined>>";
    /// Payments of a query, read a page at a time (`for await`).
    PaymentIterator, PaymentStep => Payment: Payment, "Promise<IteratorResult<Payment, undefined>>";
    /// Customers of a query, read a page at a time (`for await`).
    CustomerIterator, CustomerStep => Customer: Customer, "Promise<IteratorResult<Customer, undefined>>";
}

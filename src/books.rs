//! `Books`: the embedded books, over a store.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use tieout_core::entity::{Entity, EntityKind};
use tieout_core::model::*;
use tieout_core::{CoreError, MemoryStore, ScaledStore, Store};
use tieout_sqlite::SqliteStore;

use crate::error::{Error, Result};
use crate::generation::{CountedStore, Generation};

/// A post-import action: host code run after a successful apply.
pub type PostAction =
    Arc<dyn Fn(&Books, &ImportRun) -> std::result::Result<(), String> + Send + Sync>;

/// Filter for [`Books::invoices`].
#[derive(Clone, Debug, Default)]
pub struct InvoiceFilter {
    /// Only invoices in this books status.
    pub status: Option<InvoiceStatus>,
    /// Only invoices of this books customer.
    pub customer_id: Option<String>,
}

/// A company's books: customers, invoices, payments, allocations and the rest,
/// in a [`Store`] (SQLite by default, memory for tests).
///
/// `Books` is `Send + Sync`; every method takes `&self`. Imports lock the store
/// only while a page is planned and committed, never across network calls.
pub struct Books {
    pub(crate) store: Mutex<Box<dyn Store>>,
    /// Commits through these books that changed records or aliases.
    commits: Arc<std::sync::atomic::AtomicU64>,
    /// Reviews whose planned changes an import can apply (see `review_spill`).
    pub(crate) reviews: crate::review_spill::Registry,
    actions: Mutex<BTreeMap<String, PostAction>>,
    batch: CommitBatch,
    /// Lease holder name and options (shared books; see `workers`).
    pub(crate) sharing: crate::workers::Sharing,
}

/// How an import groups source pages into store commits. Every commit holds
/// whole pages and the checkpoint after the last of them, so an interrupted
/// import resumes after the last commit either way; bigger commits write far
/// less (each commit rewrites the index pages it touches), smaller ones redo
/// less after a crash and hold less: until it commits, a batch's planned
/// records are in memory (some 10 KB a source record: an invoice, the
/// payment and allocation it implies, its alias keys, the change set they
/// become). A commit happens once `records` records are pending,
/// or `interval` after the previous commit, and always at the end, before
/// a progress callback's stop, and on a live tail's last page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CommitBatch {
    /// Pending source records that trigger a commit.
    pub records: usize,
    /// Longest time planned pages wait for a commit.
    pub interval: std::time::Duration,
}

impl Default for CommitBatch {
    /// 2,000 records or one second, whichever comes first. A review and
    /// import of a million invoices through Python peaked at 175 MiB with
    /// it, against 235 MiB with 5,000; the CPU was the same within noise at
    /// 100k invoices (6 pairs of runs) and perhaps a few percent more at 1M
    /// (single runs).
    fn default() -> Self {
        CommitBatch {
            records: 2_000,
            interval: std::time::Duration::from_secs(1),
        }
    }
}

impl CommitBatch {
    /// A batch from the plain numbers the Python and Node packages take:
    /// commit once `records` source records are pending, or `seconds` after
    /// the previous commit (0 for either: every page; `None`: the default's).
    /// Refuses a negative count and a negative, NaN or infinite number of
    /// seconds.
    pub fn from_parts(records: Option<i64>, seconds: Option<f64>) -> Result<CommitBatch> {
        let default = CommitBatch::default();
        let records = match records {
            None => default.records,
            Some(n) => usize::try_from(n).map_err(|_| {
                Error::Core(CoreError::Invalid(format!(
                    "commit batch records must be 0 or more, got {n}"
                )))
            })?,
        };
        let interval = match seconds {
            None => default.interval,
            Some(s) => std::time::Duration::try_from_secs_f64(s).map_err(|_| {
                Error::Core(CoreError::Invalid(format!(
                    "commit batch seconds must be a finite number, 0 or more, got {s}"
                )))
            })?,
        };
        Ok(CommitBatch { records, interval })
    }

    /// One commit per source page.
    pub fn every_page() -> Self {
        CommitBatch {
            records: 0,
            interval: std::time::Duration::ZERO,
        }
    }
}

impl std::fmt::Debug for Books {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Books").finish_non_exhaustive()
    }
}

macro_rules! list_query {
    ($(#[$doc:meta] $name:ident => $kind:ident : $ty:ty),* $(,)?) => {
        $(
            #[$doc]
            pub fn $name(&self) -> Result<Vec<$ty>> {
                Ok(self
                    .store()?
                    .list(EntityKind::$kind)?
                    .into_iter()
                    .filter_map(|e| match e {
                        Entity::$kind(r) => Some(r),
                        _ => None,
                    })
                    .collect())
            }
        )*
    };
}

impl Books {
    /// Opens (or creates) books: a `postgres://` or `postgresql://` URL opens
    /// shared books in PostgreSQL (schema `tieout`, see
    /// [`Books::open_in_schema`]); anything else is a SQLite file path.
    pub fn open(location: impl AsRef<Path>) -> Result<Books> {
        Books::open_in_schema(location, None)
    }

    /// [`Books::open`] with the PostgreSQL schema the books live in (`None`:
    /// `tieout`), so they can sit in the host application's database. A
    /// schema with a SQLite path is refused.
    pub fn open_in_schema(location: impl AsRef<Path>, schema: Option<&str>) -> Result<Books> {
        let location = location.as_ref();
        if let Some(url) = crate::location::postgres_url(location) {
            return crate::location::open_postgres(url, schema);
        }
        if let Some(s) = schema {
            return Err(CoreError::Invalid(format!(
                "schema {s:?} given for SQLite books at {}: schemas are for PostgreSQL URLs",
                location.display()
            ))
            .into());
        }
        let store = SqliteStore::open(location)?;
        Ok(Books::with_store(Box::new(store)))
    }

    /// Books in memory (nothing is written to disk).
    pub fn in_memory() -> Books {
        Books::with_store(Box::new(MemoryStore::new()))
    }

    /// Books over any store (e.g. a shared PostgreSQL store). Every record is
    /// read and written through [`ScaledStore`], so amounts carry their
    /// currency's scale (USD `0.00`, JPY `5000`, KWD `10.500`).
    pub fn with_store(store: Box<dyn Store>) -> Books {
        let commits = Arc::new(std::sync::atomic::AtomicU64::new(0));
        Books {
            store: Mutex::new(CountedStore::wrap(
                Box::new(ScaledStore::new(store)),
                commits.clone(),
            )),
            commits,
            reviews: crate::review_spill::Registry::default(),
            actions: Mutex::new(BTreeMap::new()),
            batch: CommitBatch::default(),
            sharing: crate::workers::Sharing::default(),
        }
    }

    /// These books with imports committing per `batch` (see [`CommitBatch`]).
    pub fn with_commit_batch(mut self, batch: CommitBatch) -> Books {
        self.batch = batch;
        self
    }

    /// How imports group pages into commits.
    pub fn commit_batch(&self) -> CommitBatch {
        self.batch
    }

    /// Locks the store.
    pub(crate) fn store(&self) -> Result<MutexGuard<'_, Box<dyn Store>>> {
        self.store
            .lock()
            .map_err(|_| Error::Core(CoreError::Store("store lock poisoned by a panic".into())))
    }

    /// Which state of the books a plan sees now (see [`Generation`]); call
    /// with the store locked for a value that holds until it is unlocked.
    pub(crate) fn generation(&self, store: &dyn Store) -> Result<Generation> {
        Ok(crate::generation::generation(store, &self.commits)?)
    }

    /// Runs `f` with exclusive access to the store (for tests and tools).
    pub fn with_store_mut<T>(&self, f: impl FnOnce(&mut dyn Store) -> T) -> Result<T> {
        let mut g = self.store()?;
        Ok(f(g.as_mut()))
    }

    /// Registers a named post-import action; plans name it in `post_actions`.
    pub fn register_action(
        &self,
        name: &str,
        action: impl Fn(&Books, &ImportRun) -> std::result::Result<(), String> + Send + Sync + 'static,
    ) {
        if let Ok(mut a) = self.actions.lock() {
            a.insert(name.to_string(), Arc::new(action));
        }
    }

    /// Whether a host registered an action called `name`.
    pub(crate) fn is_registered(&self, name: &str) -> bool {
        self.actions.lock().is_ok_and(|a| a.contains_key(name))
    }

    /// The registered action of this name.
    /// A registered action wins over a built-in one of the same name
    /// (built in: [`crate::collect::CASES_ACTION`]).
    pub(crate) fn action(&self, name: &str) -> Option<PostAction> {
        let registered = self.actions.lock().ok().and_then(|a| a.get(name).cloned());
        registered.or_else(|| crate::collect::builtin_action(name))
    }

    /// Creates a customer in the books (e.g. the fixed "Stripe Customer").
    pub fn create_customer(
        &self,
        name: &str,
        email: Option<&str>,
        kind: CustomerKind,
    ) -> Result<Customer> {
        if name.trim().is_empty() {
            return Err(CoreError::Invalid("customer name is empty".into()).into());
        }
        let seq = self.store()?.list(EntityKind::Customer)?.len();
        let id = derive_id(
            EntityKind::Customer.id_prefix(),
            &format!(
                "books/{name}/{seq}/{}",
                chrono::Utc::now().timestamp_nanos_opt().unwrap_or(0)
            ),
        );
        let mut c = Customer::new(id, name, kind);
        c.email = email.map(str::to_string);
        let mut cs = tieout_core::ChangeSet::default();
        cs.upserts.push(Entity::Customer(c.clone()));
        if let Some(e) = email {
            cs.aliases_add
                .push((tieout_core::import::keys::email(e), c.id.clone()));
        }
        self.store()?.commit(cs)?;
        Ok(c)
    }

    /// One record by books id.
    pub fn get(&self, kind: EntityKind, id: &str) -> Result<Option<Entity>> {
        Ok(self
            .store()?
            .get(kind, &[id.to_string()])?
            .into_iter()
            .next())
    }

    /// Invoices, optionally filtered by status and customer.
    pub fn invoices(&self, filter: &InvoiceFilter) -> Result<Vec<Invoice>> {
        let all = match &filter.customer_id {
            Some(c) => self.store()?.list_by_customer(EntityKind::Invoice, c)?,
            None => self.store()?.list(EntityKind::Invoice)?,
        };
        Ok(all
            .into_iter()
            .filter_map(|e| match e {
                Entity::Invoice(i) if filter.status.is_none_or(|s| s == i.status) => Some(i),
                _ => None,
            })
            .collect())
    }

    list_query! {
        /// Every customer.
        customers => Customer: Customer,
        /// Every product.
        products => Product: Product,
        /// Every price.
        prices => Price: Price,
        /// Every subscription.
        subscriptions => Subscription: Subscription,
        /// Every payment.
        payments => Payment: Payment,
        /// Every refund.
        refunds => Refund: Refund,
        /// Every dispute.
        disputes => Dispute: Dispute,
        /// Every allocation.
        allocations => Allocation: Allocation,
        /// Every balance transaction.
        balance_transactions => BalanceTransaction: BalanceTransaction,
        /// Every payout.
        payouts => Payout: Payout,
        /// Every credit note.
        credit_notes => CreditNote: CreditNote,
        /// Every bank statement line.
        bank_lines => BankLine: BankLine,
    }

    /// Import history, newest first.
    pub fn history(&self) -> Result<Vec<ImportRun>> {
        let mut runs: Vec<ImportRun> = self
            .store()?
            .list(EntityKind::ImportRun)?
            .into_iter()
            .filter_map(|e| match e {
                Entity::ImportRun(r) => Some(r),
                _ => None,
            })
            .collect();
        runs.sort_by(|a, b| b.started_at.cmp(&a.started_at).then(b.id.cmp(&a.id)));
        Ok(runs)
    }
}

#[cfg(test)]
mod tests {
    use super::CommitBatch;
    use std::time::Duration;

    #[test]
    fn commit_batch_from_parts_checks_the_numbers() {
        assert_eq!(
            CommitBatch::from_parts(Some(250), Some(0.5)).unwrap(),
            CommitBatch {
                records: 250,
                interval: Duration::from_millis(500)
            }
        );
        assert_eq!(
            CommitBatch::from_parts(Some(0), Some(0.0)).unwrap(),
            CommitBatch::every_page()
        );
        assert_eq!(
            CommitBatch::from_parts(None, None).unwrap(),
            CommitBatch::default()
        );
        assert_eq!(
            CommitBatch::from_parts(None, Some(2.0)).unwrap(),
            CommitBatch {
                interval: Duration::from_secs(2),
                ..CommitBatch::default()
            }
        );
        for (records, seconds) in [(-1, 1.0), (10, -0.1), (10, f64::NAN), (10, f64::INFINITY)] {
            let err = CommitBatch::from_parts(Some(records), Some(seconds)).unwrap_err();
            assert!(err.to_string().contains("commit batch"), "{err}");
        }
    }
}

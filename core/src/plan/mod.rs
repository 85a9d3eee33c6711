//! The import plan: what a finance person reviews and approves before an import.

mod approval;
mod filter;

pub use approval::Approval;
pub use filter::{CustomerFilter, CustomerMatch};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::model::InvoiceStatus;
use crate::reconcile::ReconcilePolicy;
use crate::record::ObjectScope;

/// Where imported invoices, payments and subscriptions are filed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "mode", content = "customer_id")]
pub enum CustomerResolution {
    /// Each source customer maps to a books customer (found by source id, then by
    /// email when `match_by_email` is set, else created).
    #[default]
    FromSource,
    /// Everything goes under one existing books customer (its books id).
    Fixed(String),
}

/// What to do with invoices the source reports paid.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaidInvoices {
    /// Record the payment and allocate it to the invoice (the default).
    #[default]
    RecordPayment,
    /// Mark the invoice paid; record no payment.
    MarkPaidOnly,
}

/// What to do with invoices the source reports unpaid (open, uncollectible).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnpaidInvoices {
    /// Keep the source status (the default).
    #[default]
    KeepStatus,
    /// Import as drafts.
    AsDrafts,
}

/// A reviewed, approvable description of one import.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ImportPlan {
    /// Object kinds to import.
    pub objects: Vec<ObjectScope>,
    /// Customer resolution.
    pub customer_resolution: CustomerResolution,
    /// Match source customers to books customers by email before creating new ones.
    pub match_by_email: bool,
    /// Which source customers' records to import.
    pub customer_filter: CustomerFilter,
    /// Only records created at or after this time.
    pub created_from: Option<DateTime<Utc>>,
    /// Only records created at or before this time.
    pub created_to: Option<DateTime<Utc>>,
    /// Only invoices in these source statuses (empty: all).
    pub invoice_statuses: Vec<InvoiceStatus>,
    /// Paid invoice behaviour.
    pub paid_invoices: PaidInvoices,
    /// Unpaid invoice behaviour.
    pub unpaid_invoices: UnpaidInvoices,
    /// Matching, fee and FX policy.
    pub policy: ReconcilePolicy,
    /// Named actions run after a successful apply (registered by the host).
    pub post_actions: Vec<String>,
    /// Allow imports from a live-mode source (still requires an approval).
    pub allow_live: bool,
}

impl Default for ImportPlan {
    fn default() -> Self {
        ImportPlan {
            objects: ObjectScope::ALL.to_vec(),
            customer_resolution: CustomerResolution::FromSource,
            match_by_email: false,
            customer_filter: CustomerFilter::All,
            created_from: None,
            created_to: None,
            invoice_statuses: Vec::new(),
            paid_invoices: PaidInvoices::RecordPayment,
            unpaid_invoices: UnpaidInvoices::KeepStatus,
            policy: ReconcilePolicy::default(),
            post_actions: Vec::new(),
            allow_live: false,
        }
    }
}

impl ImportPlan {
    /// Sets the object scope.
    pub fn objects(mut self, objects: impl IntoIterator<Item = ObjectScope>) -> Self {
        self.objects = objects.into_iter().collect();
        self
    }

    /// Sets customer resolution.
    pub fn customer_resolution(mut self, r: CustomerResolution) -> Self {
        self.customer_resolution = r;
        self
    }

    /// Files everything under one books customer.
    pub fn fixed_customer(self, customer_id: &str) -> Self {
        self.customer_resolution(CustomerResolution::Fixed(customer_id.to_string()))
    }

    /// Sets the customer filter.
    pub fn customer_filter(mut self, f: CustomerFilter) -> Self {
        self.customer_filter = f;
        self
    }

    /// Sets the created-date range (inclusive).
    pub fn created(mut self, from: Option<DateTime<Utc>>, to: Option<DateTime<Utc>>) -> Self {
        self.created_from = from;
        self.created_to = to;
        self
    }

    /// Sets the invoice status filter.
    pub fn invoice_statuses(mut self, s: impl IntoIterator<Item = InvoiceStatus>) -> Self {
        self.invoice_statuses = s.into_iter().collect();
        self
    }

    /// Sets paid invoice behaviour.
    pub fn paid_invoices(mut self, p: PaidInvoices) -> Self {
        self.paid_invoices = p;
        self
    }

    /// Sets unpaid invoice behaviour.
    pub fn unpaid_invoices(mut self, u: UnpaidInvoices) -> Self {
        self.unpaid_invoices = u;
        self
    }

    /// Sets the reconcile policy.
    pub fn policy(mut self, p: ReconcilePolicy) -> Self {
        self.policy = p;
        self
    }

    /// Adds a post-import action by name.
    pub fn post_action(mut self, name: &str) -> Self {
        self.post_actions.push(name.to_string());
        self
    }

    /// Allows a live-mode source.
    pub fn allow_live(mut self, allow: bool) -> Self {
        self.allow_live = allow;
        self
    }

    /// Whether the plan imports this scope.
    pub fn includes(&self, s: ObjectScope) -> bool {
        self.objects.contains(&s)
    }

    /// A stable hash of the plan (SHA-256 of its canonical JSON, hex).
    pub fn hash(&self) -> String {
        use sha2::{Digest, Sha256};
        let mut objects = self.objects.clone();
        objects.sort();
        objects.dedup();
        let mut canonical = self.clone();
        canonical.objects = objects;
        canonical.invoice_statuses.sort();
        canonical.invoice_statuses.dedup();
        let json = serde_json::to_string(&canonical).unwrap_or_default();
        hex::encode(Sha256::digest(json.as_bytes()))
    }
}

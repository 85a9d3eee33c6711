//! Opening collection cases from open invoices, and keeping them in step with
//! the books.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{AgeBasis, CaseStatus, CollectionCase, Debtor};
use crate::EntityKind;
use crate::model::{Customer, Id, Invoice, InvoiceStatus, derive_id};
use crate::money::Currency;

/// Which open invoices [`open_cases`] considers.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CaseFilter {
    /// Only this customer's invoices (books id).
    #[serde(default)]
    pub customer_id: Option<Id>,
    /// Only invoices in this currency.
    #[serde(default)]
    pub currency: Option<Currency>,
    /// Only invoices created at or after this time.
    #[serde(default)]
    pub created_from: Option<DateTime<Utc>>,
    /// Only invoices created before this time.
    #[serde(default)]
    pub created_to: Option<DateTime<Utc>>,
    /// Only invoices at least this many days past due (or finalization).
    #[serde(default)]
    pub min_days_overdue: Option<i64>,
    /// Only invoices with at least this much open.
    #[serde(default)]
    pub min_open_amount: Option<Decimal>,
}

/// What a case needs from its debtor.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CasePolicy {
    /// Refuse a debtor without a postal address (line 1, postal code, city,
    /// country). On by default: agencies need it.
    pub require_postal_address: bool,
}

impl Default for CasePolicy {
    fn default() -> Self {
        CasePolicy {
            require_postal_address: true,
        }
    }
}

/// A debtor detail a case needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DebtorField {
    /// The customer's name.
    Name,
    /// The customer's email address.
    Email,
    /// The customer's postal address.
    PostalAddress,
    /// The invoice has no customer in the books at all.
    Customer,
}

impl DebtorField {
    /// snake_case name.
    pub fn as_str(&self) -> &'static str {
        match self {
            DebtorField::Name => "name",
            DebtorField::Email => "email",
            DebtorField::PostalAddress => "postal_address",
            DebtorField::Customer => "customer",
        }
    }
}

/// An invoice no case was opened for, and the debtor details it lacks.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CaseRefusal {
    /// Books id of the invoice.
    pub invoice_id: Id,
    /// Its source id.
    pub invoice_external_id: String,
    /// Books id of its customer, if any.
    pub customer_id: Option<Id>,
    /// What is missing.
    pub missing: Vec<DebtorField>,
}

impl CaseRefusal {
    /// A one-line message naming the missing fields.
    pub fn message(&self) -> String {
        let names: Vec<&str> = self.missing.iter().map(|f| f.as_str()).collect();
        format!(
            "invoice {} ({}): debtor lacks {}",
            self.invoice_external_id,
            self.invoice_id,
            names.join(", ")
        )
    }
}

/// What [`open_cases`] decided.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CaseOpening {
    /// New cases.
    pub opened: Vec<CollectionCase>,
    /// Ids of cases that already existed for matching invoices (not reopened).
    pub existing: Vec<Id>,
    /// Invoices refused for missing debtor details.
    pub refused: Vec<CaseRefusal>,
}

/// The case id of an invoice: derived from its source key, so importing the
/// same Stripe invoice again maps to the same case.
pub fn case_id(invoice: &Invoice) -> Id {
    derive_id(
        EntityKind::CollectionCase.id_prefix(),
        invoice.source.key().joined(),
    )
}

/// Whether money is still owed on the invoice.
pub fn is_collectible(invoice: &Invoice) -> bool {
    matches!(
        invoice.status,
        InvoiceStatus::Open | InvoiceStatus::PartiallyPaid
    ) && invoice.amount_remaining > Decimal::ZERO
}

/// The date a debt's age counts from: the due date, else the finalization date.
pub fn age_from(invoice: &Invoice) -> Option<(DateTime<Utc>, AgeBasis)> {
    match (invoice.due_date, invoice.issued_at) {
        (Some(d), _) => Some((d, AgeBasis::DueDate)),
        (None, Some(f)) => Some((f, AgeBasis::Finalized)),
        (None, None) => None,
    }
}

fn non_empty(s: &Option<String>) -> bool {
    s.as_deref().is_some_and(|v| !v.trim().is_empty())
}

fn missing_fields(customer: Option<&Customer>, policy: &CasePolicy) -> Vec<DebtorField> {
    let Some(c) = customer else {
        return vec![DebtorField::Customer];
    };
    let mut missing = Vec::new();
    if !non_empty(&c.name) {
        missing.push(DebtorField::Name);
    }
    if !non_empty(&c.email) {
        missing.push(DebtorField::Email);
    }
    let postal = c.address.as_ref().is_some_and(|a| {
        non_empty(&a.line1)
            && non_empty(&a.postal_code)
            && non_empty(&a.city)
            && non_empty(&a.country)
    });
    if policy.require_postal_address && !postal {
        missing.push(DebtorField::PostalAddress);
    }
    missing
}

fn matches(filter: &CaseFilter, invoice: &Invoice, now: DateTime<Utc>) -> bool {
    let created = invoice.source.created_at.or(invoice.issued_at);
    filter
        .customer_id
        .as_ref()
        .is_none_or(|c| invoice.customer_id.as_ref() == Some(c))
        && filter.currency.is_none_or(|c| c == invoice.currency)
        && filter
            .created_from
            .is_none_or(|f| created.is_some_and(|c| c >= f))
        && filter
            .created_to
            .is_none_or(|t| created.is_some_and(|c| c < t))
        && filter
            .min_open_amount
            .is_none_or(|m| invoice.amount_remaining >= m)
        && filter
            .min_days_overdue
            .is_none_or(|d| age_from(invoice).is_some_and(|(from, _)| (now - from).num_days() >= d))
}

/// Opens one case per collectible invoice that matches `filter` and has none
/// yet (`existing` holds the ids of cases the books already have). Invoices
/// whose debtor lacks a name, email or (per `policy`) postal address are
/// refused with the missing fields; the rest are opened. Pure: `now` is the
/// opening time.
pub fn open_cases<'a>(
    invoices: impl IntoIterator<Item = &'a Invoice>,
    customers: &HashMap<&str, &Customer>,
    existing: &HashSet<Id>,
    filter: &CaseFilter,
    policy: &CasePolicy,
    now: DateTime<Utc>,
) -> CaseOpening {
    let mut out = CaseOpening::default();
    for inv in invoices {
        if !is_collectible(inv) || !matches(filter, inv, now) {
            continue;
        }
        let id = case_id(inv);
        if existing.contains(&id) {
            out.existing.push(id);
            continue;
        }
        let customer = inv
            .customer_id
            .as_deref()
            .and_then(|c| customers.get(c).copied());
        let missing = missing_fields(customer, policy);
        let (Some(c), Some((from, basis))) = (customer, age_from(inv)) else {
            out.refused.push(CaseRefusal {
                invoice_id: inv.id.clone(),
                invoice_external_id: inv.source.external_id.clone(),
                customer_id: inv.customer_id.clone(),
                missing: if missing.is_empty() {
                    vec![DebtorField::Customer]
                } else {
                    missing
                },
            });
            continue;
        };
        if !missing.is_empty() {
            out.refused.push(CaseRefusal {
                invoice_id: inv.id.clone(),
                invoice_external_id: inv.source.external_id.clone(),
                customer_id: inv.customer_id.clone(),
                missing,
            });
            continue;
        }
        let mut case = CollectionCase {
            id,
            invoice_id: inv.id.clone(),
            invoice_external_id: inv.source.external_id.clone(),
            invoice_number: inv.number.clone(),
            invoice_url: inv.source.url.clone(),
            debtor: Debtor {
                customer_id: c.id.clone(),
                name: c.name.clone().unwrap_or_default(),
                email: c.email.clone().unwrap_or_default(),
                address: c.address.clone().unwrap_or_default(),
            },
            currency: inv.currency,
            original_amount: inv.amount_due,
            open_amount: inv.amount_remaining,
            age_from: from,
            age_basis: basis,
            status: CaseStatus::Open,
            close_reason: None,
            history: Vec::new(),
        };
        case.push(now, CaseStatus::Open, "opened");
        out.opened.push(case);
    }
    out
}

/// [`open_cases`] over whole books: every invoice, every customer and the
/// ids of the cases the books hold. Opening cases and an import review's
/// preview of the `collection_cases` action both plan with it, so a review
/// shows exactly what its approval opens.
pub fn plan_cases(
    invoices: &[Invoice],
    customers: &[Customer],
    existing: &HashSet<Id>,
    filter: &CaseFilter,
    policy: &CasePolicy,
    now: DateTime<Utc>,
) -> CaseOpening {
    let by_id: HashMap<&str, &Customer> = customers.iter().map(|c| (c.id.as_str(), c)).collect();
    open_cases(invoices, &by_id, existing, filter, policy, now)
}

/// The case after the books changed: its invoice's open amount, and closed as
/// `paid` (paid in full) or `closed` (void, written off, credited) once
/// nothing is open. `None` when nothing changed. A case whose invoice is gone
/// from the books is left alone.
pub fn follow_books(
    case: &CollectionCase,
    invoice: Option<&Invoice>,
    now: DateTime<Utc>,
) -> Option<CollectionCase> {
    let inv = invoice?;
    if !case.status.is_active() {
        return None;
    }
    let mut c = case.clone();
    let open = if matches!(
        inv.status,
        InvoiceStatus::Void | InvoiceStatus::Uncollectible
    ) {
        Decimal::ZERO
    } else {
        inv.amount_remaining.max(Decimal::ZERO)
    };
    if open == c.open_amount && open > Decimal::ZERO {
        return None;
    }
    c.open_amount = open;
    if open > Decimal::ZERO {
        let status = c.status;
        c.push(now, status, "open amount changed");
        return Some(c);
    }
    let (status, reason) = match inv.status {
        InvoiceStatus::Void => (CaseStatus::Closed, "void"),
        InvoiceStatus::Uncollectible => (CaseStatus::Closed, "written_off"),
        _ if inv.amount_paid >= inv.amount_due => (CaseStatus::Paid, "paid"),
        _ => (CaseStatus::Closed, "credited"),
    };
    if status == CaseStatus::Closed {
        c.close_reason = Some(reason.to_string());
    }
    c.push(now, status, reason);
    Some(c)
}

//! The review summary: the plan as the checklist a person approves, in plain terms.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::plan::{CustomerFilter, CustomerMatch, CustomerResolution, ImportPlan};
use crate::source::AccountInfo;

use super::Review;

/// The import plan as a checklist, next to the review's counts and totals.
///
/// Every enum-like field holds a stable snake_case value (the plan's own
/// serialized names); [`Review::summary_text`] renders it for a person.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewSummary {
    /// Source system (`"stripe"`).
    pub system: String,
    /// Account id (`acct_...`, or a label for offline sources).
    pub account: String,
    /// Live data (true) or test data.
    pub livemode: bool,
    /// Key kind: `secret`, `restricted`, or `files` for offline sources.
    pub key_kind: String,
    /// Object kinds in scope, in import order.
    pub objects: Vec<String>,
    /// `from_source` or `fixed`.
    pub customer_resolution: String,
    /// The books customer everything is filed under (`fixed` resolution only).
    pub fixed_customer: Option<String>,
    /// Source customers are matched to books customers by email before new ones are created.
    pub match_by_email: bool,
    /// `all`, `allow` (only the listed customers) or `exclude` (all but them).
    pub customer_filter: String,
    /// The customers the filter lists (ids or emails).
    pub filter_customers: Vec<String>,
    /// Only records created at or after this time.
    pub created_from: Option<DateTime<Utc>>,
    /// Only records created at or before this time.
    pub created_to: Option<DateTime<Utc>>,
    /// Invoice statuses imported (empty: all).
    pub invoice_statuses: Vec<String>,
    /// Paid invoices: `record_payment` or `mark_paid_only`.
    pub paid_invoices: String,
    /// Unpaid invoices: `keep_status` or `as_drafts`.
    pub unpaid_invoices: String,
    /// Policy fill order: `oldest_first`, `newest_first` or `leave_unapplied`.
    pub allocation_order: String,
    /// Policy matching runs at the end of the import.
    pub match_on_import: bool,
    /// Write-off tolerance, absolute, in major units of the invoice currency.
    pub write_off_abs: Decimal,
    /// Write-off tolerance, percent of the invoice total.
    pub write_off_pct: Decimal,
    /// Fee booking: `separate_expense` or `net`.
    pub fees: String,
    /// FX booking: `report_difference` or `ignore`.
    pub fx: String,
    /// Actions run after the import, in order.
    pub post_actions: Vec<String>,
    /// The plan allows a live-mode source.
    pub allow_live: bool,
}

fn name<T: Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

fn matcher(m: &CustomerMatch) -> String {
    match m {
        CustomerMatch::Id(s) | CustomerMatch::Email(s) => s.clone(),
    }
}

impl ReviewSummary {
    /// The checklist of `plan` against `account`.
    pub fn new(plan: &ImportPlan, account: &AccountInfo) -> Self {
        let mut objects = plan.objects.clone();
        objects.sort();
        objects.dedup();
        let (customer_resolution, fixed_customer) = match &plan.customer_resolution {
            CustomerResolution::FromSource => ("from_source", None),
            CustomerResolution::Fixed(id) => ("fixed", Some(id.clone())),
        };
        let (customer_filter, filter_customers) = match &plan.customer_filter {
            CustomerFilter::All => ("all", Vec::new()),
            CustomerFilter::Allow(l) => ("allow", l.iter().map(matcher).collect()),
            CustomerFilter::Exclude(l) => ("exclude", l.iter().map(matcher).collect()),
        };
        let mut statuses: Vec<String> = plan
            .invoice_statuses
            .iter()
            .map(|s| s.as_str().to_string())
            .collect();
        statuses.sort();
        statuses.dedup();
        ReviewSummary {
            system: account.system.clone(),
            account: account.account.clone(),
            livemode: account.livemode,
            key_kind: account.key_kind.clone(),
            objects: objects.iter().map(|o| o.as_str().to_string()).collect(),
            customer_resolution: customer_resolution.into(),
            fixed_customer,
            match_by_email: plan.match_by_email,
            customer_filter: customer_filter.into(),
            filter_customers,
            created_from: plan.created_from,
            created_to: plan.created_to,
            invoice_statuses: statuses,
            paid_invoices: name(&plan.paid_invoices),
            unpaid_invoices: name(&plan.unpaid_invoices),
            allocation_order: name(&plan.policy.order),
            match_on_import: plan.policy.match_on_import,
            write_off_abs: plan.policy.write_off_abs,
            write_off_pct: plan.policy.write_off_pct,
            fees: name(&plan.policy.fees),
            fx: name(&plan.policy.fx),
            post_actions: plan.post_actions.clone(),
            allow_live: plan.allow_live,
        }
    }

    /// The checklist lines, `(label, value)`, in the order a person reads them.
    pub fn checklist(&self) -> Vec<(&'static str, String)> {
        let mode = if self.livemode { "LIVE" } else { "test" };
        let customers = match self.fixed_customer.as_deref() {
            Some(id) => format!("everything filed under one books customer, {id}"),
            None if self.match_by_email => {
                "from Stripe; matched by email to existing customers, else created".into()
            }
            None => "from Stripe; each Stripe customer becomes a books customer".into(),
        };
        let filter = match self.customer_filter.as_str() {
            "allow" => format!("only {}", self.filter_customers.join(", ")),
            "exclude" => format!("all but {}", self.filter_customers.join(", ")),
            _ => "all customers".into(),
        };
        let day = |d: Option<DateTime<Utc>>| d.map(|d| d.to_rfc3339());
        let created = match (day(self.created_from), day(self.created_to)) {
            (None, None) => "any time".into(),
            (Some(f), None) => format!("from {f}"),
            (None, Some(t)) => format!("up to {t}"),
            (Some(f), Some(t)) => format!("{f} to {t}"),
        };
        let statuses = if self.invoice_statuses.is_empty() {
            "all".into()
        } else {
            self.invoice_statuses.join(", ")
        };
        let paid = match self.paid_invoices.as_str() {
            "mark_paid_only" => "marked paid, no payment recorded",
            _ => "marked paid, with the payment recorded and allocated",
        };
        let unpaid = match self.unpaid_invoices.as_str() {
            "as_drafts" => "imported as drafts",
            _ => "keep their Stripe status",
        };
        let order = match self.allocation_order.as_str() {
            "newest_first" => {
                "explicit links, then same customer + exact amount, else newest due first"
            }
            "leave_unapplied" => "explicit links, then exact amount only; the rest left unapplied",
            _ => "explicit links, then same customer + exact amount, else oldest due first",
        };
        let on_import = if self.match_on_import {
            "at the end of the import"
        } else {
            "only when reconcile runs"
        };
        let write_off = if self.write_off_abs.is_zero() && self.write_off_pct.is_zero() {
            "none".into()
        } else {
            format!(
                "up to {} or {}% of the invoice",
                self.write_off_abs, self.write_off_pct
            )
        };
        let fees = match self.fees.as_str() {
            "net" => "payments recorded net of fees",
            _ => "payments at gross, fees a separate expense",
        };
        let fx = match self.fx.as_str() {
            "ignore" => "ignored",
            _ => "reported (settlement vs invoice currency)",
        };
        let post = if self.post_actions.is_empty() {
            "none".into()
        } else {
            self.post_actions.join(", ")
        };
        vec![
            ("Account", format!("{} {}", self.system, self.account)),
            ("Mode", format!("{mode} data, {} key", self.key_kind)),
            ("Objects", self.objects.join(", ")),
            ("Customers", customers),
            ("Customer filter", filter),
            ("Created", created),
            ("Invoice statuses", statuses),
            ("Paid invoices", paid.into()),
            ("Unpaid invoices", unpaid.into()),
            (
                "Allocation",
                format!("{order}; policy matching {on_import}"),
            ),
            ("Write-off tolerance", write_off),
            ("Fees", fees.into()),
            ("FX", fx.into()),
            ("After the import", post),
        ]
    }
}

impl Review {
    /// The summary as text: the checklist, then counts per object and totals per currency.
    pub fn summary_text(&self) -> String {
        let mut out = String::from("Import plan\n");
        let rows = self.summary.checklist();
        let width = rows.iter().map(|(l, _)| l.len()).max().unwrap_or(0);
        for (label, value) in rows {
            let _ = writeln!(out, "  [ ] {label:<width$}  {value}");
        }
        out.push_str("What it does\n");
        for (object, c) in &self.counts {
            let _ = writeln!(
                out,
                "  {object:<20} {} create, {} update, {} unchanged, {} skipped, {} failed",
                c.created, c.updated, c.unchanged, c.skipped, c.failed
            );
        }
        if self.counts.is_empty() {
            out.push_str("  nothing\n");
        }
        if !self.totals.is_empty() {
            out.push_str("Totals (created and updated)\n");
            for (object, per) in &self.totals {
                for (currency, t) in per {
                    let _ = writeln!(
                        out,
                        "  {object:<20} {} {} {}",
                        t.count,
                        currency.code(),
                        t.amount
                    );
                }
            }
        }
        if !self.failures.is_empty() {
            let _ = writeln!(out, "Failures: {}", self.failures.len());
        }
        if let Some(cases) = &self.collection_cases {
            cases_text(&mut out, cases);
        }
        out
    }
}

/// The collection cases a review previews: counts, then one line per case
/// and per refused invoice.
fn cases_text(out: &mut String, cases: &crate::collect::CaseOpening) {
    let _ = writeln!(
        out,
        "Collection cases (post-import action): {} to open, {} already open, {} refused",
        cases.opened.len(),
        cases.existing.len(),
        cases.refused.len()
    );
    for c in &cases.opened {
        let _ = writeln!(
            out,
            "  open    {} {} {} {} open, debtor {} <{}>",
            c.invoice_external_id,
            c.invoice_number.as_deref().unwrap_or("-"),
            c.currency.code(),
            c.open_amount,
            c.debtor.name,
            c.debtor.email
        );
    }
    for r in &cases.refused {
        let _ = writeln!(out, "  refuse  {}", r.message());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::InvoiceStatus;
    use crate::plan::{PaidInvoices, UnpaidInvoices};
    use crate::record::ObjectScope;

    fn account() -> AccountInfo {
        AccountInfo {
            system: "stripe".into(),
            account: "acct_1".into(),
            livemode: true,
            key_kind: "restricted".into(),
        }
    }

    #[test]
    fn summary_names_every_plan_choice() {
        let plan = ImportPlan::default()
            .objects([ObjectScope::Invoices, ObjectScope::Customers])
            .fixed_customer("cus_books_1")
            .customer_filter(CustomerFilter::Exclude(vec![CustomerMatch::parse(
                "a@b.example",
            )]))
            .invoice_statuses([InvoiceStatus::Paid, InvoiceStatus::Open])
            .paid_invoices(PaidInvoices::MarkPaidOnly)
            .unpaid_invoices(UnpaidInvoices::AsDrafts)
            .post_action("notify")
            .allow_live(true);
        let s = ReviewSummary::new(&plan, &account());
        assert_eq!(s.objects, ["customers", "invoices"]);
        assert_eq!(s.customer_resolution, "fixed");
        assert_eq!(s.fixed_customer.as_deref(), Some("cus_books_1"));
        assert_eq!(s.customer_filter, "exclude");
        assert_eq!(s.filter_customers, ["a@b.example"]);
        assert_eq!(s.invoice_statuses, ["open", "paid"]);
        assert_eq!(s.paid_invoices, "mark_paid_only");
        assert_eq!(s.unpaid_invoices, "as_drafts");
        assert_eq!(s.allocation_order, "oldest_first");
        assert_eq!(s.fees, "separate_expense");
        assert_eq!(s.fx, "report_difference");
        assert_eq!(s.post_actions, ["notify"]);
        let lines = s.checklist();
        let text: Vec<String> = lines.iter().map(|(l, v)| format!("{l}: {v}")).collect();
        assert!(text.contains(&"Mode: LIVE data, restricted key".to_string()));
        assert!(text.contains(&"Customer filter: all but a@b.example".to_string()));
        assert!(text.contains(&"After the import: notify".to_string()));
        assert!(text.iter().any(|l| l.contains("cus_books_1")));
    }
}

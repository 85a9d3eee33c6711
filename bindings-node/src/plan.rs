//! Import plan and reconcile policy options: plain JS objects, every field optional.

use napi_derive::napi;
use tieout::{CustomerFilter, CustomerMatch, CustomerResolution as CoreResolution, ImportPlan};

use crate::error::invalid;
use crate::records::InvoiceStatus;
use crate::values::{parse_date, parse_decimal, parse_instant};

/// Kinds of Stripe objects a plan imports.
#[napi(string_enum = "snake_case")]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ObjectScope {
    /// Customers.
    Customers,
    /// Products, prices and plans.
    Products,
    /// Invoices with lines.
    Invoices,
    /// Subscriptions with items.
    Subscriptions,
    /// Charges, payment intents, invoice payments, checkout sessions.
    Payments,
    /// Refunds.
    Refunds,
    /// Disputes.
    Disputes,
    /// Balance transactions.
    BalanceTransactions,
    /// Payouts.
    Payouts,
    /// Credit notes.
    CreditNotes,
}

impl From<ObjectScope> for tieout::ObjectScope {
    fn from(s: ObjectScope) -> Self {
        use ObjectScope as S;
        match s {
            S::Customers => Self::Customers,
            S::Products => Self::Products,
            S::Invoices => Self::Invoices,
            S::Subscriptions => Self::Subscriptions,
            S::Payments => Self::Payments,
            S::Refunds => Self::Refunds,
            S::Disputes => Self::Disputes,
            S::BalanceTransactions => Self::BalanceTransactions,
            S::Payouts => Self::Payouts,
            S::CreditNotes => Self::CreditNotes,
        }
    }
}

/// Where imported invoices, payments and subscriptions are filed.
#[napi(string_enum = "snake_case")]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CustomerResolution {
    /// Each Stripe customer maps to a books customer (found by Stripe id, then by
    /// email when `matchByEmail` is set, else created). The default.
    Stripe,
    /// Everything goes under one existing books customer: `fixedCustomer`.
    Fixed,
}

/// What to do with invoices Stripe reports paid.
#[napi(string_enum = "snake_case")]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PaidInvoices {
    /// Record the payment and allocate it to the invoice (the default).
    RecordPayment,
    /// Mark the invoice paid; record no payment.
    MarkPaidOnly,
}

/// What to do with invoices Stripe reports unpaid (open, uncollectible).
#[napi(string_enum = "snake_case")]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnpaidInvoices {
    /// Keep Stripe's status (the default).
    KeepStatus,
    /// Import as drafts.
    AsDrafts,
}

/// Order in which a policy match fills a customer's open invoices.
#[napi(string_enum = "snake_case")]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AllocationOrder {
    /// Oldest due date first (the default).
    OldestFirst,
    /// Newest due date first.
    NewestFirst,
    /// Do not guess: leave unlinked payments unapplied (exact-amount matches still apply).
    LeaveUnapplied,
}

/// How processing fees are booked.
#[napi(string_enum = "snake_case")]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FeePolicy {
    /// Payment at gross; fees booked as a separate expense (the default).
    SeparateExpense,
    /// Payment recorded net of fees.
    Net,
}

/// How FX differences are booked.
#[napi(string_enum = "snake_case")]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FxPolicy {
    /// Allocate in the invoice currency; report the settlement difference (the default).
    ReportDifference,
    /// Allocate in the invoice currency and ignore FX differences.
    Ignore,
}

/// Matching, fee and FX policy. Omitted fields keep their defaults.
#[napi(object, object_to_js = false)]
pub struct ReconcilePolicyOptions {
    /// Fill order for policy matches (default `oldest_first`).
    pub order: Option<AllocationOrder>,
    /// Write-off tolerance, absolute, in major units of the invoice currency
    /// (decimal string, default `"0"`).
    pub write_off_abs: Option<String>,
    /// Write-off tolerance, percent of the invoice total (decimal string, default `"0"`).
    pub write_off_pct: Option<String>,
    /// Fee booking (default `separate_expense`).
    pub fees: Option<FeePolicy>,
    /// FX booking (default `report_difference`).
    pub fx: Option<FxPolicy>,
    /// Metadata keys the metadata strategy reads (default `invoice`, `invoice_id`,
    /// `invoices`, `invoice_number`).
    pub metadata_keys: Option<Vec<String>>,
    /// Run policy matching at the end of each import (default true).
    pub match_on_import: Option<bool>,
    /// Bank deposit date window in business days either side of a payout's
    /// arrival date (default 3).
    pub deposit_window_days: Option<u32>,
    /// Known exchange rates at invoice time, for the FX difference report.
    pub fx_rates: Option<Vec<FxRateOptions>>,
}

/// A known exchange rate on a date: `1 from = rate to`.
#[napi(object, object_to_js = false)]
pub struct FxRateOptions {
    /// Currency converted from (the payment's presentment currency), ISO code.
    pub from: String,
    /// Currency converted to (the settlement currency), ISO code.
    pub to: String,
    /// Date the rate applies to (`YYYY-MM-DD`).
    pub date: String,
    /// Units of `to` per unit of `from` (decimal string).
    pub rate: String,
}

impl ReconcilePolicyOptions {
    /// The core policy: defaults overridden by the given fields.
    pub(crate) fn to_core(&self) -> tieout::Result<tieout::ReconcilePolicy> {
        let mut p = tieout::ReconcilePolicy::default();
        if let Some(o) = self.order {
            p.order = match o {
                AllocationOrder::OldestFirst => tieout::AllocationOrder::OldestFirst,
                AllocationOrder::NewestFirst => tieout::AllocationOrder::NewestFirst,
                AllocationOrder::LeaveUnapplied => tieout::AllocationOrder::LeaveUnapplied,
            };
        }
        if let Some(a) = &self.write_off_abs {
            p.write_off_abs = parse_decimal("policy.writeOffAbs", a)?;
        }
        if let Some(a) = &self.write_off_pct {
            p.write_off_pct = parse_decimal("policy.writeOffPct", a)?;
        }
        if p.write_off_abs.is_sign_negative() || p.write_off_pct.is_sign_negative() {
            return Err(invalid("policy: write-off tolerances cannot be negative"));
        }
        if let Some(f) = self.fees {
            p.fees = match f {
                FeePolicy::SeparateExpense => tieout::FeePolicy::SeparateExpense,
                FeePolicy::Net => tieout::FeePolicy::Net,
            };
        }
        if let Some(f) = self.fx {
            p.fx = match f {
                FxPolicy::ReportDifference => tieout::FxPolicy::ReportDifference,
                FxPolicy::Ignore => tieout::FxPolicy::Ignore,
            };
        }
        if let Some(k) = &self.metadata_keys {
            p.metadata_keys = k.clone();
        }
        if let Some(m) = self.match_on_import {
            p.match_on_import = m;
        }
        if let Some(d) = self.deposit_window_days {
            p.deposit_window_days = d;
        }
        if let Some(rates) = &self.fx_rates {
            p.fx_rates = rates
                .iter()
                .map(|r| {
                    Ok(tieout::FxRate {
                        from: tieout::Currency::parse(&r.from)?,
                        to: tieout::Currency::parse(&r.to)?,
                        date: parse_date("policy.fxRates.date", &r.date)?,
                        rate: parse_decimal("policy.fxRates.rate", &r.rate)?,
                    })
                })
                .collect::<tieout::Result<Vec<_>>>()?;
        }
        Ok(p)
    }
}

/// Which Stripe customers' records to import: an allowlist or an exclusion
/// list (not both) of Stripe customer ids (`cus_...`) or emails.
#[napi(object, object_to_js = false)]
pub struct CustomerFilterOptions {
    /// Only these customers.
    pub allow: Option<Vec<String>>,
    /// Every customer but these.
    pub exclude: Option<Vec<String>>,
}

/// An import plan: what a person reviews and approves. Every field is optional;
/// `{}` imports everything with the defaults.
#[napi(object, object_to_js = false)]
pub struct ImportPlanOptions {
    /// Object kinds to import (default: all).
    pub objects: Option<Vec<ObjectScope>>,
    /// `stripe` (default) or `fixed` (then `fixedCustomer` is required).
    pub customer_resolution: Option<CustomerResolution>,
    /// Books id of the customer everything is filed under (implies `fixed`).
    pub fixed_customer: Option<String>,
    /// Match Stripe customers to books customers by email before creating new ones.
    pub match_by_email: Option<bool>,
    /// Which Stripe customers' records to import.
    pub customer_filter: Option<CustomerFilterOptions>,
    /// Only records created at or after this ISO-8601 instant or date.
    pub created_from: Option<String>,
    /// Only records created at or before this ISO-8601 instant or date (a date means its midnight UTC).
    pub created_to: Option<String>,
    /// Only invoices in these statuses (default: all).
    pub invoice_statuses: Option<Vec<InvoiceStatus>>,
    /// `record_payment` (default) or `mark_paid_only`.
    pub paid_invoices: Option<PaidInvoices>,
    /// `keep_status` (default) or `as_drafts`.
    pub unpaid_invoices: Option<UnpaidInvoices>,
    /// Matching, fee and FX policy.
    pub policy: Option<ReconcilePolicyOptions>,
    /// Named post-import actions (registered with `Books#registerAction`).
    pub post_actions: Option<Vec<String>>,
    /// Allow imports from a live-mode source (still requires an approval).
    pub allow_live: Option<bool>,
}

fn matches(list: &[String]) -> Vec<CustomerMatch> {
    list.iter().map(|s| CustomerMatch::parse(s)).collect()
}

impl ImportPlanOptions {
    /// The core plan: defaults overridden by the given fields.
    pub(crate) fn to_core(&self) -> tieout::Result<ImportPlan> {
        let mut plan = ImportPlan::default();
        if let Some(o) = &self.objects {
            plan.objects = o.iter().map(|s| (*s).into()).collect();
        }
        plan.customer_resolution = match (self.customer_resolution, &self.fixed_customer) {
            (None | Some(CustomerResolution::Stripe), None) => CoreResolution::FromSource,
            (None | Some(CustomerResolution::Fixed), Some(id)) if !id.trim().is_empty() => {
                CoreResolution::Fixed(id.clone())
            }
            (Some(CustomerResolution::Fixed), _) | (None, Some(_)) => {
                return Err(invalid(
                    "customerResolution 'fixed' needs fixedCustomer: the books id of an existing customer",
                ));
            }
            (Some(CustomerResolution::Stripe), Some(_)) => {
                return Err(invalid(
                    "fixedCustomer is only used with customerResolution 'fixed'",
                ));
            }
        };
        if let Some(m) = self.match_by_email {
            plan.match_by_email = m;
        }
        if let Some(f) = &self.customer_filter {
            plan.customer_filter = match (&f.allow, &f.exclude) {
                (Some(_), Some(_)) => {
                    return Err(invalid("customerFilter takes allow or exclude, not both"));
                }
                (Some(a), None) => CustomerFilter::Allow(matches(a)),
                (None, Some(e)) => CustomerFilter::Exclude(matches(e)),
                (None, None) => CustomerFilter::All,
            };
        }
        if let Some(t) = &self.created_from {
            plan.created_from = Some(parse_instant("createdFrom", t)?);
        }
        if let Some(t) = &self.created_to {
            plan.created_to = Some(parse_instant("createdTo", t)?);
        }
        if let (Some(a), Some(b)) = (plan.created_from, plan.created_to) {
            if a > b {
                return Err(invalid("createdFrom is after createdTo"));
            }
        }
        if let Some(s) = &self.invoice_statuses {
            plan.invoice_statuses = s.iter().map(|s| (*s).into()).collect();
        }
        if let Some(p) = self.paid_invoices {
            plan.paid_invoices = match p {
                PaidInvoices::RecordPayment => tieout::PaidInvoices::RecordPayment,
                PaidInvoices::MarkPaidOnly => tieout::PaidInvoices::MarkPaidOnly,
            };
        }
        if let Some(u) = self.unpaid_invoices {
            plan.unpaid_invoices = match u {
                UnpaidInvoices::KeepStatus => tieout::UnpaidInvoices::KeepStatus,
                UnpaidInvoices::AsDrafts => tieout::UnpaidInvoices::AsDrafts,
            };
        }
        if let Some(p) = &self.policy {
            plan.policy = p.to_core()?;
        }
        if let Some(a) = &self.post_actions {
            plan.post_actions = a.clone();
        }
        if let Some(l) = self.allow_live {
            plan.allow_live = l;
        }
        Ok(plan)
    }
}

/// The core plan of optional options (`undefined` or `null` is the default plan).
pub(crate) fn plan_of(options: Option<&ImportPlanOptions>) -> tieout::Result<ImportPlan> {
    options.map_or_else(|| Ok(ImportPlan::default()), ImportPlanOptions::to_core)
}

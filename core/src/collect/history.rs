//! A customer's payment history, for personalising follow-ups.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::cases::is_collectible;
use crate::model::{Id, Invoice, Payment};
use crate::money::Currency;

/// What a customer's past says about how they pay.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CustomerHistory {
    /// Paid invoices that were paid after their due date.
    pub invoices_paid_late: u32,
    /// Paid invoices with a due date.
    pub invoices_paid: u32,
    /// Average days late over paid invoices with a due date (early counts as
    /// 0), rounded down; `None` without any.
    pub average_days_late: Option<i64>,
    /// The last payment received.
    pub last_payment_at: Option<DateTime<Utc>>,
    /// Follow-ups already sent.
    pub reminders_sent: u32,
    /// Open amount over every collectible invoice, per currency.
    pub open_total: BTreeMap<Currency, Decimal>,
}

/// Histories of every customer that has invoices or payments. `reminders`
/// counts follow-ups already sent per customer id.
pub fn histories<'a>(
    invoices: impl IntoIterator<Item = &'a Invoice>,
    payments: impl IntoIterator<Item = &'a Payment>,
    reminders: &HashMap<Id, u32>,
) -> HashMap<Id, CustomerHistory> {
    let mut out: HashMap<Id, CustomerHistory> = HashMap::new();
    let mut late_days: HashMap<Id, i64> = HashMap::new();
    for inv in invoices {
        let Some(c) = &inv.customer_id else { continue };
        let h = out.entry(c.clone()).or_default();
        if is_collectible(inv) {
            *h.open_total.entry(inv.currency).or_default() += inv.amount_remaining;
        }
        if let (Some(paid), Some(due)) = (inv.paid_at, inv.due_date) {
            let late = (paid - due).num_days().max(0);
            h.invoices_paid += 1;
            if late > 0 {
                h.invoices_paid_late += 1;
            }
            *late_days.entry(c.clone()).or_default() += late;
        }
    }
    for p in payments {
        let Some(c) = &p.customer_id else { continue };
        let h = out.entry(c.clone()).or_default();
        if let Some(t) = p.received_at {
            h.last_payment_at = Some(h.last_payment_at.map_or(t, |l| l.max(t)));
        }
    }
    for (c, h) in out.iter_mut() {
        if h.invoices_paid > 0 {
            h.average_days_late =
                Some(late_days.get(c).copied().unwrap_or(0) / i64::from(h.invoices_paid));
        }
        h.reminders_sent = reminders.get(c).copied().unwrap_or(0);
    }
    out
}

//! The tie-out report as one self-contained HTML page: per currency, aging,
//! payments, invoices and payouts as inline SVG charts and tables, then the
//! last import runs and the last import's plan checklist. No scripts, fonts or
//! external resources; every figure is the JSON report's, marked with a
//! `data-figure` attribute (`USD.totals.allocated`, `USD.aging.1-30`, ...).

mod aging;
mod balance;
mod page;
mod svg;

pub use aging::{BUCKETS, amounts};
pub use page::{Ledgers, render};

use chrono::{Days, NaiveDate};
use tieout_core::reconcile::ReconcilePolicy;

use crate::books::Books;
use crate::error::Result;

/// Escapes text for HTML element content and attribute values.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

impl Books {
    /// The tie-out report (as [`Books::report`] computes it with `policy`) as one
    /// self-contained HTML page; invoices age as of the start of `as_of` (UTC,
    /// as [`Books::aging`] counts), and the Stripe balance statement of each
    /// currency runs through the end of that day.
    pub fn report_html(&self, policy: &ReconcilePolicy, as_of: NaiveDate) -> Result<String> {
        let report = self.report(policy)?;
        let runs = self.history()?;
        let aging = self.aging(day_start(as_of))?;
        let end = day_start(as_of.checked_add_days(Days::new(1)).unwrap_or(as_of));
        let balances = report
            .totals
            .keys()
            .map(|cur| self.stripe_balance(*cur, chrono::DateTime::UNIX_EPOCH, end))
            .collect::<Result<Vec<_>>>()?;
        let ledgers = Ledgers {
            aging: &aging,
            balances: &balances,
        };
        Ok(render(&report, &runs, ledgers, as_of))
    }
}

/// 00:00 UTC of `day`.
fn day_start(day: NaiveDate) -> chrono::DateTime<chrono::Utc> {
    day.and_time(chrono::NaiveTime::MIN).and_utc()
}

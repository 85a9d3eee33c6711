//! `Books::aging`.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use tieout_core::collect::{AgingReport, aging};

use crate::books::{Books, InvoiceFilter};
use crate::error::Result;

impl Books {
    /// Accounts-receivable aging at `as_of`: open amounts per customer and
    /// currency in buckets current, 1-30, 31-60, 61-90 and 90+ days past due
    /// (from the due date, or finalization without one); the totals equal
    /// the open total. `to_csv()` / `to_json()` export it.
    pub fn aging(&self, as_of: DateTime<Utc>) -> Result<AgingReport> {
        let invoices = self.invoices(&InvoiceFilter::default())?;
        let customers = self.customers()?;
        let names: HashMap<&str, &str> = customers
            .iter()
            .filter_map(|c| Some((c.id.as_str(), c.name.as_deref()?)))
            .collect();
        Ok(aging(&invoices, &names, as_of))
    }
}

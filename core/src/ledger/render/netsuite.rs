//! NetSuite journal import CSV: one row per line, the External ID (the entry
//! id) on every row so lines group into journals and a re-import is refused
//! by NetSuite rather than doubled. At most two decimals: three-decimal
//! currencies are refused.

use rust_decimal::Decimal;

use super::fmt_amount;
use crate::error::{CoreError, Result};
use crate::ledger::JournalEntry;

fn csv_err(e: impl std::fmt::Display) -> CoreError {
    CoreError::Invalid(format!("netsuite csv: {e}"))
}

/// The entries as a NetSuite journal CSV. An entry in more than one currency
/// becomes one journal per currency (External ID `<id>#<CUR>`).
pub fn netsuite(entries: &[JournalEntry]) -> Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "External ID",
        "Date",
        "Currency",
        "Memo",
        "Account",
        "Debit",
        "Credit",
        "Line Memo",
        "Name",
    ])
    .map_err(csv_err)?;
    for e in entries {
        let currencies = e.currencies();
        for c in &currencies {
            if c.exponent() > 2 {
                return Err(CoreError::Invalid(format!(
                    "NetSuite takes at most two decimals: entry {} is in {c} ({} decimals); \
                     export it to another target",
                    e.id,
                    c.exponent()
                )));
            }
            let ext = if currencies.len() > 1 {
                format!("{}#{}", e.id, c)
            } else {
                e.id.clone()
            };
            for p in e.postings.iter().filter(|p| p.currency == *c) {
                let (dr, cr) = if p.amount > Decimal::ZERO {
                    (fmt_amount(p.amount, *c), String::new())
                } else {
                    (String::new(), fmt_amount(-p.amount, *c))
                };
                w.write_record([
                    ext.as_str(),
                    &e.date.format("%m/%d/%Y").to_string(),
                    c.code(),
                    &e.narration,
                    &p.account,
                    &dr,
                    &cr,
                    p.memo.as_deref().unwrap_or(""),
                    p.customer_id.as_deref().unwrap_or(""),
                ])
                .map_err(csv_err)?;
            }
        }
    }
    String::from_utf8(w.into_inner().map_err(csv_err)?).map_err(csv_err)
}

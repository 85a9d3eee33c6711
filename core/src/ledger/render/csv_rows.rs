//! Generic CSV: one row per posting.

use rust_decimal::Decimal;

use super::fmt_amount;
use crate::error::{CoreError, Result};
use crate::ledger::JournalEntry;

fn csv_err(e: impl std::fmt::Display) -> CoreError {
    CoreError::Invalid(format!("csv: {e}"))
}

/// The entries as CSV, one row per posting: `entry_id, date, layer, category,
/// narration, account, debit, credit, amount, currency, customer_id, memo,
/// source_id, adjusts`.
pub fn csv(entries: &[JournalEntry]) -> Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "entry_id",
        "date",
        "layer",
        "category",
        "narration",
        "account",
        "debit",
        "credit",
        "amount",
        "currency",
        "customer_id",
        "memo",
        "source_id",
        "adjusts",
    ])
    .map_err(csv_err)?;
    for e in entries {
        for p in &e.postings {
            let amt = fmt_amount(p.amount, p.currency);
            let (dr, cr) = if p.amount > Decimal::ZERO {
                (amt.clone(), String::new())
            } else {
                (String::new(), fmt_amount(-p.amount, p.currency))
            };
            w.write_record([
                e.id.as_str(),
                &e.date.to_string(),
                e.layer.as_str(),
                &e.category,
                &e.narration,
                &p.account,
                &dr,
                &cr,
                &amt,
                p.currency.code(),
                p.customer_id.as_deref().unwrap_or(""),
                p.memo.as_deref().unwrap_or(""),
                &e.source_id,
                e.adjusts.as_deref().unwrap_or(""),
            ])
            .map_err(csv_err)?;
        }
    }
    String::from_utf8(w.into_inner().map_err(csv_err)?).map_err(csv_err)
}

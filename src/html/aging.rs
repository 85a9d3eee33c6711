//! The receivables aging section: the buckets of [`Books::aging`](crate::Books::aging)'s
//! per-currency totals, as a chart and a table.

use std::fmt::Write as _;

use rust_decimal::Decimal;
use tieout_core::collect::AgingRow;

use super::page::fig;
use super::svg;

/// Bucket names, in order: not yet due, then days past due (from the due
/// date, or finalization without one), as the aging report has them.
pub const BUCKETS: [&str; 5] = ["current", "1-30", "31-60", "61-90", "90+"];

/// The open amounts of `row` in [`BUCKETS`] order.
pub fn amounts(row: &AgingRow) -> [Decimal; 5] {
    [
        row.current,
        row.days_1_30,
        row.days_31_60,
        row.days_61_90,
        row.days_over_90,
    ]
}

/// Writes the aging chart and table of `code` (`row`: its total row, if
/// any). `open` is the report's open total: what the aging leaves out
/// (invoices marked uncollectible) is shown as not aged, so the table adds up
/// to the report.
pub fn section(h: &mut String, code: &str, row: Option<&AgingRow>, open: Decimal) {
    let amounts = row.map(amounts).unwrap_or_default();
    let rows: Vec<(&str, Decimal)> = BUCKETS.iter().copied().zip(amounts).collect();
    let _ = write!(
        h,
        "<div><h3>Receivables aging</h3>{}<table><tr><th>Days past due</th><th class=\"num\">Open</th></tr>",
        svg::bars(&format!("aging-{code}"), &format!("{code} aging"), &rows)
    );
    for (b, amount) in BUCKETS.iter().zip(amounts) {
        let _ = write!(
            h,
            "<tr><td>{b}</td>{}</tr>",
            fig(&format!("{code}.aging.{b}"), amount)
        );
    }
    let total = row.map(|r| r.total).unwrap_or_default();
    let _ = write!(
        h,
        "<tr><td>Total aged</td>{}</tr><tr><td>Uncollectible, not aged</td>{}</tr></table></div>",
        fig(&format!("{code}.aging.total"), total),
        fig(&format!("{code}.aging.not_aged"), open - total)
    );
}

//! The Stripe balance section: the statement of
//! [`Books::stripe_balance`](crate::Books::stripe_balance) summed up.

use std::fmt::Write as _;

use rust_decimal::Decimal;
use tieout_core::ledger::StripeBalance;

use super::page::fig;

/// Writes the balance statement summary of `s` (its currency's code `code`).
pub fn section(h: &mut String, code: &str, s: &StripeBalance) {
    let part = |p: &str| -> Decimal {
        s.lines
            .iter()
            .filter(|l| l.part == p)
            .map(|l| l.amount)
            .sum()
    };
    let _ = write!(
        h,
        "<div class=\"balance\"><h3>Stripe balance</h3><p class=\"muted\">Statement to {}</p><table><tr><th></th><th class=\"num\">{code}</th></tr>",
        s.to.format("%Y-%m-%d %H:%M UTC")
    );
    let rows = [
        ("Opening", "opening", s.opening()),
        ("Gross", "gross", part("gross")),
        ("Fees", "fees", part("fee")),
        ("Closing", "closing", s.closing()),
        (
            "of which available",
            "closing_available",
            s.closing_available,
        ),
        ("of which pending", "closing_pending", s.closing_pending),
    ];
    for (label, key, value) in rows {
        let _ = write!(
            h,
            "<tr><td>{label}</td>{}</tr>",
            fig(&format!("{code}.balance.{key}"), value)
        );
    }
    let _ = write!(
        h,
        "<tr><td>Statement lines</td>{}</tr>",
        fig(&format!("{code}.balance.lines"), s.lines.len())
    );
    match &s.reported {
        Some(r) => {
            let _ = write!(
                h,
                "<tr><td>Reported available</td>{}</tr><tr><td>Reported pending</td>{}</tr></table><p class=\"{}\">{}</p></div>",
                fig(&format!("{code}.balance.reported_available"), r.available),
                fig(&format!("{code}.balance.reported_pending"), r.pending),
                if s.ties() { "ok" } else { "bad" },
                if s.ties() {
                    "ties to the balance Stripe reported"
                } else {
                    "does not tie to the balance Stripe reported"
                }
            );
        }
        None => h.push_str(
            "</table><p class=\"muted\">No balance reported by Stripe to tie to.</p></div>",
        ),
    }
}

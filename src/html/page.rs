//! The page: header, one section per currency, runs, the last plan.

use std::fmt::Write as _;

use chrono::NaiveDate;
use tieout_core::model::ImportRun;
use tieout_core::money::at_scale;
use tieout_core::reconcile::ReconcileReport;

use tieout_core::collect::AgingReport;
use tieout_core::ledger::StripeBalance;

use super::{aging, balance, escape, svg};

const STYLE: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2rem;color:#1d2330;max-width:70rem}\
h1{font-size:1.6rem}h2{border-bottom:2px solid #d0d7e2;padding-bottom:.3rem;margin-top:2.2rem}h3{font-size:1.05rem;margin-bottom:.4rem}\
table{border-collapse:collapse;margin:.4rem 0 1rem}th,td{padding:.25rem .7rem;border-bottom:1px solid #e3e8ef;text-align:left}\
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}.grid{display:flex;flex-wrap:wrap;gap:1.5rem 3rem}\
.ok{color:#11703a}.bad{color:#b3261e;font-weight:600}svg .label,svg .value{font-size:12px;fill:#1d2330}\
svg .bar{fill:#3d6fd6}svg .bar-1{fill:#6a9be8}svg .bar-2{fill:#e0a33a}svg .bar-3{fill:#d9622b}svg .bar-4{fill:#b3261e}svg .bar-5{fill:#8a93a3}\
.muted{color:#5b6475}";

/// A table cell holding one figure, keyed by `data-figure`.
pub(crate) fn fig(key: &str, value: impl std::fmt::Display) -> String {
    format!(
        r#"<td class="num" data-figure="{}">{}</td>"#,
        escape(key),
        escape(&value.to_string())
    )
}

/// What the page shows next to the report: the receivables aging and the
/// Stripe balance statements (any currency without one shows none).
#[derive(Clone, Copy, Debug)]
pub struct Ledgers<'a> {
    /// The aging at the page's date ([`Books::aging`](crate::Books::aging)).
    pub aging: &'a AgingReport,
    /// Balance statements ([`Books::stripe_balance`](crate::Books::stripe_balance)).
    pub balances: &'a [StripeBalance],
}

/// Renders the page from the JSON report, the import history (newest first),
/// the aging and balance statements, and `as_of`.
pub fn render(
    report: &ReconcileReport,
    runs: &[ImportRun],
    ledgers: Ledgers<'_>,
    as_of: NaiveDate,
) -> String {
    let mut h = String::new();
    let _ = write!(
        h,
        r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>Tie-out report</title><style>{STYLE}</style></head><body><h1>Tie-out report</h1><p class="muted">Invoices aged as of <span id="as-of">{as_of}</span>. Figures are the books' report; amounts in each currency's major unit.</p>"#
    );
    if report.totals.is_empty() {
        h.push_str("<p>No payments or invoices in the books yet.</p>");
    }
    for (cur, t) in &report.totals {
        let code = cur.code();
        let _ = write!(
            h,
            r#"<section class="currency" data-currency="{code}"><h2>{code} <span class="{}">{}</span></h2><div class="grid">"#,
            if t.adds_up { "ok" } else { "bad" },
            if t.adds_up {
                "ties out"
            } else {
                "does not tie out"
            }
        );
        // Aging.
        let row = ledgers.aging.totals.iter().find(|r| r.currency == *cur);
        aging::section(&mut h, code, row, t.open);
        // Payments.
        let pay = [
            ("allocated", t.allocated),
            ("unapplied", t.unapplied),
            ("refunded", t.refunded),
            ("disputed", t.disputed),
        ];
        let _ = write!(
            h,
            "<div><h3>Payments</h3>{}<table><tr><th></th><th class=\"num\">{code}</th></tr><tr><td>Received</td>{}</tr>",
            svg::bars(
                &format!("payments-{code}"),
                &format!("{code} payments"),
                &pay
            ),
            fig(
                &format!("{code}.totals.payments_received"),
                t.payments_received
            )
        );
        for (k, v) in pay {
            let _ = write!(
                h,
                "<tr><td>{k}</td>{}</tr>",
                fig(&format!("{code}.totals.{k}"), v)
            );
        }
        let _ = write!(
            h,
            "<tr><td>Balance</td>{}</tr></table></div>",
            fig(
                &format!("{code}.totals.payments_balance"),
                t.payments_balance
            )
        );
        // Invoices.
        let inv = [
            ("paid", t.paid),
            ("open", t.open),
            ("written_off", t.written_off),
            ("credited", t.credited),
        ];
        let _ = write!(
            h,
            "<div><h3>Invoices</h3>{}<table><tr><th></th><th class=\"num\">{code}</th></tr><tr><td>Invoiced</td>{}</tr>",
            svg::bars(
                &format!("invoices-{code}"),
                &format!("{code} invoices"),
                &inv
            ),
            fig(&format!("{code}.totals.invoiced"), t.invoiced)
        );
        for (k, v) in inv {
            let _ = write!(
                h,
                "<tr><td>{}</td>{}</tr>",
                k.replace('_', " "),
                fig(&format!("{code}.totals.{k}"), v)
            );
        }
        let _ = write!(
            h,
            "<tr><td>Balance</td>{}</tr></table></div>",
            fig(
                &format!("{code}.totals.invoices_balance"),
                t.invoices_balance
            )
        );
        // Payouts.
        let p = &report.payouts;
        let matched: Vec<_> = p.pairs.iter().filter(|x| x.currency == *cur).collect();
        let unmatched: Vec<_> = p
            .unmatched_payouts
            .iter()
            .filter(|x| x.currency == *cur)
            .collect();
        let deposits = p
            .unmatched_deposits
            .iter()
            .filter(|x| x.currency == *cur)
            .count();
        let matched_amount = at_scale(matched.iter().map(|x| x.amount).sum(), *cur);
        let unmatched_amount = at_scale(unmatched.iter().map(|x| x.amount).sum(), *cur);
        let _ = write!(
            h,
            "<div><h3>Payouts</h3>{}<table><tr><th></th><th class=\"num\">Count</th><th class=\"num\">{code}</th></tr><tr><td>Matched to deposits</td>{}{}</tr><tr><td>Unmatched payouts</td>{}{}</tr><tr><td>Unmatched deposits</td>{}<td></td></tr></table>",
            svg::bars(
                &format!("payouts-{code}"),
                &format!("{code} payouts"),
                &[("matched", matched_amount), ("unmatched", unmatched_amount)]
            ),
            fig(&format!("{code}.payouts.matched_count"), matched.len()),
            fig(&format!("{code}.payouts.matched"), matched_amount),
            fig(&format!("{code}.payouts.unmatched_count"), unmatched.len()),
            fig(&format!("{code}.payouts.unmatched"), unmatched_amount),
            fig(
                &format!("{code}.payouts.unmatched_deposits_count"),
                deposits
            ),
        );
        for u in &unmatched {
            let _ = write!(
                h,
                "<p class=\"muted\">{} {}: {}</p>",
                escape(&u.external_id),
                u.amount,
                escape(&u.reason)
            );
        }
        h.push_str("</div>");
        if let Some(b) = ledgers
            .balances
            .iter()
            .find(|b| b.currency == *cur && !b.lines.is_empty())
        {
            balance::section(&mut h, code, b);
        }
        h.push_str("</div></section>");
    }
    runs_section(&mut h, runs);
    h.push_str("</body></html>\n");
    h
}

fn runs_section(h: &mut String, runs: &[ImportRun]) {
    h.push_str("<section id=\"runs\"><h2>Last import runs</h2>");
    if runs.is_empty() {
        h.push_str("<p>No imports yet.</p>");
    } else {
        h.push_str("<table><tr><th>Run</th><th>Status</th><th>Mode</th><th>Source</th><th>Started</th><th class=\"num\">Created</th><th class=\"num\">Updated</th><th class=\"num\">Unchanged</th><th class=\"num\">Failed</th></tr>");
        for r in runs.iter().take(10) {
            let t = &r.totals;
            let _ = write!(
                h,
                "<tr data-run=\"{id}\"><td>{id}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>{}{}{}{}</tr>",
                r.status.as_str(),
                escape(&r.mode),
                escape(&r.source),
                r.started_at.format("%Y-%m-%d %H:%M:%S UTC"),
                fig(&format!("run.{}.created", r.id), t.created),
                fig(&format!("run.{}.updated", r.id), t.updated),
                fig(&format!("run.{}.unchanged", r.id), t.unchanged),
                fig(&format!("run.{}.failed", r.id), t.failed),
                id = escape(&r.id),
            );
        }
        h.push_str("</table>");
        for r in runs.iter().take(10).filter(|r| !r.failures.is_empty()) {
            let _ = write!(
                h,
                "<h3>Failures in {}</h3><ul class=\"failures\">",
                escape(&r.id)
            );
            for f in r.failures.iter().take(50) {
                let _ = write!(
                    h,
                    "<li>{} {}: {}</li>",
                    escape(&f.object),
                    escape(&f.external_id),
                    escape(&f.error)
                );
            }
            h.push_str("</ul>");
        }
    }
    h.push_str("</section>");
    if let Some((run, summary)) = runs.iter().find_map(|r| r.summary.as_ref().map(|s| (r, s))) {
        let _ = write!(
            h,
            "<section id=\"plan\"><h2>The last import's plan</h2><p class=\"muted\">Run {}</p><table>",
            escape(&run.id)
        );
        for (label, value) in summary.checklist() {
            let _ = write!(
                h,
                "<tr><th>{}</th><td>{}</td></tr>",
                escape(label),
                escape(&value)
            );
        }
        h.push_str("</table></section>");
    }
}

//! hledger journal: one transaction per entry with the entry id as its code,
//! and balance assertions at the period's edges (or, without them, after the
//! last entry).

use std::fmt::Write;

use super::{RenderOptions, closing_balances, fmt_amount};
use crate::ledger::JournalEntry;

/// Text safe in a description, code or comment.
fn plain(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\n' | '\r' | '\t' | ';' | '(' | ')' => ' ',
            c => c,
        })
        .collect()
}

/// The entries as an hledger journal.
pub fn hledger(entries: &[JournalEntry], opts: &RenderOptions) -> String {
    let mut out = String::with_capacity(entries.len() * 400 + 256);
    out.push_str(
        "; Written by tieout. Transaction codes are tieout entry ids.\ndecimal-mark .\n\n",
    );
    if let Some(edges) = opts.edges.as_ref().filter(|e| !e.rows().is_empty()) {
        // Dated the day before the period: checked after everything booked
        // before it, whatever file it came in, and before the period.
        let day = edges.start.pred_opt().unwrap_or(edges.start);
        let _ = writeln!(out, "{day} opening balance assertion");
        for (a, c, v, _) in edges.rows() {
            let _ = writeln!(out, "    {a}  0 {c} = {} {c}", fmt_amount(v, c));
        }
        out.push('\n');
    }
    for e in entries {
        let _ = writeln!(
            out,
            "{} * ({}) {}  ; tieout_id:{}, layer:{}",
            e.date,
            plain(&e.id),
            plain(&e.narration),
            plain(&e.id).replace(',', " "),
            e.layer.as_str()
        );
        for p in &e.postings {
            let _ = write!(
                out,
                "    {}  {} {}",
                p.account,
                fmt_amount(p.amount, p.currency),
                p.currency
            );
            let mut tags = Vec::new();
            if let Some(c) = &p.customer_id {
                tags.push(format!("customer:{}", plain(c).replace(',', " ")));
            }
            if let Some(m) = &p.memo {
                tags.push(format!("memo:{}", plain(m).replace(',', " ")));
            }
            if !tags.is_empty() {
                let _ = write!(out, "  ; {}", tags.join(", "));
            }
            out.push('\n');
        }
        out.push('\n');
    }
    if let Some(edges) = &opts.edges {
        if edges.rows().is_empty() {
            return out;
        }
        // The period's last day, after its entries.
        let day = edges.end.pred_opt().unwrap_or(edges.end);
        let _ = writeln!(out, "{day} closing balance assertion");
        for (a, c, _, v) in edges.rows() {
            let _ = writeln!(out, "    {a}  0 {c} = {} {c}", fmt_amount(v, c));
        }
        out.push('\n');
        return out;
    }
    let (bal, last) = closing_balances(entries, opts);
    if let Some(day) = last {
        for ((a, c), v) in &bal {
            let _ = writeln!(
                out,
                "{day} balance assertion\n    {a}  0 {c} = {} {c}\n",
                fmt_amount(*v, *c)
            );
        }
    }
    out
}

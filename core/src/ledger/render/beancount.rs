//! Beancount: `open` directives, one transaction per entry with `^links` and
//! `tieout_id` metadata, and `balance` assertions at the period's edges (or,
//! without them, after the last entry).

use std::collections::BTreeMap;
use std::fmt::Write;

use chrono::{Days, NaiveDate};

use super::{RenderOptions, closing_balances, fmt_amount, push_amount, push_date, push_quoted};
use crate::ledger::JournalEntry;

/// Appends a Beancount link: the id with characters Beancount does not
/// allow in a link replaced by `-`.
fn push_link(out: &mut String, id: &str) {
    let ok = |c: char| c.is_ascii_alphanumeric() || "-_/.".contains(c);
    if id.chars().all(ok) {
        out.push_str(id);
        return;
    }
    out.extend(id.chars().map(|c| if ok(c) { c } else { '-' }));
}

/// The entries as a Beancount file.
pub fn beancount(entries: &[JournalEntry], opts: &RenderOptions) -> String {
    let mut out = String::with_capacity(entries.len() * 400 + 1024);
    let mut opened: BTreeMap<&str, NaiveDate> = BTreeMap::new();
    for e in entries {
        for p in &e.postings {
            let d = opened.entry(p.account.as_str()).or_insert(e.date);
            *d = (*d).min(e.date);
        }
    }
    for a in &opts.assert_accounts {
        let d = opened
            .entry(a.as_str())
            .or_insert(entries.first().map_or(NaiveDate::MIN, |e| e.date));
        if let Some(edges) = &opts.edges {
            *d = (*d).min(edges.start);
        }
    }
    out.push_str("; Written by tieout. Entry ids are in tieout_id metadata.\n\n");
    for (a, d) in &opened {
        let _ = writeln!(out, "{d} open {a}");
    }
    out.push('\n');
    if let Some(edges) = &opts.edges {
        // Checked at the beginning of the period's first day.
        for (a, c, v, _) in edges.rows() {
            let _ = writeln!(out, "{} balance {a}  {} {c}", edges.start, fmt_amount(v, c));
        }
        out.push('\n');
    }
    for e in entries {
        push_date(&mut out, e.date);
        out.push_str(" * \"Stripe\" \"");
        push_quoted(&mut out, &e.narration);
        out.push('"');
        for l in &e.links {
            out.push_str(" ^");
            push_link(&mut out, l);
        }
        out.push_str("\n  tieout_id: \"");
        push_quoted(&mut out, &e.id);
        out.push_str("\"\n  tieout_layer: \"");
        out.push_str(e.layer.as_str());
        out.push_str("\"\n");
        if let Some(a) = &e.adjusts {
            out.push_str("  tieout_adjusts: \"");
            push_quoted(&mut out, a);
            out.push_str("\"\n");
        }
        for p in &e.postings {
            out.push_str("  ");
            out.push_str(&p.account);
            out.push_str("  ");
            push_amount(&mut out, p.amount, p.currency);
            out.push(' ');
            out.push_str(p.currency.code());
            out.push('\n');
            if let Some(c) = &p.customer_id {
                out.push_str("    customer: \"");
                push_quoted(&mut out, c);
                out.push_str("\"\n");
            }
            if let Some(m) = &p.memo {
                out.push_str("    memo: \"");
                push_quoted(&mut out, m);
                out.push_str("\"\n");
            }
        }
        out.push('\n');
    }
    if let Some(edges) = &opts.edges {
        for (a, c, _, v) in edges.rows() {
            let _ = writeln!(out, "{} balance {a}  {} {c}", edges.end, fmt_amount(v, c));
        }
        return out;
    }
    let (bal, last) = closing_balances(entries, opts);
    if let Some(day) = last.and_then(|d| d.checked_add_days(Days::new(1))) {
        for ((a, c), v) in &bal {
            let _ = writeln!(out, "{day} balance {a}  {} {c}", fmt_amount(*v, *c));
        }
    }
    out
}

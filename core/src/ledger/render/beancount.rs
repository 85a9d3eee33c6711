//! Beancount: `open` directives, one transaction per entry with `^links` and
//! `tieout_id` metadata, and `balance` assertions after the last entry.

use std::collections::BTreeMap;
use std::fmt::Write;

use chrono::{Days, NaiveDate};

use super::{RenderOptions, closing_balances, fmt_amount, quoted};
use crate::ledger::JournalEntry;

/// A Beancount link: `^` and the id with characters Beancount does not allow replaced.
fn link(id: &str) -> String {
    id.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_/.".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect()
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
        opened
            .entry(a.as_str())
            .or_insert(entries.first().map_or(NaiveDate::MIN, |e| e.date));
    }
    out.push_str("; Written by tieout. Entry ids are in tieout_id metadata.\n\n");
    for (a, d) in &opened {
        let _ = writeln!(out, "{d} open {a}");
    }
    out.push('\n');
    for e in entries {
        let _ = write!(out, "{} * \"Stripe\" \"{}\"", e.date, quoted(&e.narration));
        for l in &e.links {
            let _ = write!(out, " ^{}", link(l));
        }
        let _ = writeln!(out, "\n  tieout_id: \"{}\"", quoted(&e.id));
        let _ = writeln!(out, "  tieout_layer: \"{}\"", e.layer.as_str());
        if let Some(a) = &e.adjusts {
            let _ = writeln!(out, "  tieout_adjusts: \"{}\"", quoted(a));
        }
        for p in &e.postings {
            let _ = writeln!(
                out,
                "  {}  {} {}",
                p.account,
                fmt_amount(p.amount, p.currency),
                p.currency
            );
            if let Some(c) = &p.customer_id {
                let _ = writeln!(out, "    customer: \"{}\"", quoted(c));
            }
            if let Some(m) = &p.memo {
                let _ = writeln!(out, "    memo: \"{}\"", quoted(m));
            }
        }
        out.push('\n');
    }
    let (bal, last) = closing_balances(entries, opts);
    if let Some(day) = last.and_then(|d| d.checked_add_days(Days::new(1))) {
        for ((a, c), v) in &bal {
            let _ = writeln!(out, "{day} balance {a}  {} {c}", fmt_amount(*v, *c));
        }
    }
    out
}

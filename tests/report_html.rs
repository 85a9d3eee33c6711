//! The HTML report is one self-contained page whose figures are the JSON report's.

mod common;

use std::collections::BTreeMap;

use chrono::NaiveDate;
use common::run;
use rust_decimal::Decimal;
use tieout::*;

fn figures(html: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for part in html.split("data-figure=\"").skip(1) {
        let (key, rest) = part.split_once("\">").expect("figure key");
        let (value, _) = rest.split_once('<').expect("figure value");
        out.insert(key.to_string(), value.to_string());
    }
    out
}

fn dec(s: &str) -> Decimal {
    s.parse().unwrap_or_else(|_| panic!("not a decimal: {s:?}"))
}

#[test]
fn html_report_figures_equal_the_json_report() {
    let books = Books::in_memory();
    let src = StripeFiles::new(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/data")).unwrap();
    run(books.import(&src, &ImportPlan::default(), None)).unwrap();
    let policy = ReconcilePolicy::default();
    let as_of = NaiveDate::from_ymd_opt(2025, 6, 30).unwrap();
    let html = books.report_html(&policy, as_of).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(
        !html.contains("<script") && !html.contains("<link"),
        "self-contained"
    );
    let figs = figures(&html);
    let start = as_of.and_hms_opt(0, 0, 0).unwrap().and_utc();
    let aging = books.aging(start).unwrap();
    let end = start + chrono::Duration::days(1);
    let mut balances = 0;
    let json = serde_json::to_value(books.report(&policy).unwrap()).unwrap();
    let totals = json["totals"].as_object().unwrap();
    assert!(totals.contains_key("USD") && totals.contains_key("EUR"));
    for (cur, t) in totals {
        for (k, v) in t.as_object().unwrap() {
            if k == "adds_up" {
                continue;
            }
            let key = format!("{cur}.totals.{k}");
            let got = figs.get(&key).unwrap_or_else(|| panic!("missing {key}"));
            assert_eq!(dec(got), dec(v.as_str().unwrap()), "{key}");
        }
        // Aging buckets are the aging API's, and add up to its open total.
        let row = aging
            .totals
            .iter()
            .find(|r| r.currency.code() == cur)
            .cloned();
        let want = row.as_ref().map(html::amounts).unwrap_or_default();
        for (b, amount) in html::BUCKETS.iter().zip(want) {
            assert_eq!(dec(&figs[&format!("{cur}.aging.{b}")]), amount, "{cur} {b}");
        }
        let aged: Decimal = want.iter().sum();
        assert_eq!(
            dec(&figs[&format!("{cur}.aging.total")]),
            aged,
            "{cur} aging"
        );
        assert_eq!(aged, row.map(|r| r.total).unwrap_or_default());
        // What the aging leaves out (uncollectible) is shown; the table adds up to the report.
        let not_aged = dec(&figs[&format!("{cur}.aging.not_aged")]);
        assert_eq!(aged + not_aged, dec(t["open"].as_str().unwrap()), "{cur}");
        assert_eq!(html.matches(&format!("id=\"aging-{cur}\"")).count(), 1);
        // The balance statement summary is the balance API's.
        let currency = Currency::parse(cur).unwrap();
        let s = books.stripe_balance(currency, chrono::DateTime::UNIX_EPOCH, end);
        let s = s.unwrap();
        if s.lines.is_empty() {
            assert!(!figs.contains_key(&format!("{cur}.balance.closing")));
            continue;
        }
        balances += 1;
        let gross: Decimal = s
            .lines
            .iter()
            .filter(|l| l.part == "gross")
            .map(|l| l.amount)
            .sum();
        let fees: Decimal = s
            .lines
            .iter()
            .filter(|l| l.part == "fee")
            .map(|l| l.amount)
            .sum();
        for (k, v) in [
            ("opening", s.opening()),
            ("gross", gross),
            ("fees", fees),
            ("closing", s.closing()),
            ("closing_available", s.closing_available),
            ("closing_pending", s.closing_pending),
            ("lines", Decimal::from(s.lines.len())),
        ] {
            assert_eq!(
                dec(&figs[&format!("{cur}.balance.{k}")]),
                v,
                "{cur} balance {k}"
            );
        }
    }
    assert!(balances > 0, "the sample has balance transactions");
    // The sample's open USD invoices are all past due by June 2025.
    assert!(dec(&figs["USD.aging.current"]).is_zero());
    assert!(!dec(&figs["USD.aging.total"]).is_zero());
    // The sample's uncollectible invoice (49.00 open) is the one not aged.
    assert_eq!(dec(&figs["USD.aging.not_aged"]), dec("49.00"));
    let runs = books.history().unwrap();
    assert_eq!(
        figs[&format!("run.{}.created", runs[0].id)],
        runs[0].totals.created.to_string()
    );
    assert!(html.contains("<section id=\"plan\"><h2>The last import's plan</h2>"));
    assert!(html.contains("Paid invoices"));
}

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
        // Aging buckets add up to the open amount.
        let aged: Decimal = html::BUCKETS
            .iter()
            .map(|b| dec(&figs[&format!("{cur}.aging.{b}")]))
            .sum();
        assert_eq!(aged, dec(t["open"].as_str().unwrap()), "{cur} aging");
        assert_eq!(html.matches(&format!("id=\"aging-{cur}\"")).count(), 1);
    }
    // The sample's open USD invoices are all past due by June 2025.
    assert!(dec(&figs["USD.aging.current"]).is_zero());
    let runs = books.history().unwrap();
    assert_eq!(
        figs[&format!("run.{}.created", runs[0].id)],
        runs[0].totals.created.to_string()
    );
    assert!(html.contains("<section id=\"plan\"><h2>The last import's plan</h2>"));
    assert!(html.contains("Paid invoices"));
}

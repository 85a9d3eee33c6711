//! Receivables in the core: opening and following collection cases, aging,
//! planning follow-ups.

mod support;

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, TimeZone, Utc};
use proptest::prelude::*;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use tieout_core::Currency;
use tieout_core::collect::*;
use tieout_core::model::*;

/// Monday 2026-03-02 09:00 UTC.
fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap()
}

fn inv(
    n: u32,
    customer: &str,
    total: Decimal,
    paid: Decimal,
    due: Option<DateTime<Utc>>,
) -> Invoice {
    let mut src = SourceRef::new("stripe", "acct_1", "invoice", &format!("in_{n}"));
    src.created_at = Some(t0() - Duration::days(40));
    let mut i = support::invoice(
        src,
        customer.into(),
        format!("N-{n}"),
        Currency::EUR,
        total,
        paid,
    );
    i.id = format!("inv_{n:04}");
    i.customer_id = Some(customer.to_string());
    i.due_date = due;
    if paid > Decimal::ZERO && paid < total {
        i.status = InvoiceStatus::PartiallyPaid;
    }
    i
}

fn customer(id: &str, email: Option<&str>, address: bool) -> Customer {
    let mut c = Customer::new(id.to_string(), &format!("Name {id}"), CustomerKind::Company);
    c.email = email.map(str::to_string);
    if address {
        c.address = Some(Address {
            line1: Some("Hauptstr. 1".into()),
            postal_code: Some("10115".into()),
            city: Some("Berlin".into()),
            country: Some("DE".into()),
            ..Default::default()
        });
    }
    c
}

fn by_id(cs: &[Customer]) -> HashMap<&str, &Customer> {
    cs.iter().map(|c| (c.id.as_str(), c)).collect()
}

#[test]
fn one_case_per_invoice_refusing_incomplete_debtors_by_field() {
    let customers = vec![
        customer("cust_ok", Some("ap@ok.test"), true),
        customer("cust_noaddr", Some("ap@x.test"), false),
        customer("cust_nomail", None, false),
    ];
    let due = Some(t0() - Duration::days(10));
    let invoices = vec![
        inv(1, "cust_ok", dec!(100), dec!(0), due),
        inv(2, "cust_ok", dec!(50), dec!(20), None),
        inv(3, "cust_noaddr", dec!(70), dec!(0), due),
        inv(4, "cust_nomail", dec!(80), dec!(0), due),
        inv(5, "cust_ok", dec!(10), dec!(10), due),
    ];
    let mut invoices = invoices;
    invoices[4].status = InvoiceStatus::Paid;
    invoices[1].issued_at = Some(t0() - Duration::days(5));
    let filter = CaseFilter::default();
    let policy = CasePolicy::default();
    let first = open_cases(
        &invoices,
        &by_id(&customers),
        &HashSet::new(),
        &filter,
        &policy,
        t0(),
    );
    assert_eq!(first.opened.len(), 2, "{first:?}");
    let c2 = first
        .opened
        .iter()
        .find(|c| c.invoice_id == "inv_0002")
        .unwrap();
    assert_eq!(c2.age_basis, AgeBasis::Finalized);
    assert_eq!(c2.open_amount, dec!(30));
    assert_eq!(c2.original_amount, dec!(50));
    assert_eq!(c2.debt_age_days(t0()), 5);
    assert_eq!(first.opened[0].debt_age_days(t0()), 10);
    let refused: HashMap<&str, &Vec<DebtorField>> = first
        .refused
        .iter()
        .map(|r| (r.invoice_external_id.as_str(), &r.missing))
        .collect();
    assert_eq!(refused["in_3"], &vec![DebtorField::PostalAddress]);
    assert_eq!(
        refused["in_4"],
        &vec![DebtorField::Email, DebtorField::PostalAddress]
    );
    assert!(first.refused[0].message().contains("postal_address"));

    // Running again opens nothing new; fixing the debtor opens its case.
    let existing: HashSet<String> = first.opened.iter().map(|c| c.id.clone()).collect();
    let fixed = vec![
        customers[0].clone(),
        customer("cust_noaddr", Some("ap@x.test"), true),
        customers[2].clone(),
    ];
    let again = open_cases(&invoices, &by_id(&fixed), &existing, &filter, &policy, t0());
    assert_eq!(again.existing.len(), 2);
    assert_eq!(again.opened.len(), 1);
    assert_eq!(again.opened[0].invoice_external_id, "in_3");
    // The same Stripe invoice under another books id keeps its case id.
    let mut reimported = invoices[0].clone();
    reimported.id = "inv_other".into();
    assert_eq!(case_id(&reimported), case_id(&invoices[0]));
}

#[test]
fn filter_narrows_by_customer_currency_age_and_amount() {
    let customers = vec![
        customer("cust_a", Some("a@x"), true),
        customer("cust_b", Some("b@x"), true),
    ];
    let invoices = vec![
        inv(
            1,
            "cust_a",
            dec!(100),
            dec!(0),
            Some(t0() - Duration::days(45)),
        ),
        inv(
            2,
            "cust_a",
            dec!(5),
            dec!(0),
            Some(t0() - Duration::days(45)),
        ),
        inv(
            3,
            "cust_b",
            dec!(100),
            dec!(0),
            Some(t0() - Duration::days(45)),
        ),
        inv(
            4,
            "cust_a",
            dec!(100),
            dec!(0),
            Some(t0() - Duration::days(3)),
        ),
    ];
    let filter = CaseFilter {
        customer_id: Some("cust_a".into()),
        currency: Some(Currency::EUR),
        min_days_overdue: Some(30),
        min_open_amount: Some(dec!(10)),
        created_from: Some(t0() - Duration::days(60)),
        created_to: Some(t0()),
    };
    let o = open_cases(
        &invoices,
        &by_id(&customers),
        &HashSet::new(),
        &filter,
        &CasePolicy::default(),
        t0(),
    );
    let ids: Vec<&str> = o
        .opened
        .iter()
        .map(|c| c.invoice_external_id.as_str())
        .collect();
    assert_eq!(ids, vec!["in_1"]);
    let usd = CaseFilter {
        currency: Some(Currency::USD),
        ..Default::default()
    };
    assert!(
        open_cases(
            &invoices,
            &by_id(&customers),
            &HashSet::new(),
            &usd,
            &CasePolicy::default(),
            t0()
        )
        .opened
        .is_empty()
    );
}

#[test]
fn cases_follow_partial_payment_payment_and_void() {
    let customers = vec![customer("cust_a", Some("a@x"), true)];
    let mut invoices = vec![
        inv(1, "cust_a", dec!(100), dec!(0), Some(t0())),
        inv(2, "cust_a", dec!(100), dec!(0), Some(t0())),
    ];
    let o = open_cases(
        &invoices,
        &by_id(&customers),
        &HashSet::new(),
        &CaseFilter::default(),
        &CasePolicy::default(),
        t0(),
    );
    let (c1, c2) = (o.opened[0].clone(), o.opened[1].clone());
    assert!(
        follow_books(&c1, Some(&invoices[0]), t0()).is_none(),
        "nothing changed"
    );
    invoices[0].amount_paid = dec!(40);
    invoices[0].amount_remaining = dec!(60);
    invoices[0].status = InvoiceStatus::PartiallyPaid;
    let c1 = follow_books(&c1, Some(&invoices[0]), t0()).unwrap();
    assert_eq!((c1.status, c1.open_amount), (CaseStatus::Open, dec!(60)));
    invoices[0].amount_paid = dec!(100);
    invoices[0].amount_remaining = dec!(0);
    invoices[0].status = InvoiceStatus::Paid;
    let c1 = follow_books(&c1, Some(&invoices[0]), t0()).unwrap();
    assert_eq!(c1.status, CaseStatus::Paid);
    assert_eq!(c1.history.len(), 3);
    assert!(
        follow_books(&c1, Some(&invoices[0]), t0()).is_none(),
        "closed stays closed"
    );
    invoices[1].status = InvoiceStatus::Void;
    let c2 = follow_books(&c2, Some(&invoices[1]), t0()).unwrap();
    assert_eq!(
        (c2.status, c2.close_reason.as_deref()),
        (CaseStatus::Closed, Some("void"))
    );
    let csv = cases_csv(&[c1, c2.clone()], t0());
    assert_eq!(csv.lines().count(), 3);
    assert!(
        csv.lines().nth(2).unwrap().ends_with(",closed,void"),
        "{csv}"
    );
    let json = cases_json(&[c2], t0());
    assert_eq!(json[0]["status"], "closed");
    assert_eq!(json[0]["open_amount"], "0");
}

#[test]
fn aging_buckets_by_days_past_due() {
    let names = HashMap::from([("cust_a", "A"), ("cust_b", "B")]);
    let d = |n: i64| Some(t0() - Duration::days(n));
    let mut invoices = vec![
        inv(1, "cust_a", dec!(1), dec!(0), d(-5)),
        inv(2, "cust_a", dec!(2), dec!(0), d(0)),
        inv(3, "cust_a", dec!(4), dec!(0), d(1)),
        inv(4, "cust_a", dec!(8), dec!(0), d(30)),
        inv(5, "cust_a", dec!(16), dec!(0), d(31)),
        inv(6, "cust_a", dec!(32), dec!(0), d(61)),
        inv(7, "cust_a", dec!(64), dec!(0), d(91)),
        inv(8, "cust_b", dec!(128.50), dec!(0.25), d(60)),
        inv(9, "cust_b", dec!(1000), dec!(1000), d(60)),
    ];
    invoices[8].status = InvoiceStatus::Paid;
    invoices[7].status = InvoiceStatus::PartiallyPaid;
    let r = aging(&invoices, &names, t0());
    assert_eq!(r.rows.len(), 2);
    let a = &r.rows[0];
    assert_eq!(
        (
            a.current,
            a.days_1_30,
            a.days_31_60,
            a.days_61_90,
            a.days_over_90,
            a.total
        ),
        (dec!(3), dec!(12), dec!(16), dec!(32), dec!(64), dec!(127))
    );
    assert_eq!(a.customer_name.as_deref(), Some("A"));
    assert_eq!(r.rows[1].days_31_60, dec!(128.25));
    assert_eq!(r.totals[0].total, dec!(255.25));
    assert_eq!(r.open_total, vec![(Currency::EUR, dec!(255.25))]);
    let csv = r.to_csv();
    // Sums are kept in minor units: every amount reads at the currency's scale.
    assert!(
        csv.contains("TOTAL,,EUR,3.00,12.00,144.25,32.00,64.00,255.25"),
        "{csv}"
    );
    assert_eq!(r.to_json()["totals"][0]["total"], "255.25");
}

proptest! {
    #[test]
    fn aging_totals_equal_the_open_total(
        rows in proptest::collection::vec((0u32..4, 1i64..100_000, 0i64..100, -20i64..200), 0..60)
    ) {
        let invoices: Vec<Invoice> = rows.iter().enumerate().map(|(n, &(c, cents, paid_pct, days))| {
            let total = Decimal::new(cents, 2);
            let paid = (total * Decimal::from(paid_pct) / Decimal::from(100)).round_dp(2);
            inv(n as u32, &format!("cust_{c}"), total, paid, Some(t0() - Duration::days(days)))
        }).collect();
        let r = aging(&invoices, &HashMap::new(), t0());
        let open: Decimal = invoices.iter().filter(|i| is_collectible(i)).map(|i| i.amount_remaining).sum();
        let totals: Decimal = r.totals.iter().map(|t| t.total).sum();
        let rows: Decimal = r.rows.iter().map(|t| t.current + t.days_1_30 + t.days_31_60 + t.days_61_90 + t.days_over_90).sum();
        prop_assert_eq!(totals, open);
        prop_assert_eq!(rows, open);
        prop_assert_eq!(r.open_total.iter().map(|(_, d)| *d).sum::<Decimal>(), open);
    }
}

fn step(name: &str, days: i64) -> FollowUpStep {
    FollowUpStep {
        name: name.into(),
        days,
        channel: "email".into(),
        template: MessageTemplate {
            subject: "s".into(),
            text: "t".into(),
            html: None,
        },
        min_open_amount: None,
        skip_if_average_days_late_at_least: None,
    }
}

fn policy() -> FollowUpPolicy {
    FollowUpPolicy::new(
        "v1",
        vec![
            step("late7", 7),
            step("before", -3),
            step("due", 0),
            step("late21", 21),
        ],
    )
    .unwrap()
}

#[test]
fn missed_runs_catch_up_with_only_the_latest_due_step() {
    let cs = vec![customer("cust_a", Some("a@x"), true)];
    let p = policy();
    assert_eq!(p.steps[0].name, "before", "steps sorted by days");
    let invoices = vec![inv(1, "cust_a", dec!(100), dec!(0), Some(t0()))];
    let plan = |now| plan_follow_ups(&invoices, &by_id(&cs), &HashMap::new(), &p, now);
    assert!(
        plan(t0() - Duration::days(4)).is_empty(),
        "nothing before the first step"
    );
    // Friday 2026-02-27 is 3 days before the due date.
    let p1 = plan(t0() - Duration::days(3));
    assert_eq!(p1[0].step, "before");
    assert_eq!(p1[0].planned_at, t0() - Duration::days(3));
    // Down for 9 days after the due date: only `late7` (not `due`) goes.
    let p2 = plan(t0() + Duration::days(9));
    assert_eq!(p2.len(), 1);
    assert_eq!(p2[0].step, "late7");
    assert_eq!(p2[0].planned_at, t0() + Duration::days(7));
    assert_eq!(
        p2[0].key,
        tieout_core::writes::write_key("followup/in_1/late7/v1")
    );
    // Paid: nothing.
    let mut paid = invoices.clone();
    paid[0].status = InvoiceStatus::Paid;
    paid[0].amount_remaining = dec!(0);
    assert!(
        plan_follow_ups(
            &paid,
            &by_id(&cs),
            &HashMap::new(),
            &p,
            t0() + Duration::days(9)
        )
        .is_empty()
    );
}

#[test]
fn quiet_days_pause_and_amount_and_tone_rules() {
    let cs = vec![customer("cust_a", Some("a@x"), true)];
    let mut p = policy();
    let invoices = vec![inv(1, "cust_a", dec!(100), dec!(0), Some(t0()))];
    // Saturday: nothing is sent; a step due Saturday goes Monday.
    let saturday = t0() + Duration::days(5);
    assert!(plan_follow_ups(&invoices, &by_id(&cs), &HashMap::new(), &p, saturday).is_empty());
    let mut sat_due = invoices.clone();
    sat_due[0].due_date = Some(saturday);
    let monday = saturday + Duration::days(2);
    let got = plan_follow_ups(&sat_due, &by_id(&cs), &HashMap::new(), &p, monday);
    assert_eq!((got[0].step.as_str(), got[0].planned_at), ("due", monday));
    // Pause and opt-out.
    p.paused.insert("cust_a".into());
    assert!(plan_follow_ups(&invoices, &by_id(&cs), &HashMap::new(), &p, t0()).is_empty());
    p.paused.clear();
    p.opted_out.insert("cust_a".into());
    assert!(plan_follow_ups(&invoices, &by_id(&cs), &HashMap::new(), &p, t0()).is_empty());
    // Another customer's opt-out does not stop this one's.
    p.opted_out = ["cust_b".to_string()].into_iter().collect();
    assert_eq!(
        plan_follow_ups(&invoices, &by_id(&cs), &HashMap::new(), &p, t0())[0].step,
        "due"
    );
    p.opted_out.clear();
    // Minimum open amount: `due` needs 500, so `before` is the latest that fits.
    p.steps[1].min_open_amount = Some(dec!(500));
    let got = plan_follow_ups(&invoices, &by_id(&cs), &HashMap::new(), &p, t0());
    assert_eq!(got[0].step, "before");
    p.steps[1].min_open_amount = None;
    // Tone: a customer usually 30 days late skips the friendly `due` step.
    p.steps[1].skip_if_average_days_late_at_least = Some(30);
    let late = HashMap::from([(
        "cust_a".to_string(),
        CustomerHistory {
            average_days_late: Some(31),
            ..Default::default()
        },
    )]);
    let got = plan_follow_ups(&invoices, &by_id(&cs), &late, &p, t0());
    assert_eq!(got[0].step, "before");
    let punctual = HashMap::from([(
        "cust_a".to_string(),
        CustomerHistory {
            average_days_late: Some(2),
            ..Default::default()
        },
    )]);
    assert_eq!(
        plan_follow_ups(&invoices, &by_id(&cs), &punctual, &p, t0())[0].step,
        "due"
    );
}

#[test]
fn history_counts_late_payments() {
    let mut a = inv(1, "cust_a", dec!(10), dec!(10), Some(t0()));
    a.status = InvoiceStatus::Paid;
    a.paid_at = Some(t0() + Duration::days(20));
    let mut b = inv(2, "cust_a", dec!(10), dec!(10), Some(t0()));
    b.status = InvoiceStatus::Paid;
    b.paid_at = Some(t0() - Duration::days(2));
    let c = inv(3, "cust_a", dec!(7), dec!(2), Some(t0()));
    let h = histories(&[a, b, c], [], &HashMap::from([("cust_a".to_string(), 3)]));
    let h = &h["cust_a"];
    assert_eq!(
        (h.invoices_paid, h.invoices_paid_late, h.average_days_late),
        (2, 1, Some(10))
    );
    assert_eq!(h.open_total[&Currency::EUR], dec!(5));
    assert_eq!(h.reminders_sent, 3);
}

fn paid_at(n: u32, customer: Option<&str>, at: Option<DateTime<Utc>>) -> Payment {
    let src = SourceRef::new("stripe", "acct_1", "charge", &format!("ch_{n}"));
    support::payment(src, customer, Currency::EUR, dec!(10), at)
}

#[test]
fn history_last_payment_at_is_the_latest_payment_and_none_without_one() {
    let day = |d: i64| t0() - Duration::days(d);
    let invoices = [
        inv(1, "cust_a", dec!(10), dec!(0), Some(t0())),
        inv(2, "cust_b", dec!(10), dec!(0), Some(t0())),
        inv(3, "cust_c", dec!(10), dec!(0), Some(t0())),
    ];
    let payments = [
        // The latest is neither the first nor the last one seen.
        paid_at(1, Some("cust_a"), Some(day(30))),
        paid_at(2, Some("cust_a"), Some(day(3))),
        paid_at(3, Some("cust_a"), Some(day(12))),
        paid_at(4, Some("cust_a"), None),
        // Later than any, but no customer: nobody's history.
        paid_at(5, None, Some(day(1))),
        // A payment with no received time says nothing about when.
        paid_at(6, Some("cust_b"), None),
        // A customer with a payment and no invoices still has a history.
        paid_at(7, Some("cust_d"), Some(day(50))),
    ];
    let h = histories(&invoices, &payments, &HashMap::new());
    assert_eq!(h["cust_a"].last_payment_at, Some(day(3)));
    assert_eq!(h["cust_b"].last_payment_at, None);
    assert_eq!(h["cust_c"].last_payment_at, None, "no payments: none");
    assert_eq!(h["cust_d"].last_payment_at, Some(day(50)));
    // Order does not matter.
    let mut reversed = payments.clone();
    reversed.reverse();
    let again = histories(&invoices, &reversed, &HashMap::new());
    assert_eq!(again["cust_a"].last_payment_at, Some(day(3)));
}

/// One aging row: customer, currency, the five buckets.
type RefRow = (Option<String>, Currency, [Decimal; 5]);

/// The days-past-due bucket, as chrono and `Decimal` count them (the
/// reference the integer aging must agree with).
fn reference_aging(invoices: &[Invoice], as_of: DateTime<Utc>) -> Vec<RefRow> {
    let mut rows: std::collections::BTreeMap<(Option<String>, &str), RefRow> = Default::default();
    for i in invoices.iter().filter(|i| is_collectible(i)) {
        let days = age_from(i).map_or(0, |(from, _)| (as_of - from).num_days());
        let b = match days {
            i64::MIN..=0 => 0,
            1..=30 => 1,
            31..=60 => 2,
            61..=90 => 3,
            _ => 4,
        };
        let row = rows
            .entry((i.customer_id.clone(), i.currency.code()))
            .or_insert((i.customer_id.clone(), i.currency, [Decimal::ZERO; 5]));
        row.2[b] += i.amount_remaining;
    }
    rows.into_values().collect()
}

proptest! {
    /// Integer minor units and Unix-second day counts agree with `Decimal`
    /// sums and chrono's whole days: any currency exponent, amounts with
    /// fewer or more decimals than it, due dates with sub-second parts.
    #[test]
    fn integer_aging_matches_decimal_and_chrono(
        rows in proptest::collection::vec(
            (0u32..3, 0usize..3, 1i64..10_000_000, 0u32..5, -200_000_000i64..200_000_000, 0u32..1_000_000_000),
            0..60),
        as_of_ns in 0u32..1_000_000_000,
    ) {
        let currencies = [Currency::EUR, Currency::JPY, Currency::parse("KWD").unwrap()];
        let as_of = t0() + Duration::nanoseconds(i64::from(as_of_ns));
        let invoices: Vec<Invoice> = rows.iter().enumerate().map(|(n, &(c, cur, mantissa, scale, secs, ns))| {
            let amount = Decimal::new(mantissa, scale);
            let mut i = inv(n as u32, &format!("cust_{c}"), amount, Decimal::ZERO,
                Some(t0() + Duration::seconds(secs) + Duration::nanoseconds(i64::from(ns))));
            i.currency = currencies[cur];
            i
        }).collect();
        let r = aging(&invoices, &HashMap::new(), as_of);
        let want = reference_aging(&invoices, as_of);
        let got: Vec<RefRow> = r.rows.iter().map(|row| (
            row.customer_id.clone(), row.currency,
            [row.current, row.days_1_30, row.days_31_60, row.days_61_90, row.days_over_90],
        )).collect();
        prop_assert_eq!(got.len(), want.len());
        for (g, w) in got.iter().zip(&want) {
            prop_assert_eq!(&g.0, &w.0);
            prop_assert_eq!(g.1, w.1);
            for b in 0..5 {
                prop_assert_eq!(g.2[b], w.2[b], "bucket {} of {:?}", b, g.0);
            }
        }
        for row in &r.rows {
            let sum = row.current + row.days_1_30 + row.days_31_60 + row.days_61_90 + row.days_over_90;
            prop_assert_eq!(row.total, sum);
        }
        for (cur, open) in &r.open_total {
            let want: Decimal = invoices.iter().filter(|i| is_collectible(i) && i.currency == *cur)
                .map(|i| i.amount_remaining).sum();
            prop_assert_eq!(*open, want);
        }
    }

    /// The borrowed planner picks the step and date chrono's calendar gives:
    /// random quiet days, step days, due dates with sub-second parts, `now`s.
    #[test]
    fn due_follow_ups_match_a_chrono_reference(
        quiet_mask in 0u8..127,
        days in proptest::collection::btree_set(-10i64..60, 1..5),
        dues in proptest::collection::vec((-100_000_000i64..100_000_000, 0u32..1_000_000_000), 1..40),
        now_secs in -5_000_000i64..5_000_000,
        now_ns in 0u32..1_000_000_000,
    ) {
        use chrono::{Datelike, Weekday};
        let all = [Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Fri, Weekday::Sat, Weekday::Sun];
        let mut p = FollowUpPolicy::new(
            "v1",
            days.iter().map(|d| step(&format!("s{d}"), *d)).collect(),
        ).unwrap();
        p.quiet_days = all.iter().enumerate().filter(|(i, _)| quiet_mask & (1 << i) != 0).map(|(_, d)| *d).collect();
        let now = t0() + Duration::seconds(now_secs) + Duration::nanoseconds(i64::from(now_ns));
        let invoices: Vec<Invoice> = dues.iter().enumerate().map(|(n, &(s, ns))| {
            inv(n as u32, "cust_a", dec!(10), dec!(0),
                Some(t0() + Duration::seconds(s) + Duration::nanoseconds(i64::from(ns))))
        }).collect();
        let got: Vec<(String, String, DateTime<Utc>)> = due_follow_ups(&invoices, &HashMap::new(), &p, now)
            .iter().map(|d| (d.invoice.id.clone(), d.step.name.clone(), d.planned_at)).collect();
        let mut want = Vec::new();
        if !p.quiet_days.contains(&now.weekday()) {
            for i in &invoices {
                let due = i.due_date.unwrap();
                let hit = p.steps.iter().rev().map(|s| (s, step_date(&p, s, due))).find(|(_, at)| *at <= now);
                if let Some((s, at)) = hit {
                    want.push((i.id.clone(), s.name.clone(), at));
                }
            }
        }
        prop_assert_eq!(got, want);
    }
}

//! Payouts: tie each payout to its balance transactions (sum of net = payout
//! amount) and match payouts to bank deposits one-to-one.

use std::collections::{BTreeSet, HashMap};

use chrono::{Datelike, NaiveDate, Weekday};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::ReconcilePolicy;
use crate::entity::{Entity, EntityKind};
use crate::error::Result;
use crate::import::{Workspace, keys};
use crate::model::*;
use crate::money::Currency;

/// A payout against the balance transactions it settled.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PayoutCheck {
    /// Books id of the payout.
    pub payout_id: Id,
    /// Source id (`po_...`).
    pub external_id: String,
    /// Payout amount.
    pub amount: Decimal,
    /// Currency.
    pub currency: Currency,
    /// Source ids of the balance transactions found.
    pub balance_transactions: Vec<String>,
    /// Balance transaction ids the payout names that are not in the books.
    pub missing: Vec<String>,
    /// Sum of their net amounts.
    pub net_total: Decimal,
    /// `amount - net_total`; zero when the payout ties out.
    pub difference: Decimal,
}

/// A payout matched to a bank deposit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PayoutDeposit {
    /// Books id of the payout.
    pub payout_id: Id,
    /// Source id of the payout.
    pub payout_external_id: String,
    /// Books id of the bank line.
    pub bank_line_id: Id,
    /// Amount.
    pub amount: Decimal,
    /// Currency.
    pub currency: Currency,
    /// Expected arrival date.
    pub arrival_date: Option<NaiveDate>,
    /// Bank booking date.
    pub bank_date: NaiveDate,
    /// Why they match.
    pub reason: String,
}

/// A payout with no bank deposit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UnmatchedPayout {
    /// Books id.
    pub payout_id: Id,
    /// Source id.
    pub external_id: String,
    /// Amount.
    pub amount: Decimal,
    /// Currency.
    pub currency: Currency,
    /// Expected arrival date.
    pub arrival_date: Option<NaiveDate>,
    /// Status.
    pub status: String,
    /// Why it is unmatched.
    pub reason: String,
}

/// A bank deposit no payout claimed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UnmatchedDeposit {
    /// Books id of the bank line.
    pub bank_line_id: Id,
    /// Booking date.
    pub date: NaiveDate,
    /// Amount.
    pub amount: Decimal,
    /// Currency.
    pub currency: Currency,
    /// Description.
    pub description: Option<String>,
    /// Reference.
    pub reference: Option<String>,
}

/// Payouts against deposits and balance transactions.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PayoutMatchReport {
    /// Matched pairs (kept and new).
    pub pairs: Vec<PayoutDeposit>,
    /// Pairs made by this call.
    pub new_pairs: usize,
    /// Payouts without a deposit.
    pub unmatched_payouts: Vec<UnmatchedPayout>,
    /// Deposits (positive bank lines) without a payout.
    pub unmatched_deposits: Vec<UnmatchedDeposit>,
    /// Every payout against its balance transactions.
    pub checks: Vec<PayoutCheck>,
}

/// Business days from `a` to `b` (either order): weekdays in `(min, max]`.
pub fn business_days_between(a: NaiveDate, b: NaiveDate) -> u32 {
    let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
    let days = (hi - lo).num_days();
    let weeks = days / 7;
    let mut n = (weeks * 5) as u32;
    let mut d = lo + chrono::Duration::days(weeks * 7);
    while d < hi {
        d = d.succ_opt().unwrap_or(hi);
        if !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
            n += 1;
        }
    }
    n
}

/// Whether a payout can still reach the bank.
fn payout_live(p: &Payout) -> bool {
    !matches!(p.status.as_str(), "failed" | "canceled")
}

/// Whether a bank line names the payout (its id or statement descriptor).
pub fn names_payout(line: &BankLine, p: &Payout) -> bool {
    let hay = format!(
        "{} {}",
        line.description.as_deref().unwrap_or(""),
        line.reference.as_deref().unwrap_or("")
    )
    .to_lowercase();
    let id = p.source.external_id.to_lowercase();
    (!id.is_empty() && hay.contains(&id))
        || p.statement_descriptor
            .as_deref()
            .map(|s| s.trim().to_lowercase())
            .is_some_and(|s| !s.is_empty() && hay.contains(&s))
}

/// Decides new payout/deposit pairs (indexes into the slices), one-to-one:
/// same currency, exact amount, bank date within `policy.deposit_window_days`
/// business days of the arrival date. Deposits naming the payout win, then
/// the closest date, then the bank line id, then the payout id. Payouts and
/// lines already paired (consistently) are left out.
pub fn plan_deposits(
    payouts: &[Payout],
    lines: &[BankLine],
    policy: &ReconcilePolicy,
) -> Vec<(usize, usize, String)> {
    let line_by_id: HashMap<&str, &BankLine> = lines.iter().map(|l| (l.id.as_str(), l)).collect();
    let paired = |p: &Payout| {
        p.deposit_id
            .as_deref()
            .and_then(|d| line_by_id.get(d))
            .is_some_and(|l| l.payout_id.as_ref() == Some(&p.id))
    };
    let taken_lines: BTreeSet<&Id> = payouts
        .iter()
        .filter(|p| paired(p))
        .filter_map(|p| p.deposit_id.as_ref())
        .collect();
    let mut by_amount: HashMap<(Currency, Decimal), Vec<usize>> = HashMap::new();
    for (i, l) in lines.iter().enumerate() {
        if l.amount > Decimal::ZERO && !taken_lines.contains(&l.id) {
            by_amount.entry((l.currency, l.amount)).or_default().push(i);
        }
    }
    let mut cands: Vec<(bool, u32, i64, &str, &str, usize, usize)> = Vec::new();
    for (pi, p) in payouts.iter().enumerate() {
        let Some(arrival) = p.arrival_date else {
            continue;
        };
        if !payout_live(p) || paired(p) {
            continue;
        }
        for &li in by_amount
            .get(&(p.currency, p.amount))
            .map(Vec::as_slice)
            .unwrap_or(&[])
        {
            let l = &lines[li];
            let bd = business_days_between(arrival, l.date);
            if bd > policy.deposit_window_days {
                continue;
            }
            let cal = (l.date - arrival).num_days().abs();
            cands.push((!names_payout(l, p), bd, cal, &l.id, &p.id, pi, li));
        }
    }
    cands.sort();
    let mut used_p = vec![false; payouts.len()];
    let mut used_l = vec![false; lines.len()];
    let mut out = Vec::new();
    for (no_name, bd, _, _, _, pi, li) in cands {
        if used_p[pi] || used_l[li] {
            continue;
        }
        used_p[pi] = true;
        used_l[li] = true;
        let p = &payouts[pi];
        let why = format!(
            "{} {} {}, booked {bd} business day(s) from arrival",
            if no_name {
                "same amount"
            } else {
                "names the payout; same amount"
            },
            p.amount,
            p.currency,
        );
        out.push((pi, li, why));
    }
    out
}

/// Ties a payout to its balance transactions: those whose `payout_ref` names
/// it (the `bt_payout` alias) and those it lists. The payout's own balance
/// transaction (type `payout`) is left out of the sum.
pub fn check_payout(ws: &mut Workspace<'_>, p: &Payout) -> Result<PayoutCheck> {
    let mut ids: BTreeSet<Id> = ws
        .resolve_kind(
            &keys::bt_by_payout(&p.source, &p.source.external_id),
            EntityKind::BalanceTransaction,
        )?
        .into_iter()
        .collect();
    let mut missing = Vec::new();
    for t in &p.balance_transaction_ids {
        let found = ws.resolve_kind(
            &p.source.sibling("balance_transaction", t),
            EntityKind::BalanceTransaction,
        )?;
        if found.is_empty() {
            missing.push(t.clone());
        }
        ids.extend(found);
    }
    let mut net = Decimal::ZERO;
    let mut bts = Vec::new();
    for id in ids {
        if let Some(Entity::BalanceTransaction(bt)) = ws.get(EntityKind::BalanceTransaction, &id)? {
            let own = bt.kind == "payout"
                && bt.source_object.as_deref() == Some(p.source.external_id.as_str());
            if own {
                continue;
            }
            net += bt.net;
            bts.push(bt.source.external_id);
        }
    }
    bts.sort();
    Ok(PayoutCheck {
        payout_id: p.id.clone(),
        external_id: p.source.external_id.clone(),
        amount: p.amount,
        currency: p.currency,
        balance_transactions: bts,
        missing,
        net_total: net,
        difference: p.amount - net,
    })
}

/// The payouts and deposits as the books hold them: pairs, the unmatched of
/// each, and each payout's balance-transaction check. Changes nothing.
pub fn payout_state(
    ws: &mut Workspace<'_>,
    payouts: &[Payout],
    lines: &[BankLine],
    policy: &ReconcilePolicy,
) -> Result<PayoutMatchReport> {
    let by_id: HashMap<&str, &BankLine> = lines.iter().map(|l| (l.id.as_str(), l)).collect();
    let mut out = PayoutMatchReport::default();
    let mut claimed: BTreeSet<&str> = BTreeSet::new();
    for p in payouts {
        out.checks.push(check_payout(ws, p)?);
        let line = p
            .deposit_id
            .as_deref()
            .and_then(|d| by_id.get(d))
            .filter(|l| l.payout_id.as_deref() == Some(p.id.as_str()));
        if let Some(l) = line {
            claimed.insert(&l.id);
            let bd = p
                .arrival_date
                .map(|a| business_days_between(a, l.date))
                .unwrap_or(0);
            out.pairs.push(PayoutDeposit {
                payout_id: p.id.clone(),
                payout_external_id: p.source.external_id.clone(),
                bank_line_id: l.id.clone(),
                amount: p.amount,
                currency: p.currency,
                arrival_date: p.arrival_date,
                bank_date: l.date,
                reason: format!(
                    "{} {} {}, booked {bd} business day(s) from arrival",
                    if names_payout(l, p) {
                        "names the payout; same amount"
                    } else {
                        "same amount"
                    },
                    p.amount,
                    p.currency
                ),
            });
            continue;
        }
        let reason = if !payout_live(p) {
            format!("payout is {}", p.status)
        } else if p.arrival_date.is_none() {
            "payout has no arrival date".into()
        } else {
            format!(
                "no {} {} deposit within {} business days of {}",
                p.amount,
                p.currency,
                policy.deposit_window_days,
                p.arrival_date.map(|d| d.to_string()).unwrap_or_default()
            )
        };
        out.unmatched_payouts.push(UnmatchedPayout {
            payout_id: p.id.clone(),
            external_id: p.source.external_id.clone(),
            amount: p.amount,
            currency: p.currency,
            arrival_date: p.arrival_date,
            status: p.status.clone(),
            reason,
        });
    }
    for l in lines {
        if l.amount > Decimal::ZERO && !claimed.contains(l.id.as_str()) {
            out.unmatched_deposits.push(UnmatchedDeposit {
                bank_line_id: l.id.clone(),
                date: l.date,
                amount: l.amount,
                currency: l.currency,
                description: l.description.clone(),
                reference: l.reference.clone(),
            });
        }
    }
    Ok(out)
}

/// Matches payouts to deposits (see [`plan_deposits`]), planning
/// `payout.deposit_id` and `bank_line.payout_id` in the workspace; clears
/// half-made links. Returns the resulting state.
pub fn match_payouts(
    ws: &mut Workspace<'_>,
    payouts: &[Payout],
    lines: &[BankLine],
    policy: &ReconcilePolicy,
) -> Result<PayoutMatchReport> {
    let mut payouts = payouts.to_vec();
    let mut lines = lines.to_vec();
    payouts.sort_by(|a, b| a.id.cmp(&b.id));
    lines.sort_by(|a, b| a.id.cmp(&b.id));
    // Clear links that are not mutual.
    let line_ids: HashMap<Id, usize> = lines
        .iter()
        .enumerate()
        .map(|(i, l)| (l.id.clone(), i))
        .collect();
    let payout_ids: HashMap<Id, usize> = payouts
        .iter()
        .enumerate()
        .map(|(i, p)| (p.id.clone(), i))
        .collect();
    let mut dirty_p = BTreeSet::new();
    let mut dirty_l = BTreeSet::new();
    for (i, p) in payouts.iter_mut().enumerate() {
        if let Some(d) = &p.deposit_id {
            let ok = line_ids
                .get(d)
                .is_some_and(|li| lines[*li].payout_id.as_ref() == Some(&p.id));
            if !ok {
                p.deposit_id = None;
                dirty_p.insert(i);
            }
        }
    }
    for (i, l) in lines.iter_mut().enumerate() {
        if let Some(pid) = &l.payout_id {
            let ok = payout_ids
                .get(pid)
                .is_some_and(|pi| payouts[*pi].deposit_id.as_ref() == Some(&l.id));
            if !ok {
                l.payout_id = None;
                dirty_l.insert(i);
            }
        }
    }
    let pairs = plan_deposits(&payouts, &lines, policy);
    let new_pairs = pairs.len();
    for (pi, li, _) in pairs {
        payouts[pi].deposit_id = Some(lines[li].id.clone());
        lines[li].payout_id = Some(payouts[pi].id.clone());
        dirty_p.insert(pi);
        dirty_l.insert(li);
    }
    for i in dirty_p {
        ws.put(Entity::Payout(payouts[i].clone()));
    }
    for i in dirty_l {
        ws.put(Entity::BankLine(lines[i].clone()));
    }
    let mut out = payout_state(ws, &payouts, &lines, policy)?;
    out.new_pairs = new_pairs;
    Ok(out)
}

//! The planner: turns source records into planned changes in a [`Workspace`].

use std::collections::{BTreeMap, BTreeSet};

use rust_decimal::Decimal;

use super::prefetch::prefetch_keys;
use super::review::{Action, ReviewEntry, Total};
use super::upsert::{backfill, existing_or_new, reversal_links, upsert};
use super::{Workspace, customers, keys, payments};
use crate::entity::{Entity, EntityKind};
use crate::error::{CoreError, Result};
use crate::model::*;
use crate::money::Currency;
use crate::plan::{CustomerResolution, ImportPlan};
use crate::reconcile::{SettleOutcome, SettleRules, settle};
use crate::record::{ObjectScope, Record, SourceItem};

/// What planning one page produced.
#[derive(Clone, Debug, Default)]
pub struct PageOutcome {
    /// One entry per source record (plus customers created on demand).
    pub entries: Vec<ReviewEntry>,
    /// Allocation changes.
    pub settle: SettleOutcome,
    /// Counts per object type.
    pub counts: BTreeMap<String, Counts>,
    /// Amount totals per object type and currency.
    pub totals: BTreeMap<String, BTreeMap<Currency, Total>>,
    /// Failed records.
    pub failures: Vec<Failure>,
    /// Notes on records planned as they are (e.g. an invoice whose line list
    /// is partial); a review and a run show them with the source's notes.
    pub notes: Vec<String>,
    /// Whether `entries` is filled (a review shows them; an import only
    /// needs the counts, totals and failures).
    keep_entries: bool,
}

impl PageOutcome {
    fn record(
        &mut self,
        object: &str,
        external_id: &str,
        books_id: &str,
        action: Action,
        amount: Option<(Currency, Decimal)>,
    ) {
        let c = slot(&mut self.counts, object);
        match &action {
            Action::Create => c.created += 1,
            Action::Update { .. } => c.updated += 1,
            Action::Unchanged => c.unchanged += 1,
            Action::Skipped { .. } => c.skipped += 1,
            Action::Failed { error } => {
                c.failed += 1;
                self.failures.push(Failure {
                    object: object.to_string(),
                    external_id: external_id.to_string(),
                    error: error.clone(),
                });
            }
        }
        if let (Action::Create | Action::Update { .. }, Some((cur, amt))) = (&action, amount) {
            let t = slot(&mut self.totals, object).entry(cur).or_default();
            t.count += 1;
            t.amount = crate::money::at_scale(t.amount + amt, cur);
        }
        if !self.keep_entries {
            return;
        }
        self.entries.push(ReviewEntry {
            object: object.to_string(),
            external_id: external_id.to_string(),
            books_id: books_id.to_string(),
            action,
        });
    }
}

/// The entry for `key`, inserted empty if missing; the key is copied only
/// when it is new (once per object type and page, not per record).
fn slot<'m, V: Default>(map: &'m mut BTreeMap<String, V>, key: &str) -> &'m mut V {
    if !map.contains_key(key) {
        map.insert(key.to_string(), V::default());
    }
    map.get_mut(key).expect("inserted above")
}

/// Reads, in one batch, the books ids a page's customer records would take
/// if new (derived from their source keys, which name nothing yet), so
/// planning them reads no record one at a time: the page's one lookup for
/// its new customers, not one each.
fn new_customers(ws: &mut Workspace<'_>, items: &[SourceItem]) -> Result<()> {
    let mut ids: Vec<Id> = Vec::new();
    for item in items {
        if let SourceItem::Record(Record::Customer(c)) = item {
            if let Some(src) = &c.source {
                let key = src.key();
                if ws.resolve_kind(&key, EntityKind::Customer)?.is_empty() {
                    ids.push(derive_id(EntityKind::Customer.id_prefix(), key.joined()));
                }
            }
        }
    }
    ws.load(EntityKind::Customer, &ids)
}

/// Plans records under one import plan.
pub struct Planner<'p> {
    plan: &'p ImportPlan,
    rules: SettleRules,
    /// Source customers this run's filter excluded, so their other records are
    /// excluded too when they carry no email of their own.
    excluded: std::sync::Mutex<BTreeSet<String>>,
    /// Whether page outcomes list one entry per record.
    entries: bool,
}

/// A record-level outcome: the action, the books id, an amount for totals.
pub(crate) type Planned = (Action, Id, Option<(Currency, Decimal)>);

impl<'p> Planner<'p> {
    /// A planner for `plan`.
    pub fn new(plan: &'p ImportPlan) -> Self {
        Planner {
            plan,
            rules: SettleRules {
                policy: plan.policy.clone(),
                paid: plan.paid_invoices,
                unpaid: plan.unpaid_invoices,
                general_only: false,
            },
            excluded: std::sync::Mutex::new(BTreeSet::new()),
            entries: true,
        }
    }

    /// Whether page outcomes list one [`ReviewEntry`] per record (the
    /// default); an import that only keeps counts and failures turns it off.
    pub fn with_entries(mut self, keep: bool) -> Self {
        self.entries = keep;
        self
    }

    /// Settles every invoice through the general path, without the shortcuts
    /// for new invoices (slower; for cross-checking the shortcuts).
    pub fn general_settling(mut self) -> Self {
        self.rules.general_only = true;
        self
    }

    /// Settle rules derived from the plan.
    pub fn rules(&self) -> &SettleRules {
        &self.rules
    }

    /// Reads what planning `items` will read, with the alias keys `extra`, in
    /// one batch per table ([`Planner::plan_page`] does it itself; a caller
    /// that also needs `extra`, such as an event's duplicate check, saves
    /// its own read by calling this first).
    pub fn prefetch(
        &self,
        ws: &mut Workspace<'_>,
        items: &[SourceItem],
        extra: Vec<ExternalKey>,
    ) -> Result<()> {
        let by_email = self.plan.match_by_email
            || self.plan.customer_filter != crate::plan::CustomerFilter::All;
        let mut prefetch: Vec<ExternalKey> = extra;
        prefetch.reserve(items.len() * 5);
        let mut ids_only: Vec<ExternalKey> = Vec::with_capacity(items.len());
        for i in items {
            prefetch_keys(i, by_email, &mut prefetch, &mut ids_only);
        }
        ws.prefetch_split(prefetch, ids_only)?;
        new_customers(ws, items)
    }

    /// Plans one page of source items. Bad records become failed entries; only
    /// store errors abort the page.
    pub fn plan_page(&self, ws: &mut Workspace<'_>, items: Vec<SourceItem>) -> Result<PageOutcome> {
        let mut out = PageOutcome {
            keep_entries: self.entries,
            ..PageOutcome::default()
        };
        self.prefetch(ws, &items, Vec::new())?;
        let mut tp: BTreeSet<Id> = BTreeSet::new();
        let mut ti: BTreeSet<Id> = BTreeSet::new();
        for item in items {
            let rec = match item {
                SourceItem::Failed(f) => {
                    out.record(
                        &f.object,
                        &f.external_id,
                        "",
                        Action::Failed { error: f.error },
                        None,
                    );
                    continue;
                }
                SourceItem::Record(r) => r,
            };
            let object = rec.object().to_string();
            let ext = rec.external_id().to_string();
            if !self.plan.includes(rec.scope()) {
                let reason = format!("{} not in the plan's objects", rec.scope().as_str());
                out.record(&object, &ext, "", Action::Skipped { reason }, None);
                continue;
            }
            if let Record::Invoice(inv) = &rec {
                out.notes.extend(inv.incomplete_lines_note());
            }
            match self.plan_record(ws, rec, &mut out, &mut tp, &mut ti) {
                Ok((action, id, amount)) => out.record(&object, &ext, &id, action, amount),
                Err(CoreError::Store(e)) => return Err(CoreError::Store(e)),
                Err(e) => out.record(
                    &object,
                    &ext,
                    "",
                    Action::Failed {
                        error: e.to_string(),
                    },
                    None,
                ),
            }
        }
        out.settle = settle(ws, &self.rules, &tp, &ti)?;
        Ok(out)
    }

    fn plan_record(
        &self,
        ws: &mut Workspace<'_>,
        rec: Record,
        out: &mut PageOutcome,
        tp: &mut BTreeSet<Id>,
        ti: &mut BTreeSet<Id>,
    ) -> Result<Planned> {
        if let Some(reason) = self.filtered(ws, &rec)? {
            return Ok((Action::Skipped { reason }, String::new(), None));
        }
        match rec {
            Record::Customer(c) => self.customer(ws, c),
            Record::Product(mut p) => {
                let key = p.source.key();
                p.id = existing_or_new(ws, &key, EntityKind::Product, p.source.created_at)?;
                let (id, src) = (p.id.clone(), p.source.clone());
                let r = upsert(ws, Entity::Product(p), vec![key], None)?;
                backfill(
                    ws,
                    &keys::awaiting(&src, "product", &src.external_id),
                    EntityKind::Price,
                    |e| match e {
                        Entity::Price(pr) if pr.product_id.is_none() => {
                            pr.product_id = Some(id.clone());
                            true
                        }
                        _ => false,
                    },
                )?;
                Ok(r)
            }
            Record::Price(mut p) => {
                let key = p.source.key();
                p.id = existing_or_new(ws, &key, EntityKind::Price, p.source.created_at)?;
                let mut extra = vec![key];
                if let Some(prod) = &p.product_ref {
                    p.product_id = ws
                        .resolve_kind(&p.source.sibling("product", prod), EntityKind::Product)?
                        .into_iter()
                        .next();
                    if p.product_id.is_none() {
                        extra.push(keys::awaiting(&p.source, "product", prod));
                    }
                }
                let amt = p.unit_amount.map(|a| (p.currency, a));
                upsert(ws, Entity::Price(p), extra, amt)
            }
            Record::Invoice(inv) => self.invoice(ws, inv, out, ti),
            Record::CreditNote(c) => self.credit_note(ws, c, out, ti),
            Record::Subscription(mut s) => {
                let key = s.source.key();
                s.id = existing_or_new(ws, &key, EntityKind::Subscription, s.source.created_at)?;
                s.customer_id = self.customer_for(ws, &s.source, s.customer_ref.as_ref(), out)?;
                self.keep_original(&mut s.source, s.customer_ref.as_ref());
                let amt = Some((s.currency, s.amount));
                let (id, src) = (s.id.clone(), s.source.clone());
                let r = upsert(ws, Entity::Subscription(s), vec![key], amt)?;
                backfill(
                    ws,
                    &keys::awaiting(&src, "subscription", &src.external_id),
                    EntityKind::Invoice,
                    |e| match e {
                        Entity::Invoice(inv) if inv.subscription_id.is_none() => {
                            inv.subscription_id = Some(id.clone());
                            true
                        }
                        _ => false,
                    },
                )?;
                Ok(r)
            }
            Record::Payment(p) => {
                let cid = self.customer_for(ws, &p.source, p.customer_ref.as_ref(), out)?;
                let mut p = p;
                self.keep_original(&mut p.source, p.customer_ref.as_ref());
                payments::plan_payment(ws, p, cid, tp)
            }
            Record::Refund(mut r) => {
                r.id =
                    existing_or_new(ws, &r.source.key(), EntityKind::Refund, r.source.created_at)?;
                let (pid, extra) =
                    reversal_links(ws, &r.source, &r.payment_refs, keys::refund_for, tp)?;
                r.payment_id = pid.or(r.payment_id);
                let amt = Some((r.currency, r.amount));
                upsert(ws, Entity::Refund(r), extra, amt)
            }
            Record::Dispute(mut d) => {
                d.id = existing_or_new(
                    ws,
                    &d.source.key(),
                    EntityKind::Dispute,
                    d.source.created_at,
                )?;
                let (pid, extra) =
                    reversal_links(ws, &d.source, &d.payment_refs, keys::dispute_for, tp)?;
                d.payment_id = pid.or(d.payment_id);
                let amt = Some((d.currency, d.amount));
                upsert(ws, Entity::Dispute(d), extra, amt)
            }
            Record::BalanceTransaction(mut b) => {
                let key = b.source.key();
                b.id = existing_or_new(
                    ws,
                    &key,
                    EntityKind::BalanceTransaction,
                    b.source.created_at,
                )?;
                let mut extra = vec![key];
                if let Some(src) = b.source_object.clone() {
                    extra.push(keys::bt_by_source(&b.source, &src));
                    let pk = b.source.sibling("charge", &src);
                    if let Some(pid) = ws
                        .resolve_kind(&pk, EntityKind::Payment)?
                        .into_iter()
                        .next()
                    {
                        b.payment_id = Some(pid.clone());
                        tp.insert(pid);
                    }
                }
                if let Some(po) = &b.payout_ref {
                    extra.push(keys::bt_by_payout(&b.source, po));
                }
                let amt = Some((b.currency, b.amount));
                upsert(ws, Entity::BalanceTransaction(b), extra, amt)
            }
            Record::Payout(mut p) => {
                let key = p.source.key();
                p.id = existing_or_new(ws, &key, EntityKind::Payout, p.source.created_at)?;
                if let Some(Entity::Payout(old)) = ws.get(EntityKind::Payout, &p.id)? {
                    p.deposit_id = old.deposit_id;
                    for t in old.balance_transaction_ids {
                        if !p.balance_transaction_ids.contains(&t) {
                            p.balance_transaction_ids.push(t);
                        }
                    }
                }
                let amt = Some((p.currency, p.amount));
                upsert(ws, Entity::Payout(p), vec![key], amt)
            }
        }
    }

    /// Why the plan's filters leave this record out, if they do.
    fn filtered(&self, ws: &mut Workspace<'_>, rec: &Record) -> Result<Option<String>> {
        let Some(src) = rec.source() else {
            return Ok(None);
        };
        let reference = matches!(rec.scope(), ObjectScope::Customers | ObjectScope::Products);
        if !reference {
            if let Some(c) = src.created_at {
                if self.plan.created_from.is_some_and(|f| c < f)
                    || self.plan.created_to.is_some_and(|t| c > t)
                {
                    return Ok(Some(format!(
                        "created {c} is outside the plan's date range"
                    )));
                }
            }
        }
        if let Record::Invoice(_) = rec {
            if !self.plan.invoice_statuses.is_empty() {
                let st = src.status.as_deref().and_then(InvoiceStatus::parse);
                if !st.is_some_and(|s| self.plan.invoice_statuses.contains(&s)) {
                    return Ok(Some(format!(
                        "invoice status {} is not in the plan's status filter",
                        src.status.as_deref().unwrap_or("unknown")
                    )));
                }
            }
        }
        let has_customer = match rec {
            Record::Customer(_) => true,
            Record::Invoice(i) => i.customer_ref.is_some(),
            Record::Subscription(s) => s.customer_ref.is_some(),
            Record::Payment(p) => p.customer_ref.is_some(),
            _ => return Ok(None),
        };
        let fixed = matches!(self.plan.customer_resolution, CustomerResolution::Fixed(_));
        // Admitting everyone needs neither the customer nor an email lookup.
        if self.plan.customer_filter == crate::plan::CustomerFilter::All
            && has_customer
            && !(fixed && matches!(rec, Record::Customer(_)))
        {
            return Ok(None);
        }
        let cust: Option<OriginalCustomer> = match rec {
            Record::Customer(c) => Some(OriginalCustomer {
                external_id: src.external_id.clone(),
                name: c.name.clone(),
                email: c.email.clone(),
            }),
            Record::Invoice(i) => i.customer_ref.clone(),
            Record::Subscription(s) => s.customer_ref.clone(),
            Record::Payment(p) => p.customer_ref.clone(),
            _ => return Ok(None),
        };
        if matches!(rec, Record::Customer(_)) {
            if let CustomerResolution::Fixed(_) = self.plan.customer_resolution {
                return Ok(Some(
                    "fixed-customer mode: source customers are not imported".into(),
                ));
            }
        }
        let admitted = match &cust {
            Some(c) => {
                let email = customers::known_email(ws, src, c)?;
                let already_out = self
                    .excluded
                    .lock()
                    .map(|e| e.contains(&c.external_id))
                    .unwrap_or(false);
                let ok = !already_out
                    && self
                        .plan
                        .customer_filter
                        .admits(Some(&c.external_id), email.as_deref());
                if !ok {
                    if let Ok(mut e) = self.excluded.lock() {
                        e.insert(c.external_id.clone());
                    }
                }
                ok
            }
            None => {
                matches!(rec, Record::Payment(_)) || self.plan.customer_filter.admits(None, None)
            }
        };
        Ok(if admitted {
            None
        } else {
            Some(format!(
                "customer {} excluded by the plan's customer filter",
                cust.map(|c| c.external_id)
                    .unwrap_or_else(|| "(none)".into())
            ))
        })
    }

    fn customer_for(
        &self,
        ws: &mut Workspace<'_>,
        src: &SourceRef,
        cref: Option<&OriginalCustomer>,
        out: &mut PageOutcome,
    ) -> Result<Option<Id>> {
        let (id, created) = customers::resolve(self.plan, ws, src, cref)?;
        if let Some(c) = created {
            let ext = c
                .source
                .as_ref()
                .map(|s| s.external_id.clone())
                .unwrap_or_default();
            out.record("customer", &ext, &c.id, Action::Create, None);
        }
        Ok(id)
    }

    fn keep_original(&self, src: &mut SourceRef, cref: Option<&OriginalCustomer>) {
        src.original_customer = match self.plan.customer_resolution {
            CustomerResolution::Fixed(_) => cref.cloned(),
            CustomerResolution::FromSource => None,
        };
    }

    fn customer(&self, ws: &mut Workspace<'_>, mut c: Customer) -> Result<Planned> {
        let src = c
            .source
            .clone()
            .ok_or_else(|| CoreError::Invalid("customer record without source".into()))?;
        let key = src.key();
        let mut id = ws
            .resolve_kind(&key, EntityKind::Customer)?
            .into_iter()
            .next();
        if id.is_none() && self.plan.match_by_email {
            if let Some(e) = &c.email {
                id = ws
                    .resolve_kind(&keys::email(e), EntityKind::Customer)?
                    .into_iter()
                    .next();
                if let Some(found) = &id {
                    // Keep the books' own details; link the source customer to it.
                    if let Some(Entity::Customer(mut existing)) =
                        ws.get(EntityKind::Customer, found)?
                    {
                        if existing.source.is_none() {
                            existing.source = Some(src.clone());
                        }
                        c = existing;
                    }
                }
            }
        }
        c.id = id.unwrap_or_else(|| derive_id(EntityKind::Customer.id_prefix(), key.joined()));
        let mut extra = vec![key];
        if let Some(e) = &c.email {
            extra.push(keys::email(e));
        }
        upsert(ws, Entity::Customer(c), extra, None)
    }

    fn invoice(
        &self,
        ws: &mut Workspace<'_>,
        mut inv: Invoice,
        out: &mut PageOutcome,
        ti: &mut BTreeSet<Id>,
    ) -> Result<Planned> {
        let key = inv.source.key();
        inv.id = existing_or_new(ws, &key, EntityKind::Invoice, inv.source.created_at)?;
        inv.customer_id = self.customer_for(ws, &inv.source, inv.customer_ref.as_ref(), out)?;
        self.keep_original(&mut inv.source, inv.customer_ref.as_ref());
        inv.amount_credited = super::credit_notes::credited(ws, &inv, true)?;
        let mut awaiting = None;
        if let Some(s) = &inv.subscription_ref {
            inv.subscription_id = ws
                .resolve_kind(
                    &inv.source.sibling("subscription", s),
                    EntityKind::Subscription,
                )?
                .into_iter()
                .next();
            if inv.subscription_id.is_none() {
                awaiting = Some(keys::awaiting(&inv.source, "subscription", s));
            }
        }
        // The books' view (paid, remaining, status) is recomputed by settling;
        // start from the stored view so the diff shows source changes only.
        match ws.get(EntityKind::Invoice, &inv.id)? {
            Some(Entity::Invoice(old)) => {
                inv.amount_paid = old.amount_paid;
                inv.amount_remaining = old.amount_remaining;
                inv.amount_written_off = old.amount_written_off;
                inv.status = old.status;
                // A write-off by hand is the books' own decision: the source never has it.
                inv.write_off = old.write_off;
            }
            _ => {
                inv.amount_written_off = Decimal::ZERO;
                crate::reconcile::derive_invoice_totals(
                    &mut inv,
                    Decimal::ZERO,
                    Decimal::ZERO,
                    &self.rules,
                );
            }
        }
        let mut extra = vec![key];
        extra.extend(awaiting);
        if let Some(n) = &inv.number {
            extra.push(keys::invoice_number(&inv.source, n));
        }
        if let Some(c) = &inv.payment_refs.charge {
            extra.push(keys::invoice_by_charge(&inv.source, c));
        }
        if let Some(pi) = &inv.payment_refs.payment_intent {
            extra.push(keys::invoice_by_payment_intent(&inv.source, pi));
        }
        let amt = Some((inv.currency, inv.total));
        let id = inv.id.clone();
        let r = upsert(ws, Entity::Invoice(inv), extra, amt)?;
        if !matches!(r.0, Action::Skipped { .. }) {
            ti.insert(id);
        }
        Ok(r)
    }

    fn credit_note(
        &self,
        ws: &mut Workspace<'_>,
        mut c: CreditNote,
        out: &mut PageOutcome,
        ti: &mut BTreeSet<Id>,
    ) -> Result<Planned> {
        let key = c.source.key();
        c.id = existing_or_new(ws, &key, EntityKind::CreditNote, c.source.created_at)?;
        c.customer_id = self.customer_for(ws, &c.source, c.customer_ref.as_ref(), out)?;
        self.keep_original(&mut c.source, c.customer_ref.as_ref());
        super::credit_notes::plan(ws, c, key, ti)
    }
}

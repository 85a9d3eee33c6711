//! The matching cascade's source-driven strategies (1-5): which invoices a
//! payment names, in order, and why.
//!
//! The cascade is written once, over an [`InvoiceLookup`]: the import's
//! [`Workspace`] (alias keys in the store) and the in-memory bulk matcher
//! (hash maps over slices) both drive the same function.

use rust_decimal::Decimal;

use crate::entity::EntityKind;
use crate::error::Result;
use crate::import::{Workspace, keys};
use crate::model::{Id, Invoice, MatchStrategy, Payment, SourceRef};
use crate::reconcile::ReconcilePolicy;

/// One invoice a payment claims to pay, identified by `I` (a books id, or an
/// index in the bulk matcher).
#[derive(Clone, Debug, PartialEq)]
pub struct ClaimOf<I> {
    /// The invoice.
    pub invoice_id: I,
    /// Deciding strategy.
    pub strategy: MatchStrategy,
    /// Readable reason.
    pub detail: String,
    /// Most this claim may allocate (an invoice payment's `amount_paid`).
    pub cap: Option<Decimal>,
}

/// One invoice a payment claims to pay, by books id.
pub type Claim = ClaimOf<Id>;

/// Where the cascade looks invoices up.
pub trait InvoiceLookup {
    /// How an invoice is identified.
    type Key: Clone + PartialEq;

    /// The invoice a payment names by source id or, failing that, by number.
    fn named(&mut self, p: &Payment, name: &str) -> Result<Option<Self::Key>>;

    /// Invoices naming the payment's payment intent (`strategy` is
    /// [`MatchStrategy::PaymentIntent`]) or charge ([`MatchStrategy::Charge`]),
    /// each with its source id.
    fn sharing(
        &mut self,
        p: &Payment,
        strategy: MatchStrategy,
        id: &str,
    ) -> Result<Vec<(Self::Key, String)>>;

    /// Whether claims carry their readable detail (the bulk matcher renders
    /// details only for the allocations it materializes).
    fn details(&self) -> bool {
        true
    }
}

/// Reasons each strategy gave for naming nothing; collected only when asked
/// for (the bulk matcher skips the formatting for payments that match).
#[derive(Debug, Default)]
pub struct Misses(Option<Vec<String>>);

impl Misses {
    /// Collects reasons.
    pub fn collect() -> Self {
        Misses(Some(Vec::new()))
    }

    /// Ignores reasons.
    pub fn ignore() -> Self {
        Misses(None)
    }

    /// Adds a reason (formatted only when collecting).
    pub fn add(&mut self, f: impl FnOnce() -> String) {
        if let Some(v) = &mut self.0 {
            v.push(f());
        }
    }

    /// The reasons collected.
    pub fn into_vec(self) -> Vec<String> {
        self.0.unwrap_or_default()
    }
}

/// [`claims`] without the reasons (empty): settling formats them only for
/// the payments it leaves with unapplied money.
pub fn claims_quiet(
    ws: &mut Workspace<'_>,
    p: &Payment,
    policy: &ReconcilePolicy,
) -> Result<(Vec<Claim>, Vec<String>)> {
    let out = claims_with(&mut WorkspaceLookup(ws), p, policy, &mut Misses::ignore())?;
    Ok((out, Vec::new()))
}

/// [`InvoiceLookup`] over a [`Workspace`]: alias keys, committed and planned.
pub struct WorkspaceLookup<'w, 's>(pub &'w mut Workspace<'s>);

impl InvoiceLookup for WorkspaceLookup<'_, '_> {
    type Key = Id;

    fn named(&mut self, p: &Payment, name: &str) -> Result<Option<Id>> {
        Ok(find_invoice(self.0, p, name)?.map(|i| i.id))
    }

    fn sharing(
        &mut self,
        p: &Payment,
        strategy: MatchStrategy,
        id: &str,
    ) -> Result<Vec<(Id, String)>> {
        let key = match strategy {
            MatchStrategy::PaymentIntent => keys::invoice_by_payment_intent(&p.source, id),
            _ => keys::invoice_by_charge(&p.source, id),
        };
        let mut out = Vec::new();
        for iid in self.0.resolve_kind(&key, EntityKind::Invoice)? {
            if let Some(crate::Entity::Invoice(inv)) = self.0.get(EntityKind::Invoice, &iid)? {
                out.push((inv.id, inv.source.external_id));
            }
        }
        Ok(out)
    }
}

/// Looks an invoice up by source id or, failing that, by number.
pub(crate) fn find_invoice(
    ws: &mut Workspace<'_>,
    p: &Payment,
    name: &str,
) -> Result<Option<Invoice>> {
    let by_id = p.source.sibling("invoice", name);
    let mut ids = ws.resolve_kind(&by_id, EntityKind::Invoice)?;
    if ids.is_empty() {
        ids = ws.resolve_kind(&keys::invoice_number(&p.source, name), EntityKind::Invoice)?;
    }
    if ids.is_empty() {
        // The books' own invoices, by books id or number (payment links put
        // them in metadata and `client_reference_id`).
        let own = SourceRef::new(keys::BOOKS, "", "invoice", name);
        ids = ws.resolve_kind(&own.key(), EntityKind::Invoice)?;
        if ids.is_empty() {
            ids = ws.resolve_kind(&keys::invoice_number(&own, name), EntityKind::Invoice)?;
        }
    }
    match ids.first() {
        Some(id) => Ok(ws.get(EntityKind::Invoice, id)?.and_then(|e| match e {
            crate::Entity::Invoice(i) => Some(i),
            _ => None,
        })),
        None => Ok(None),
    }
}

/// Metadata values naming invoices, split on commas, semicolons and whitespace.
pub fn metadata_invoice_names(p: &Payment, policy: &ReconcilePolicy) -> Vec<String> {
    let mut out = Vec::new();
    for k in &policy.metadata_keys {
        if let Some(v) = p.metadata.get(k) {
            for part in v.split([',', ' ', ';']) {
                let part = part.trim();
                if !part.is_empty() && !out.iter().any(|x| x == part) {
                    out.push(part.to_string());
                }
            }
        }
    }
    out
}

/// Every invoice the payment names, strategy by strategy; the first strategy
/// that names an invoice decides it. Also returns a reason for each strategy
/// that named nothing, for the unapplied report.
pub fn claims(
    ws: &mut Workspace<'_>,
    p: &Payment,
    policy: &ReconcilePolicy,
) -> Result<(Vec<Claim>, Vec<String>)> {
    let mut misses = Misses::collect();
    let out = claims_with(&mut WorkspaceLookup(ws), p, policy, &mut misses)?;
    Ok((out, misses.into_vec()))
}

/// The cascade (strategies 1-5) over any [`InvoiceLookup`].
pub fn claims_with<L: InvoiceLookup>(
    lookup: &mut L,
    p: &Payment,
    policy: &ReconcilePolicy,
    misses: &mut Misses,
) -> Result<Vec<ClaimOf<L::Key>>> {
    let mut out: Vec<ClaimOf<L::Key>> = Vec::new();
    let want = lookup.details();
    let push = |out: &mut Vec<ClaimOf<L::Key>>,
                key: L::Key,
                strategy,
                detail: &dyn Fn() -> String,
                cap| {
        if !out.iter().any(|c| c.invoice_id == key) {
            out.push(ClaimOf {
                invoice_id: key,
                strategy,
                detail: if want { detail() } else { String::new() },
                cap,
            });
        }
    };

    // 1. explicit link: invoice payments, `invoice` on charge / payment intent.
    for name in &p.links.invoices {
        if let Some(key) = lookup.named(p, name)? {
            let cap = p.links.invoice_amounts.get(name).copied();
            let via = || {
                if p.refs.invoice_payments.is_empty() {
                    format!(
                        "{} {} names invoice {}",
                        p.source.object, p.source.external_id, name
                    )
                } else {
                    format!(
                        "invoice payment {} links invoice {}",
                        p.refs.invoice_payments.join(","),
                        name
                    )
                }
            };
            push(&mut out, key, MatchStrategy::ExplicitLink, &via, cap);
        } else {
            misses.add(|| format!("explicit link: invoice {name} is not in the books"));
        }
    }
    if p.links.invoices.is_empty() {
        misses.add(|| "explicit link: no invoice named".into());
    }

    // 2. payment intent shared with an invoice; 3. charge shared with an invoice.
    let shared = [
        (
            p.refs.payment_intent.as_deref(),
            MatchStrategy::PaymentIntent,
            "payment intent",
        ),
        (p.refs.charge.as_deref(), MatchStrategy::Charge, "charge"),
    ];
    for (id, strategy, label) in shared {
        let Some(id) = id else {
            misses.add(|| format!("{label}: payment has no {label} id"));
            continue;
        };
        let found = lookup.sharing(p, strategy, id)?;
        if found.is_empty() {
            misses.add(|| format!("{label}: no invoice names {id}"));
        }
        for (key, ext) in found {
            push(
                &mut out,
                key,
                strategy,
                &|| format!("invoice {ext} names {label} {id}"),
                None,
            );
        }
    }

    // 4. checkout session: its invoice, or client_reference_id naming one.
    let cs_names = [
        (p.links.checkout_invoice.as_deref(), "invoice"),
        (
            p.links.client_reference_id.as_deref(),
            "client_reference_id",
        ),
    ];
    if cs_names.iter().all(|(n, _)| n.is_none()) {
        misses.add(|| "checkout session: none, or it names no invoice".into());
    }
    for (name, field) in cs_names {
        let Some(name) = name else { continue };
        if let Some(key) = lookup.named(p, name)? {
            let detail = || {
                format!(
                    "checkout session {} {field} names {name}",
                    p.refs.checkout_session.as_deref().unwrap_or("?")
                )
            };
            push(&mut out, key, MatchStrategy::CheckoutSession, &detail, None);
        } else {
            misses.add(|| format!("checkout session: {field} {name} is not a known invoice"));
        }
    }

    // 5. metadata naming one or several invoices (by source id or number).
    if p.metadata.is_empty() {
        misses.add(|| "metadata: no invoice named".into());
        return Ok(out);
    }
    let names = metadata_invoice_names(p, policy);
    if names.is_empty() {
        misses.add(|| "metadata: no invoice named".into());
    }
    for name in names {
        if let Some(key) = lookup.named(p, &name)? {
            let detail = || format!("payment metadata names invoice {name}");
            push(&mut out, key, MatchStrategy::Metadata, &detail, None);
        } else {
            misses.add(|| format!("metadata: {name} is not a known invoice id or number"));
        }
    }
    Ok(out)
}

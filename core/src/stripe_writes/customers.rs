//! Pushing books customers to Stripe: create the Stripe customer (its
//! `metadata[tieout_customer]` naming the books id), or update it when the
//! pushed fields changed. The books keep the link in the customer's metadata
//! and as an alias of the Stripe customer's key, so the next import of that
//! Stripe customer lands on the same books customer.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::stripe_intent;
use crate::model::Customer;
use crate::writes::WriteIntent;

/// Customer metadata key holding the linked Stripe customer id.
pub const LINK_CUSTOMER: &str = "stripe_customer";
/// Customer metadata key holding the Stripe account of that link.
pub const LINK_ACCOUNT: &str = "stripe_account";
/// Customer metadata key holding a fingerprint of the fields last pushed.
pub const PUSHED_FIELDS: &str = "stripe_pushed";

/// The Stripe customer a books customer is linked to in `account`: its own
/// source id when it was imported from there, else the pushed link.
pub fn stripe_customer_of(c: &Customer, account: &str) -> Option<String> {
    if let Some(s) = &c.source {
        if s.system == "stripe" && s.account == account && s.object == "customer" {
            return Some(s.external_id.clone());
        }
    }
    match (c.metadata.get(LINK_CUSTOMER), c.metadata.get(LINK_ACCOUNT)) {
        (Some(id), Some(a)) if a == account => Some(id.clone()),
        _ => None,
    }
}

/// The Stripe parameters a books customer is pushed with (name, email,
/// phone, address) and their fingerprint.
pub fn customer_fields(c: &Customer) -> (Value, String) {
    let mut p = json!({});
    if let Some(n) = &c.name {
        p["name"] = json!(n);
    }
    if let Some(e) = &c.email {
        p["email"] = json!(e);
    }
    if let Some(ph) = &c.phone {
        p["phone"] = json!(ph);
    }
    if let Some(a) = &c.address {
        p["address"] = json!({
            "line1": a.line1, "line2": a.line2, "city": a.city,
            "state": a.state, "postal_code": a.postal_code, "country": a.country,
        });
    }
    let fp = {
        use sha2::{Digest, Sha256};
        hex::encode(&Sha256::digest(p.to_string().as_bytes())[..8])
    };
    (p, fp)
}

/// The pushes `customers` need in `account`: a create for each one with no
/// Stripe customer yet, an update for each linked one whose fields changed
/// since the last push. Deleted customers are left alone. Purposes (and so
/// keys) are one create per books customer and account, one update per
/// customer, account and field fingerprint.
pub fn plan_customer_pushes(
    customers: &[Customer],
    account: &str,
    now: DateTime<Utc>,
) -> Vec<WriteIntent> {
    let mut out = Vec::new();
    for c in customers.iter().filter(|c| !c.deleted) {
        let (mut params, fp) = customer_fields(c);
        params["metadata"] = json!({ "tieout_customer": c.id });
        match stripe_customer_of(c, account) {
            None => {
                let purpose = format!("stripe/{account}/customer_create/{}", c.id);
                let mut i = stripe_intent(
                    "customer_create",
                    &purpose,
                    "/v1/customers",
                    params,
                    Some(("/v1/customers", json!({}))),
                    now,
                );
                i.subject = Some(c.id.clone());
                out.push(i);
            }
            Some(cus) => {
                let imported = c.source.as_ref().is_some_and(|s| s.system == "stripe");
                if imported || c.metadata.get(PUSHED_FIELDS) == Some(&fp) {
                    continue;
                }
                let purpose = format!("stripe/{account}/customer_update/{}/{fp}", c.id);
                let mut i = stripe_intent(
                    "customer_update",
                    &purpose,
                    &format!("/v1/customers/{cus}"),
                    params,
                    None,
                    now,
                );
                i.subject = Some(c.id.clone());
                out.push(i);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::CustomerKind;
    use chrono::TimeZone;

    #[test]
    fn create_once_then_update_only_on_change() {
        let t = Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap();
        let mut c = Customer::new("cust_1".into(), "Acme", CustomerKind::Company);
        c.email = Some("ap@acme.test".into());
        let p = plan_customer_pushes(std::slice::from_ref(&c), "acct_1", t);
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].kind, "customer_create");
        assert_eq!(p[0].payload["path"], "/v1/customers");
        assert_eq!(
            p[0].payload["params"]["metadata"]["tieout_customer"],
            "cust_1"
        );
        assert_eq!(
            p[0].payload["params"]["metadata"]["tieout_key"],
            p[0].key.as_str()
        );
        // Same customer, same plan: same key.
        assert_eq!(
            plan_customer_pushes(std::slice::from_ref(&c), "acct_1", t)[0].key,
            p[0].key
        );
        // Linked and unchanged: nothing.
        c.metadata.insert(LINK_CUSTOMER.into(), "cus_9".into());
        c.metadata.insert(LINK_ACCOUNT.into(), "acct_1".into());
        c.metadata
            .insert(PUSHED_FIELDS.into(), customer_fields(&c).1);
        assert!(plan_customer_pushes(std::slice::from_ref(&c), "acct_1", t).is_empty());
        // Another account: not linked there.
        assert_eq!(
            plan_customer_pushes(std::slice::from_ref(&c), "acct_2", t).len(),
            1
        );
        // Changed: an update to the linked customer.
        c.email = Some("billing@acme.test".into());
        let u = plan_customer_pushes(std::slice::from_ref(&c), "acct_1", t);
        assert_eq!(u[0].kind, "customer_update");
        assert_eq!(u[0].payload["path"], "/v1/customers/cus_9");
        c.deleted = true;
        assert!(plan_customer_pushes(std::slice::from_ref(&c), "acct_1", t).is_empty());
    }
}

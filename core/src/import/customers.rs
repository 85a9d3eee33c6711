//! Customer resolution: from source (by id, then email, else create) or fixed.

use crate::entity::{Entity, EntityKind};
use crate::error::{CoreError, Result};
use crate::import::{Workspace, keys};
use crate::model::{Customer, CustomerKind, Id, OriginalCustomer, SourceRef, derive_id};
use crate::plan::{CustomerResolution, ImportPlan};

/// Checks that a fixed customer exists; called before anything is imported.
pub fn check_fixed_customer(plan: &ImportPlan, ws: &mut Workspace<'_>) -> Result<()> {
    if let CustomerResolution::Fixed(id) = &plan.customer_resolution {
        if ws.get(EntityKind::Customer, id)?.is_none() {
            return Err(CoreError::NotFound(format!(
                "fixed customer {id} does not exist in the books; create it first (create_customer)"
            )));
        }
    }
    Ok(())
}

/// The email the books know for a source customer (from the record or the stored customer).
pub fn known_email(
    ws: &mut Workspace<'_>,
    src: &SourceRef,
    c: &OriginalCustomer,
) -> Result<Option<String>> {
    if c.email.is_some() {
        return Ok(c.email.clone());
    }
    let key = src.sibling("customer", &c.external_id);
    for id in ws.resolve_kind(&key, EntityKind::Customer)? {
        if let Some(Entity::Customer(cu)) = ws.get(EntityKind::Customer, &id)? {
            return Ok(cu.email);
        }
    }
    Ok(None)
}

/// Finds (or plans) the books customer for a record's source customer.
/// Returns the id and, when a customer was created, the new record.
pub fn resolve(
    plan: &ImportPlan,
    ws: &mut Workspace<'_>,
    src: &SourceRef,
    cref: Option<&OriginalCustomer>,
) -> Result<(Option<Id>, Option<Customer>)> {
    if let CustomerResolution::Fixed(id) = &plan.customer_resolution {
        return Ok((Some(id.clone()), None));
    }
    let Some(c) = cref else {
        return Ok((None, None));
    };
    let key = src.sibling("customer", &c.external_id);
    if let Some(id) = ws
        .resolve_kind(&key, EntityKind::Customer)?
        .into_iter()
        .next()
    {
        return Ok((Some(id), None));
    }
    if plan.match_by_email {
        if let Some(email) = &c.email {
            if let Some(id) = ws
                .resolve_kind(&keys::email(email), EntityKind::Customer)?
                .into_iter()
                .next()
            {
                ws.alias(key, &id)?;
                return Ok((Some(id), None));
            }
        }
    }
    let mut source = SourceRef::new(&src.system, &src.account, "customer", &c.external_id);
    source.livemode = src.livemode;
    let id = derive_id(EntityKind::Customer.id_prefix(), key.joined());
    let customer = Customer {
        id: id.clone(),
        source: Some(source),
        kind: CustomerKind::Company,
        name: c.name.clone(),
        email: c.email.clone(),
        phone: None,
        address: None,
        deleted: false,
        metadata: Default::default(),
    };
    ws.put(Entity::Customer(customer.clone()));
    ws.alias_new(key, &id);
    if let Some(e) = &c.email {
        ws.alias_new(keys::email(e), &id);
    }
    Ok((Some(id), Some(customer)))
}

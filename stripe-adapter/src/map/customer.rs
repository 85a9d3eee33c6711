//! Customers (including deleted-customer stubs).

use tieout_core::model::{Address, Customer, CustomerKind};
use tieout_core::{Record, SourceItem};

use super::access::{MResult, Obj};
use super::{Cx, source_ref};

/// Maps a `customer` object (or `{"id","object":"customer","deleted":true}`).
pub(crate) fn map(o: Obj<'_>, id: &str, cx: &Cx<'_>, out: &mut Vec<SourceItem>) -> MResult<()> {
    let deleted = o.flag("deleted")?;
    let status = if deleted { "deleted" } else { "active" };
    let source = source_ref(o, "customer", id, Some(status), None, cx)?;
    let address = match o.obj("address")? {
        Some(a) => Some(Address {
            line1: a.string("line1")?,
            line2: a.string("line2")?,
            city: a.string("city")?,
            state: a.string("state")?,
            postal_code: a.string("postal_code")?,
            country: a.string("country")?,
        }),
        None => None,
    };
    // Newer versions say whether the customer is a business or a person.
    let kind = if o.str("individual_name")?.is_some() && o.str("business_name")?.is_none() {
        CustomerKind::Contact
    } else {
        CustomerKind::Company
    };
    let name = match o.string("name")? {
        Some(n) => Some(n),
        None => o.string("business_name")?.or(o.string("individual_name")?),
    };
    out.push(SourceItem::Record(Record::Customer(Customer {
        id: String::new(),
        source: Some(source),
        kind,
        name,
        email: o.string("email")?,
        phone: o.string("phone")?,
        address,
        deleted,
        metadata: o.metadata(),
    })));
    Ok(())
}

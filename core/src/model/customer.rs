//! Customers of the books.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Id, SourceRef};

/// Whether a customer is an organisation or a person.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CustomerKind {
    /// An organisation.
    #[default]
    Company,
    /// A person.
    Contact,
}

/// A postal address.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    /// Street line 1.
    pub line1: Option<String>,
    /// Street line 2.
    pub line2: Option<String>,
    /// City.
    pub city: Option<String>,
    /// State or region.
    pub state: Option<String>,
    /// Postal code.
    pub postal_code: Option<String>,
    /// ISO country code.
    pub country: Option<String>,
}

/// A customer: created in the books or imported from a source.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Customer {
    /// The books' own id.
    pub id: Id,
    /// Source details; `None` for customers created in the books.
    pub source: Option<SourceRef>,
    /// Company or contact.
    pub kind: CustomerKind,
    /// Display name.
    pub name: Option<String>,
    /// Email address.
    pub email: Option<String>,
    /// Phone number.
    pub phone: Option<String>,
    /// Billing address.
    pub address: Option<Address>,
    /// Deleted in the source.
    pub deleted: bool,
    /// Source metadata.
    pub metadata: BTreeMap<String, String>,
}

impl Customer {
    /// A books-created customer with a name.
    pub fn new(id: Id, name: &str, kind: CustomerKind) -> Self {
        Customer {
            id,
            source: None,
            kind,
            name: Some(name.to_string()),
            email: None,
            phone: None,
            address: None,
            deleted: false,
            metadata: BTreeMap::new(),
        }
    }
}

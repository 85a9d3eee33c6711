//! Customer filters: all, allowlist, or all but an exclusion list.

use serde::{Deserialize, Serialize};

/// One way to name a source customer in a filter.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "by", content = "value")]
pub enum CustomerMatch {
    /// By source customer id (`cus_...`).
    Id(String),
    /// By email, case-insensitive.
    Email(String),
}

impl CustomerMatch {
    /// Parses `"cus_..."` as an id and anything with `@` as an email.
    pub fn parse(s: &str) -> Self {
        if s.contains('@') {
            CustomerMatch::Email(s.to_string())
        } else {
            CustomerMatch::Id(s.to_string())
        }
    }

    fn hits(&self, id: Option<&str>, email: Option<&str>) -> bool {
        match self {
            CustomerMatch::Id(x) => id == Some(x.as_str()),
            CustomerMatch::Email(x) => email.is_some_and(|e| e.eq_ignore_ascii_case(x)),
        }
    }
}

/// Which source customers' records an import takes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "mode", content = "customers")]
pub enum CustomerFilter {
    /// Every customer.
    #[default]
    All,
    /// Only these customers.
    Allow(Vec<CustomerMatch>),
    /// Every customer but these.
    Exclude(Vec<CustomerMatch>),
}

impl CustomerFilter {
    /// Whether a record of this source customer passes. Records without a
    /// customer pass `All` and `Exclude`, and fail `Allow`.
    pub fn admits(&self, id: Option<&str>, email: Option<&str>) -> bool {
        match self {
            CustomerFilter::All => true,
            CustomerFilter::Allow(list) => list.iter().any(|m| m.hits(id, email)),
            CustomerFilter::Exclude(list) => !list.iter().any(|m| m.hits(id, email)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allow_and_exclude() {
        let allow = CustomerFilter::Allow(vec![
            CustomerMatch::parse("cus_1"),
            CustomerMatch::parse("A@x.com"),
        ]);
        assert!(allow.admits(Some("cus_1"), None));
        assert!(allow.admits(Some("cus_9"), Some("a@X.com")));
        assert!(!allow.admits(Some("cus_2"), None));
        assert!(!allow.admits(None, None));
        let ex = CustomerFilter::Exclude(vec![CustomerMatch::parse("cus_1")]);
        assert!(!ex.admits(Some("cus_1"), None));
        assert!(ex.admits(Some("cus_2"), None));
        assert!(ex.admits(None, None));
    }
}

//! Approval tokens: bind a reviewed plan to one source account and mode.

use serde::{Deserialize, Serialize};

use super::ImportPlan;
use crate::source::AccountInfo;

/// Proof that a person reviewed this plan against this account.
///
/// The token is a hash of the plan hash, the source system, account and mode;
/// any change to the plan or the account invalidates it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Approval {
    /// The token.
    pub token: String,
}

impl Approval {
    /// The approval a review of `plan` against `account` produces.
    pub fn for_plan(plan: &ImportPlan, account: &AccountInfo) -> Approval {
        use sha2::{Digest, Sha256};
        let mode = if account.livemode { "live" } else { "test" };
        let material = format!(
            "tieout-approval/v1\n{}\n{}\n{}\n{}",
            plan.hash(),
            account.system,
            account.account,
            mode
        );
        Approval {
            token: format!("apv_{}", hex::encode(Sha256::digest(material.as_bytes()))),
        }
    }

    /// Whether this approval covers `plan` on `account`.
    pub fn covers(&self, plan: &ImportPlan, account: &AccountInfo) -> bool {
        Approval::for_plan(plan, account).token == self.token
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn acct(live: bool) -> AccountInfo {
        AccountInfo {
            system: "stripe".into(),
            account: "acct_1".into(),
            livemode: live,
            key_kind: "secret".into(),
        }
    }

    #[test]
    fn any_change_invalidates() {
        let plan = ImportPlan::default();
        let a = Approval::for_plan(&plan, &acct(true));
        assert!(a.covers(&plan, &acct(true)));
        assert!(!a.covers(&plan, &acct(false)));
        let changed = plan.clone().allow_live(true);
        assert!(!a.covers(&changed, &acct(true)));
    }

    #[test]
    fn object_order_does_not_matter() {
        use crate::record::ObjectScope::*;
        let a = ImportPlan::default().objects([Invoices, Customers]);
        let b = ImportPlan::default().objects([Customers, Invoices]);
        assert_eq!(a.hash(), b.hash());
    }
}

//! A source that hands out records it owns, 100 per page, each once: the
//! import bench times planning and committing, not copying the input (the
//! peer writes borrowed records; mapping Stripe JSON has its own bench).

use std::sync::Mutex;

use async_trait::async_trait;
use tieout::core::Result;
use tieout::{AccountInfo, FetchScope, Page, Source, SourceItem};

/// Serves `items` once, in pages of `page` records, by moving them out.
pub struct OwnedPages {
    left: Mutex<std::vec::IntoIter<SourceItem>>,
    total: usize,
    page: usize,
}

impl OwnedPages {
    /// A source of `items` in pages of `page`.
    pub fn new(items: Vec<SourceItem>, page: usize) -> Self {
        OwnedPages {
            total: items.len(),
            left: Mutex::new(items.into_iter()),
            page,
        }
    }
}

#[async_trait]
impl Source for OwnedPages {
    async fn verify(&self) -> Result<AccountInfo> {
        Ok(AccountInfo {
            system: "stripe".into(),
            account: "acct_bench".into(),
            livemode: false,
            key_kind: "records".into(),
        })
    }

    async fn next_page(&self, _scope: &FetchScope, _checkpoint: Option<&str>) -> Result<Page> {
        let mut left = self.left.lock().expect("lock");
        let items: Vec<SourceItem> = left.by_ref().take(self.page).collect();
        let rest = left.len();
        Ok(Page {
            items,
            checkpoint: (self.total - rest).to_string(),
            done: rest == 0,
            notes: Vec::new(),
            total_hint: Some(self.total as u64),
        })
    }

    fn stream(&self) -> String {
        "records:acct_bench".into()
    }
}

//! `RecordsSource`: a [`Source`] over records already in memory.

use async_trait::async_trait;

use crate::error::{CoreError, Result};
use crate::record::SourceItem;
use crate::source::{AccountInfo, FetchScope, Page, Source};

/// Serves a fixed list of items in pages; the checkpoint is the next index.
///
/// Useful for hosts that build records themselves (a CSV export, another
/// system) and for tests.
#[derive(Clone, Debug)]
pub struct RecordsSource {
    account: AccountInfo,
    items: Vec<SourceItem>,
    page_size: usize,
}

impl RecordsSource {
    /// A test-mode source for `account` serving `items`, 100 per page.
    pub fn new(account: &str, items: Vec<SourceItem>) -> Self {
        RecordsSource {
            account: AccountInfo {
                system: "stripe".into(),
                account: account.into(),
                livemode: false,
                key_kind: "records".into(),
            },
            items,
            page_size: 100,
        }
    }

    /// Sets the page size (at least 1).
    pub fn page_size(mut self, n: usize) -> Self {
        self.page_size = n.max(1);
        self
    }

    /// Marks the source as live data.
    pub fn live(mut self, live: bool) -> Self {
        self.account.livemode = live;
        self
    }

    /// Number of items.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// True when there are no items.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

#[async_trait]
impl Source for RecordsSource {
    async fn verify(&self) -> Result<AccountInfo> {
        Ok(self.account.clone())
    }

    async fn next_page(&self, scope: &FetchScope, checkpoint: Option<&str>) -> Result<Page> {
        let start: usize = match checkpoint {
            None | Some("") => 0,
            Some(c) => c
                .parse()
                .map_err(|_| CoreError::Invalid(format!("bad checkpoint {c:?}")))?,
        };
        let end = (start + self.page_size).min(self.items.len());
        let items = self.items[start.min(end)..end]
            .iter()
            .filter(|i| match i {
                SourceItem::Record(r) => {
                    scope.objects.is_empty() || scope.objects.contains(&r.scope())
                }
                SourceItem::Failed(_) => true,
            })
            .cloned()
            .collect();
        Ok(Page {
            items,
            checkpoint: end.to_string(),
            done: end >= self.items.len(),
            notes: Vec::new(),
            total_hint: Some(self.items.len() as u64),
        })
    }

    fn stream(&self) -> String {
        format!("records:{}", self.account.account)
    }
}

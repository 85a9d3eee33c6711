//! `ChangeSet`: what one commit writes.

use serde::{Deserialize, Serialize};

use crate::entity::{Entity, EntityKind};
use crate::model::{ExternalKey, Id, ImportRun};

/// Everything one atomic commit writes. Produced by the core, applied by a store.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ChangeSet {
    /// Records to insert or replace (keyed by kind and id).
    pub upserts: Vec<Entity>,
    /// Records to remove.
    pub deletes: Vec<(EntityKind, Id)>,
    /// Alias keys to add: `(key, id)` pairs.
    pub aliases_add: Vec<(ExternalKey, Id)>,
    /// Alias keys to remove.
    pub aliases_remove: Vec<(ExternalKey, Id)>,
    /// Source checkpoint to store with the changes: `(stream, position)`.
    pub checkpoint: Option<(String, String)>,
    /// Import run entry to insert or replace.
    pub run: Option<ImportRun>,
}

impl ChangeSet {
    /// True when the change set writes nothing.
    pub fn is_empty(&self) -> bool {
        self.upserts.is_empty()
            && self.deletes.is_empty()
            && self.aliases_add.is_empty()
            && self.aliases_remove.is_empty()
            && self.checkpoint.is_none()
            && self.run.is_none()
    }
}

//! Coordination between processes sharing one set of books (PostgreSQL):
//! leases on import streams and the shards of a backfill split between
//! workers. A store that lives in one process (memory, SQLite) has nothing
//! to share: [`crate::Store`]'s defaults hold every stream at once and refuse
//! shards.

use std::time::Duration;

/// The answer to a claim of an import stream ([`crate::Store::claim_stream`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StreamClaim {
    /// The caller holds the stream until its lease expires; every commit
    /// with the stream's checkpoint renews the lease and fails once another
    /// holder took the stream over.
    Held,
    /// Another holder has the stream.
    Busy {
        /// Who holds it (host, process and instance).
        holder: String,
        /// How long its lease still runs unless it is renewed.
        expires_in: Duration,
    },
}

/// One part of a shared backfill: a created-date range of the plan, imported
/// through its own checkpoint stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShardSpec {
    /// Position of the shard in the backfill (0-based).
    pub index: u32,
    /// The checkpoint stream the shard's import commits with (its lease).
    pub stream: String,
    /// What the shard covers, as the facade encodes it (JSON).
    pub spec: String,
}

/// The answer to [`crate::Store::shard_claim`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ShardClaim {
    /// The caller holds this shard (its stream's lease) now.
    Claimed(ShardSpec),
    /// Every unfinished shard is held by a live worker; one of the leases
    /// runs out after `expires_in` unless renewed (a dead worker's shard is
    /// taken over then).
    Wait {
        /// A holder of an unfinished shard.
        holder: String,
        /// When the first lease of an unfinished shard runs out.
        expires_in: Duration,
    },
    /// Every shard is done.
    Done,
}

/// A shard as the books record it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShardState {
    /// The shard.
    pub spec: ShardSpec,
    /// Whether its import finished.
    pub done: bool,
    /// What its import reported (the facade's encoding), once done.
    pub result: Option<String>,
    /// The worker that finished it, or holds it now.
    pub holder: Option<String>,
}

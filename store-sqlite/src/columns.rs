//! The indexed columns each kind's table carries next to the record JSON:
//! shared with the PostgreSQL store, so they live in the core.

pub(crate) use tieout_core::store::columns::{
    TimeColumn, columns_of, has_customer, time_indexed, value,
};

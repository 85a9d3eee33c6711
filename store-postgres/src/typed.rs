//! Statements sent with their parameter types: one round trip each.
//!
//! `Client::query(&str, ..)` first prepares a named statement (a round trip
//! to learn the parameter types), then binds and executes it (a second one).
//! Every statement of the store casts its parameters (`$1::text[]`, ...) or
//! compares them with typed columns, so the types are known here: sent with
//! the statement as an unnamed one, parse, bind and execute travel together.
//! Nothing is prepared on the session, which also suits a transaction-pooling
//! PgBouncer. A webhook's commit is a dozen statements: this halves its round
//! trips.

use postgres::types::{ToSql, Type};
use postgres::{GenericClient, Row};

/// A statement parameter whose PostgreSQL type follows from its Rust type.
pub(crate) trait Param: ToSql + Sync {
    /// The parameter's PostgreSQL type.
    fn pg_type(&self) -> Type;
}

macro_rules! param {
    ($ty:ty => $pg:ident) => {
        impl Param for $ty {
            fn pg_type(&self) -> Type {
                Type::$pg
            }
        }
    };
}

param!(String => TEXT);
param!(&str => TEXT);
param!(i64 => INT8);
param!(i32 => INT4);
param!(Vec<String> => TEXT_ARRAY);
param!(Vec<&str> => TEXT_ARRAY);
param!(&[&str] => TEXT_ARRAY);
param!(Vec<Option<String>> => TEXT_ARRAY);
param!(Vec<Option<i64>> => INT8_ARRAY);

/// Runs `sql` with `params` in one round trip and returns its rows (none
/// for a statement without `RETURNING`).
pub(crate) fn query(
    client: &mut impl GenericClient,
    sql: &str,
    params: &[&dyn Param],
) -> Result<Vec<Row>, postgres::Error> {
    let typed: Vec<(&(dyn ToSql + Sync), Type)> = params
        .iter()
        .map(|&p| (p as &(dyn ToSql + Sync), p.pg_type()))
        .collect();
    client.query_typed(sql, &typed)
}

/// [`query`] for a statement that returns at most one row.
pub(crate) fn query_opt(
    client: &mut impl GenericClient,
    sql: &str,
    params: &[&dyn Param],
) -> Result<Option<Row>, postgres::Error> {
    Ok(query(client, sql, params)?.into_iter().next())
}

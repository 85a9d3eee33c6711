//! Shared test helpers: the test server's URL and throwaway schemas.

#![allow(dead_code)]

use std::sync::atomic::{AtomicU32, Ordering};

/// The PostgreSQL the tests use (`TIEOUT_TEST_PG_URL`, set by `scripts/test`
/// through `scripts/pg.sh`). Without it a test is skipped locally, but fails
/// under `CI=true`: CI runs every PostgreSQL test.
pub fn pg_url() -> Option<String> {
    match std::env::var("TIEOUT_TEST_PG_URL") {
        Ok(u) if !u.is_empty() => Some(u),
        _ => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "CI=true but TIEOUT_TEST_PG_URL is not set: run the tests through \
                 scripts/test (scripts/pg.sh starts a PostgreSQL server)"
            );
            eprintln!("TIEOUT_TEST_PG_URL is not set: PostgreSQL test not run");
            None
        }
    }
}

/// A schema name no other test uses, dropped (with everything in it) when
/// the value is dropped.
pub struct Schema {
    url: String,
    /// The schema's name.
    pub name: String,
}

static NEXT: AtomicU32 = AtomicU32::new(0);

impl Schema {
    /// A fresh, not yet existing schema on the server at `url`.
    pub fn fresh(url: &str, tag: &str) -> Schema {
        let name = format!(
            "t_{tag}_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let s = Schema {
            url: url.to_string(),
            name,
        };
        s.drop_schema();
        s
    }

    fn drop_schema(&self) {
        let mut c = postgres::Client::connect(&self.url, postgres::NoTls).expect("connect");
        c.batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.name))
            .expect("drop schema");
    }
}

impl Drop for Schema {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            self.drop_schema();
        }
    }
}

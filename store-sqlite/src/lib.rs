//! tieout-sqlite

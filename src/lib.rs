//! tieout

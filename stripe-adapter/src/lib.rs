//! tieout-stripe

//! Exact money: ISO currencies, decimal amounts, minor units and splitting.

mod amount;
mod currency;
mod split;

pub use amount::Money;
pub use currency::Currency;
pub use split::{dmin, split_by_shares, split_evenly, sum};

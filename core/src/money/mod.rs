//! Exact money: ISO currencies, decimal amounts, minor units and splitting.

mod amount;
mod currency;
mod scale;
mod split;

pub use amount::Money;
pub use currency::Currency;
pub use scale::{at_scale, at_scale_opt, scale_in_place};
pub use split::{dmin, split_by_shares, split_evenly, sum};

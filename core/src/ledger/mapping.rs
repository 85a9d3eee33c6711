//! `LedgerMapping`: the chart of accounts journal entries post to.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::money::Currency;

/// Which account each kind of posting goes to. Names are the user's; the
/// default uses Beancount-style names (`Assets:Stripe:Balance`), which hledger
/// also accepts, so both plain-text exports check as they are.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct LedgerMapping {
    /// Accounts receivable (invoices issued, payments received).
    pub accounts_receivable: String,
    /// Revenue for invoice lines without a more specific account.
    pub revenue: String,
    /// Revenue per product or price source id (`prod_...`, `price_...`).
    pub revenue_by_product: BTreeMap<String, String>,
    /// Deferred revenue (optional). When set, invoice lines whose service
    /// period runs past the invoice's issue day are booked to it at issue and
    /// recognised into revenue month by month (see [`super::deferral`]);
    /// unset, every line is revenue at issue.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deferred_revenue: Option<String>,
    /// Invoice-level discounts (contra revenue).
    pub discounts: String,
    /// Sales tax payable.
    pub tax_payable: String,
    /// Sales tax payable per rate in percent as text (`"20"`, `"8.25"`).
    pub tax_payable_by_rate: BTreeMap<String, String>,
    /// The Stripe balance (one account holding every settlement currency).
    pub stripe_balance: String,
    /// The Stripe balance per settlement currency, when kept apart.
    pub stripe_balance_by_currency: BTreeMap<Currency, String>,
    /// Funds Stripe holds in reserve.
    pub stripe_reserve: String,
    /// Stripe processing fees.
    pub stripe_fees: String,
    /// Input tax (VAT/GST) charged on Stripe's fees.
    pub fee_input_tax: String,
    /// Refunds (contra revenue).
    pub refunds: String,
    /// Disputed funds withdrawn, until the dispute is won or lost.
    pub disputes_receivable: String,
    /// Dispute fees.
    pub dispute_fees: String,
    /// Disputes lost.
    pub chargeback_losses: String,
    /// Bad debt (uncollectible invoices, write-offs).
    pub bad_debt: String,
    /// Conversion between presentment and settlement currencies (FX gain/loss).
    pub fx_gain_loss: String,
    /// The bank account payouts arrive in.
    pub bank: String,
    /// Payouts sent but not yet matched to a bank deposit.
    pub payouts_in_transit: String,
    /// Customer credit (money received that no invoice claims).
    pub customer_credit: String,
    /// Anything tieout cannot classify; every such entry is listed.
    pub suspense: String,
}

impl Default for LedgerMapping {
    fn default() -> Self {
        let s = str::to_string;
        LedgerMapping {
            accounts_receivable: s("Assets:Receivables:Stripe"),
            revenue: s("Income:Sales"),
            revenue_by_product: BTreeMap::new(),
            deferred_revenue: None,
            discounts: s("Income:Sales:Discounts"),
            tax_payable: s("Liabilities:SalesTax"),
            tax_payable_by_rate: BTreeMap::new(),
            stripe_balance: s("Assets:Stripe:Balance"),
            stripe_balance_by_currency: BTreeMap::new(),
            stripe_reserve: s("Assets:Stripe:Reserve"),
            stripe_fees: s("Expenses:Stripe:Fees"),
            fee_input_tax: s("Assets:Tax:InputTax"),
            refunds: s("Income:Sales:Refunds"),
            disputes_receivable: s("Assets:Stripe:Disputes"),
            dispute_fees: s("Expenses:Stripe:DisputeFees"),
            chargeback_losses: s("Expenses:Stripe:Chargebacks"),
            bad_debt: s("Expenses:BadDebt"),
            fx_gain_loss: s("Income:FX"),
            bank: s("Assets:Bank"),
            payouts_in_transit: s("Assets:Stripe:InTransit"),
            customer_credit: s("Liabilities:CustomerCredit"),
            suspense: s("Equity:Suspense"),
        }
    }
}

impl LedgerMapping {
    /// The Stripe balance account for `currency`.
    pub fn balance_account(&self, currency: Currency) -> &str {
        self.stripe_balance_by_currency
            .get(&currency)
            .unwrap_or(&self.stripe_balance)
    }

    /// The revenue account of a line with this product and price.
    pub fn revenue_account(&self, product: Option<&str>, price: Option<&str>) -> &str {
        price
            .and_then(|p| self.revenue_by_product.get(p))
            .or_else(|| product.and_then(|p| self.revenue_by_product.get(p)))
            .unwrap_or(&self.revenue)
    }

    /// The tax payable account for a rate in percent as text.
    pub fn tax_account(&self, rate: Option<&str>) -> &str {
        rate.and_then(|r| self.tax_payable_by_rate.get(r))
            .unwrap_or(&self.tax_payable)
    }
}

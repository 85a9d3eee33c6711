//! `books.writeOff(invoiceId, reason, now?)`: an invoice's open amount
//! written off by hand (see `tieout::Books::write_off`).

use napi::Env;
use napi::bindgen_prelude::PromiseRaw;
use napi_derive::napi;

use crate::books::Books;
use crate::invoicing::now_of;
use crate::records::Invoice;
use crate::task::{blocking, rejected};

#[napi]
impl Books {
    /// Writes off an invoice's open amount for `reason` at `now` (ISO;
    /// default now): it becomes `uncollectible` with `writeOff` set; a later
    /// payment recovers it. Again on a written-off invoice changes nothing;
    /// a settled one is `INVOICE_SETTLED`, a draft `INVALID_ARGUMENT`.
    #[napi(ts_return_type = "Promise<Invoice>")]
    pub fn write_off<'env>(
        &self,
        env: &'env Env,
        invoice_id: String,
        reason: String,
        now: Option<String>,
    ) -> napi::Result<PromiseRaw<'env, Invoice>> {
        let now = match now_of(now.as_deref()) {
            Ok(t) => t,
            Err(e) => return rejected(env, e),
        };
        let b = self.inner.clone();
        blocking(env, move || {
            Ok(Invoice::from(&b.write_off(&invoice_id, &reason, now)?))
        })
    }
}

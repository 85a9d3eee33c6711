//! Engine records to the frozen classes of `tieout._records` (conversion only).

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyModule};
use tieout::{
    AccountInfo, Allocation, BalanceTransaction, BankLine, Counts, CreditNote, CreditNoteLine,
    Currency, Customer, Dispute, EventOutcome, Failure, FeeDetail, ImportRun, Invoice, InvoiceLine,
    InvoiceWriteOff, OriginalCustomer, Payment, PaymentRefs, Payout, Price, Product, Refund,
    Review, ReviewEntry, ReviewSummary, SourceRef, Subscription, SubscriptionItem,
};

/// A converted Python object.
pub(crate) type Obj<'py> = Bound<'py, PyAny>;

/// Builds a kwargs dict: `kw!(py; a = x, b = y)`.
macro_rules! kw {
    ($py:expr; $($k:ident = $v:expr),* $(,)?) => {{
        let d = PyDict::new($py);
        $( d.set_item(stringify!($k), $v)?; )*
        d
    }};
}

/// The `tieout._records` module, with helpers to build its classes.
pub(crate) struct Records<'py> {
    py: Python<'py>,
    m: Bound<'py, PyModule>,
}

impl<'py> Records<'py> {
    /// Imports `tieout._records`.
    pub(crate) fn new(py: Python<'py>) -> PyResult<Self> {
        Ok(Records {
            py,
            m: py.import("tieout._records")?,
        })
    }

    /// A Python `str`.
    pub(crate) fn text(&self, s: &str) -> PyResult<Obj<'py>> {
        Ok(pyo3::types::PyString::new(self.py, s).into_any())
    }

    fn make(&self, class: &str, kwargs: Bound<'py, PyDict>) -> PyResult<Obj<'py>> {
        self.m.getattr(class)?.call((), Some(&kwargs))
    }

    fn en(&self, class: &str, value: &str) -> PyResult<Obj<'py>> {
        self.m
            .getattr("_enum")?
            .call1((self.m.getattr(class)?, value))
    }

    fn list<T>(
        &self,
        items: &[T],
        f: impl Fn(&Self, &T) -> PyResult<Obj<'py>>,
    ) -> PyResult<Obj<'py>> {
        let out = PyList::empty(self.py);
        for i in items {
            out.append(f(self, i)?)?;
        }
        Ok(out.into_any())
    }

    fn opt<T>(
        &self,
        v: Option<&T>,
        f: impl Fn(&Self, &T) -> PyResult<Obj<'py>>,
    ) -> PyResult<Option<Obj<'py>>> {
        v.map(|x| f(self, x)).transpose()
    }

    /// `AccountInfo`.
    pub(crate) fn account(&self, a: &AccountInfo) -> PyResult<Obj<'py>> {
        let py = self.py;
        self.make(
            "AccountInfo",
            kw!(py; system = &a.system, account = &a.account, livemode = a.livemode, key_kind = &a.key_kind),
        )
    }

    fn original_customer(&self, c: &OriginalCustomer) -> PyResult<Obj<'py>> {
        let py = self.py;
        self.make(
            "OriginalCustomer",
            kw!(py; external_id = &c.external_id, name = &c.name, email = &c.email),
        )
    }

    fn source(&self, s: &SourceRef) -> PyResult<Obj<'py>> {
        let py = self.py;
        self.make(
            "SourceRef",
            kw!(py;
                system = &s.system, account = &s.account, object = &s.object,
                external_id = &s.external_id, status = &s.status, url = &s.url,
                updated_at = s.updated_at, created_at = s.created_at, livemode = s.livemode,
                original_customer = self.opt(s.original_customer.as_ref(), Self::original_customer)?,
            ),
        )
    }

    fn refs(&self, r: &PaymentRefs) -> PyResult<Obj<'py>> {
        let py = self.py;
        self.make(
            "PaymentRefs",
            kw!(py;
                charge = &r.charge, payment_intent = &r.payment_intent,
                invoice_payments = &r.invoice_payments, balance_transaction = &r.balance_transaction,
                checkout_session = &r.checkout_session, paid_invoice = &r.paid_invoice,
            ),
        )
    }

    /// `Customer`.
    pub(crate) fn customer(&self, c: &Customer) -> PyResult<Obj<'py>> {
        let py = self.py;
        let address = match &c.address {
            Some(a) => Some(self.make(
                "Address",
                kw!(py;
                    line1 = &a.line1, line2 = &a.line2, city = &a.city, state = &a.state,
                    postal_code = &a.postal_code, country = &a.country,
                ),
            )?),
            None => None,
        };
        let kind = match c.kind {
            tieout::CustomerKind::Company => "company",
            tieout::CustomerKind::Contact => "contact",
        };
        self.make(
            "Customer",
            kw!(py;
                id = &c.id, source = self.opt(c.source.as_ref(), Self::source)?,
                kind = self.en("CustomerKind", kind)?, name = &c.name, email = &c.email,
                phone = &c.phone, address = address, deleted = c.deleted, metadata = &c.metadata,
            ),
        )
    }

    /// `Product`.
    pub(crate) fn product(&self, p: &Product) -> PyResult<Obj<'py>> {
        let py = self.py;
        self.make(
            "Product",
            kw!(py;
                id = &p.id, source = self.source(&p.source)?, name = &p.name,
                description = &p.description, active = p.active,
            ),
        )
    }

    /// `Price`.
    pub(crate) fn price(&self, p: &Price) -> PyResult<Obj<'py>> {
        let py = self.py;
        let interval = match &p.recurring {
            Some(r) => Some(self.en("Interval", r.interval.as_str())?),
            None => None,
        };
        self.make(
            "Price",
            kw!(py;
                id = &p.id, source = self.source(&p.source)?, product_id = &p.product_id,
                product_ref = &p.product_ref, currency = code(&p.currency),
                unit_amount = p.unit_amount, interval = interval,
                interval_count = p.recurring.as_ref().map(|r| r.interval_count),
                active = p.active, nickname = &p.nickname,
            ),
        )
    }

    fn line(&self, l: &InvoiceLine) -> PyResult<Obj<'py>> {
        let py = self.py;
        self.make(
            "InvoiceLine",
            kw!(py;
                external_id = &l.external_id, description = &l.description, quantity = l.quantity,
                unit_amount = l.unit_amount, amount = l.amount, tax = l.tax,
                period_start = l.period_start, period_end = l.period_end, price_ref = &l.price_ref,
                product_ref = &l.product_ref, subscription_item_ref = &l.subscription_item_ref,
                proration = l.proration,
            ),
        )
    }

    /// `Invoice`.
    pub(crate) fn invoice(&self, i: &Invoice) -> PyResult<Obj<'py>> {
        let py = self.py;
        self.make(
            "Invoice",
            kw!(py;
                id = &i.id, source = self.source(&i.source)?, customer_id = &i.customer_id,
                customer_ref = self.opt(i.customer_ref.as_ref(), Self::original_customer)?,
                subscription_id = &i.subscription_id, subscription_ref = &i.subscription_ref,
                number = &i.number, status = self.en("InvoiceStatus", i.status.as_str())?,
                currency = code(&i.currency), subtotal = i.subtotal, discount = i.discount,
                tax = i.tax, total = i.total, amount_due = i.amount_due,
                amount_paid = i.amount_paid, amount_remaining = i.amount_remaining,
                amount_written_off = i.amount_written_off,
                source_amount_paid = i.source_amount_paid,
                amount_credited = i.amount_credited, source_credited = i.source_credited,
                issued_at = i.issued_at,
                due_date = i.due_date, paid_at = i.paid_at,
                lines = self.list(&i.lines, Self::line)?, lines_complete = i.lines_complete,
                payment_refs = self.refs(&i.payment_refs)?, metadata = &i.metadata,
                write_off = self.opt(i.write_off.as_ref(), Self::invoice_write_off)?,
            ),
        )
    }

    /// `InvoiceWriteOff`.
    fn invoice_write_off(&self, w: &InvoiceWriteOff) -> PyResult<Obj<'py>> {
        let py = self.py;
        self.make(
            "InvoiceWriteOff",
            kw!(py;
                amount = w.amount, reason = &w.reason, at = w.at, recovered = w.recovered,
                state = w.state(),
            ),
        )
    }

    fn fee_detail(&self, f: &FeeDetail) -> PyResult<Obj<'py>> {
        let py = self.py;
        self.make(
            "FeeDetail",
            kw!(py;
                amount = f.amount, currency = code(&f.currency), kind = &f.kind,
                description = &f.description,
            ),
        )
    }

    /// `Payment`, with `external_ids`: every source id that names it.
    pub(crate) fn payment(&self, p: &Payment) -> PyResult<Obj<'py>> {
        let py = self.py;
        let external_ids = p.external_ids();
        self.make(
            "Payment",
            kw!(py;
                id = &p.id, source = self.source(&p.source)?, external_ids = external_ids,
                customer_id = &p.customer_id,
                customer_ref = self.opt(p.customer_ref.as_ref(), Self::original_customer)?,
                refs = self.refs(&p.refs)?, status = self.en("PaymentStatus", p.status.as_str())?,
                amount = p.amount, currency = code(&p.currency),
                settlement_amount = p.settlement_amount,
                settlement_currency = p.settlement_currency.as_ref().map(code),
                fx_rate = p.fx_rate, fee = p.fee,
                fee_details = self.list(&p.fee_details, Self::fee_detail)?, net = p.net,
                method = &p.method, received_at = p.received_at, refunded = p.refunded,
                refunded_reported = p.refunded_reported,
                disputed = p.disputed, allocated = p.allocated, unapplied = p.unapplied,
                unapplied_reasons = &p.unapplied_reasons, description = &p.description,
                metadata = &p.metadata,
            ),
        )
    }

    /// `Allocation`.
    pub(crate) fn allocation(&self, a: &Allocation) -> PyResult<Obj<'py>> {
        let py = self.py;
        let reason = self.make(
            "AllocationReason",
            kw!(py;
                strategy = self.en("MatchStrategy", a.reason.strategy.as_str())?,
                detail = &a.reason.detail,
            ),
        )?;
        let kind = match a.kind {
            tieout::AllocationKind::Payment => "payment",
            tieout::AllocationKind::WriteOff => "write_off",
        };
        self.make(
            "Allocation",
            kw!(py;
                id = &a.id, payment_id = &a.payment_id, invoice_id = &a.invoice_id,
                amount = a.amount, currency = code(&a.currency), reason = reason,
                kind = self.en("AllocationKind", kind)?, allocated_at = a.allocated_at,
            ),
        )
    }

    fn subscription_item(&self, i: &SubscriptionItem) -> PyResult<Obj<'py>> {
        let py = self.py;
        self.make(
            "SubscriptionItem",
            kw!(py;
                external_id = &i.external_id, price_ref = &i.price_ref,
                product_ref = &i.product_ref, quantity = i.quantity, unit_amount = i.unit_amount,
                interval = self.en("Interval", i.interval.as_str())?,
                interval_count = i.interval_count,
                current_period_start = i.current_period_start,
                current_period_end = i.current_period_end,
            ),
        )
    }

    /// `Subscription`.
    pub(crate) fn subscription(&self, s: &Subscription) -> PyResult<Obj<'py>> {
        let py = self.py;
        self.make(
            "Subscription",
            kw!(py;
                id = &s.id, source = self.source(&s.source)?, customer_id = &s.customer_id,
                customer_ref = self.opt(s.customer_ref.as_ref(), Self::original_customer)?,
                status = self.en("SubscriptionStatus", s.status.as_str())?,
                currency = code(&s.currency), amount = s.amount,
                interval = self.en("Interval", s.interval.as_str())?,
                interval_count = s.interval_count, start_date = s.start_date,
                current_period_start = s.current_period_start,
                current_period_end = s.current_period_end,
                next_billing_date = s.next_billing_date,
                cancel_at_period_end = s.cancel_at_period_end, canceled_at = s.canceled_at,
                ended_at = s.ended_at, trial_end = s.trial_end,
                items = self.list(&s.items, Self::subscription_item)?,
            ),
        )
    }

    /// `Refund`.
    pub(crate) fn refund(&self, r: &Refund) -> PyResult<Obj<'py>> {
        let py = self.py;
        self.make(
            "Refund",
            kw!(py;
                id = &r.id, source = self.source(&r.source)?, payment_id = &r.payment_id,
                payment_refs = self.refs(&r.payment_refs)?, amount = r.amount,
                currency = code(&r.currency), status = &r.status, reason = &r.reason,
                created_at = r.created_at, balance_transaction = &r.balance_transaction,
            ),
        )
    }

    fn credit_note_line(&self, l: &CreditNoteLine) -> PyResult<Obj<'py>> {
        let py = self.py;
        self.make(
            "CreditNoteLine",
            kw!(py;
                external_id = &l.external_id, kind = &l.kind, description = &l.description,
                quantity = l.quantity, amount = l.amount, invoice_line_ref = &l.invoice_line_ref,
            ),
        )
    }

    /// `CreditNote`.
    pub(crate) fn credit_note(&self, c: &CreditNote) -> PyResult<Obj<'py>> {
        let py = self.py;
        self.make(
            "CreditNote",
            kw!(py;
                id = &c.id, source = self.source(&c.source)?, invoice_id = &c.invoice_id,
                invoice_ref = &c.invoice_ref, customer_id = &c.customer_id,
                customer_ref = self.opt(c.customer_ref.as_ref(), Self::original_customer)?,
                number = &c.number, currency = code(&c.currency), amount = c.amount,
                pre_payment_amount = c.pre_payment_amount,
                post_payment_amount = c.post_payment_amount, refund_amount = c.refund_amount,
                credit_amount = c.credit_amount, out_of_band_amount = c.out_of_band_amount,
                refund_refs = &c.refund_refs,
                customer_balance_transaction = &c.customer_balance_transaction,
                reason = &c.reason, memo = &c.memo, effective_at = c.effective_at,
                voided_at = c.voided_at, lines = self.list(&c.lines, Self::credit_note_line)?,
            ),
        )
    }

    /// `Dispute`.
    pub(crate) fn dispute(&self, d: &Dispute) -> PyResult<Obj<'py>> {
        let py = self.py;
        let status = match &d.status {
            tieout::DisputeStatus::Other(s) => s.clone(),
            known => serde_json::to_value(known)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
        };
        self.make(
            "Dispute",
            kw!(py;
                id = &d.id, source = self.source(&d.source)?, payment_id = &d.payment_id,
                payment_refs = self.refs(&d.payment_refs)?, amount = d.amount,
                currency = code(&d.currency), status = self.en("DisputeStatus", &status)?,
                reason = &d.reason, created_at = d.created_at,
            ),
        )
    }

    /// `BalanceTransaction`.
    pub(crate) fn balance_transaction(&self, b: &BalanceTransaction) -> PyResult<Obj<'py>> {
        let py = self.py;
        self.make(
            "BalanceTransaction",
            kw!(py;
                id = &b.id, source = self.source(&b.source)?, amount = b.amount,
                currency = code(&b.currency), fee = b.fee,
                fee_details = self.list(&b.fee_details, Self::fee_detail)?, net = b.net,
                exchange_rate = b.exchange_rate, kind = &b.kind,
                reporting_category = &b.reporting_category, status = &b.status,
                available_on = b.available_on, source_object = &b.source_object,
                payout_ref = &b.payout_ref, payment_id = &b.payment_id,
            ),
        )
    }

    /// `Payout`.
    pub(crate) fn payout(&self, p: &Payout) -> PyResult<Obj<'py>> {
        let py = self.py;
        self.make(
            "Payout",
            kw!(py;
                id = &p.id, source = self.source(&p.source)?, amount = p.amount,
                currency = code(&p.currency), status = &p.status, arrival_date = p.arrival_date,
                automatic = p.automatic, method = &p.method,
                statement_descriptor = &p.statement_descriptor,
                balance_transaction_ids = &p.balance_transaction_ids, deposit_id = &p.deposit_id,
            ),
        )
    }

    /// `BankLine`.
    pub(crate) fn bank_line(&self, b: &BankLine) -> PyResult<Obj<'py>> {
        let py = self.py;
        self.make(
            "BankLine",
            kw!(py;
                id = &b.id, account = &b.account, date = b.date, amount = b.amount,
                currency = code(&b.currency), description = &b.description,
                reference = &b.reference, payout_id = &b.payout_id,
            ),
        )
    }

    /// `Counts`.
    pub(crate) fn counts(&self, c: &Counts) -> PyResult<Obj<'py>> {
        let py = self.py;
        self.make(
            "Counts",
            kw!(py;
                created = c.created, updated = c.updated, unchanged = c.unchanged,
                skipped = c.skipped, failed = c.failed,
            ),
        )
    }

    fn counts_map(&self, m: &std::collections::BTreeMap<String, Counts>) -> PyResult<Obj<'py>> {
        let d = PyDict::new(self.py);
        for (k, v) in m {
            d.set_item(k, self.counts(v)?)?;
        }
        Ok(d.into_any())
    }

    fn failure(&self, f: &Failure) -> PyResult<Obj<'py>> {
        let py = self.py;
        self.make(
            "Failure",
            kw!(py; object = &f.object, external_id = &f.external_id, error = &f.error),
        )
    }

    /// `ImportRun`.
    pub(crate) fn run(&self, r: &ImportRun) -> PyResult<Obj<'py>> {
        let py = self.py;
        self.make(
            "ImportRun",
            kw!(py;
                id = &r.id, plan_hash = &r.plan_hash, source = &r.source, mode = &r.mode,
                status = self.en("RunStatus", r.status.as_str())?, started_at = r.started_at,
                finished_at = r.finished_at, created = r.totals.created,
                updated = r.totals.updated, unchanged = r.totals.unchanged,
                skipped = r.totals.skipped, failed = r.totals.failed,
                totals = self.counts(&r.totals)?, by_object = self.counts_map(&r.by_object)?,
                failures = self.list(&r.failures, Self::failure)?, notes = &r.notes,
                error = &r.error,
                summary = r.summary.as_ref().map(|s| self.summary(s)).transpose()?,
            ),
        )
    }

    pub(crate) fn worker_report(&self, r: &tieout::WorkerReport) -> PyResult<Obj<'py>> {
        let py = self.py;
        self.make(
            "WorkerReport",
            kw!(py;
                worker = &r.worker, shards = &r.shards, shards_total = r.shards_total,
                run = self.run(&r.run)?,
            ),
        )
    }

    pub(crate) fn entry(&self, e: &ReviewEntry) -> PyResult<Obj<'py>> {
        let py = self.py;
        let changes = PyList::empty(py);
        let (mut reason, mut error) = (None, None);
        match &e.action {
            tieout::Action::Update { changes: cs } => {
                for c in cs {
                    changes.append(self.make(
                        "FieldChange",
                        kw!(py; path = &c.path, before = json_to_py(py, &c.before)?, after = json_to_py(py, &c.after)?),
                    )?)?;
                }
            }
            tieout::Action::Skipped { reason: r } => reason = Some(r),
            tieout::Action::Failed { error: r } => error = Some(r),
            tieout::Action::Create | tieout::Action::Unchanged => {}
        }
        self.make(
            "ReviewEntry",
            kw!(py;
                object = &e.object, external_id = &e.external_id, books_id = &e.books_id,
                action = self.en("Action", e.action.as_str())?, changes = changes,
                reason = reason, error = error,
            ),
        )
    }

    /// `ReviewSummary`.
    fn summary(&self, s: &ReviewSummary) -> PyResult<Obj<'py>> {
        let py = self.py;
        self.make(
            "ReviewSummary",
            kw!(py;
                system = &s.system, account = &s.account, livemode = s.livemode,
                key_kind = &s.key_kind, objects = &s.objects,
                customer_resolution = &s.customer_resolution,
                fixed_customer = &s.fixed_customer, match_by_email = s.match_by_email,
                customer_filter = &s.customer_filter, filter_customers = &s.filter_customers,
                created_from = s.created_from, created_to = s.created_to,
                invoice_statuses = &s.invoice_statuses, paid_invoices = &s.paid_invoices,
                unpaid_invoices = &s.unpaid_invoices, allocation_order = &s.allocation_order,
                match_on_import = s.match_on_import, write_off_abs = s.write_off_abs,
                write_off_pct = s.write_off_pct, fees = &s.fees, fx = &s.fx,
                post_actions = &s.post_actions, allow_live = s.allow_live,
            ),
        )
    }

    /// `Review`.
    pub(crate) fn review(&self, r: &Review) -> PyResult<Obj<'py>> {
        let py = self.py;
        let totals = PyDict::new(py);
        for (object, per) in &r.totals {
            let d = PyDict::new(py);
            for (cur, t) in per {
                d.set_item(
                    cur.code(),
                    self.make("Total", kw!(py; count = t.count, amount = t.amount))?,
                )?;
            }
            totals.set_item(object, d)?;
        }
        self.make(
            "Review",
            kw!(py;
                account = self.account(&r.account)?, plan_hash = &r.plan_hash,
                summary = self.summary(&r.summary)?, summary_text = r.summary_text(),
                approval = self.make("Approval", kw!(py; token = &r.approval.token))?,
                entries = self.make("ReviewEntries", kw!(py; pages = pyo3::Py::new(
                    py,
                    crate::review_pages::PyReviewEntryPages { inner: r.entries.clone() },
                )?))?,
                allocations = self.make("ReviewAllocations", kw!(py; pages = pyo3::Py::new(
                    py,
                    crate::review_pages::PyReviewAllocationPages {
                        inner: r.allocations.clone(),
                    },
                )?))?,
                allocations_removed = self.make("ReviewRemovals", kw!(py; pages = pyo3::Py::new(
                    py,
                    crate::review_pages::PyReviewRemovalPages {
                        inner: r.allocations_removed.clone(),
                    },
                )?))?,
                counts = self.counts_map(&r.counts)?,
                total_counts = self.counts(&r.total_counts())?, totals = totals,
                failures = self.list(&r.failures, Self::failure)?, notes = &r.notes,
                collection_cases = self.case_preview(r)?,
            ),
        )
    }

    /// The cases a review previews (`None` without the `collection_cases`
    /// action), aged at the review's time.
    fn case_preview(&self, r: &Review) -> PyResult<Option<Obj<'py>>> {
        r.collection_cases
            .as_ref()
            .map(|o| {
                let at = o
                    .opened
                    .first()
                    .and_then(|c| c.opened_at())
                    .unwrap_or_else(chrono::Utc::now);
                crate::receivables::opening_to_py(self.py, o, at)
            })
            .transpose()
    }

    /// `EventOutcome`.
    pub(crate) fn event_outcome(&self, o: &EventOutcome) -> PyResult<Obj<'py>> {
        let py = self.py;
        let status = match o.status {
            tieout::EventStatus::Applied => "applied",
            tieout::EventStatus::Duplicate => "duplicate",
            tieout::EventStatus::Ignored => "ignored",
        };
        self.make(
            "EventOutcome",
            kw!(py;
                event_id = &o.event_id, event_type = &o.event_type,
                status = self.en("EventStatus", status)?,
                entries = self.list(&o.entries, Self::entry)?,
                notes = &o.notes,
            ),
        )
    }

    /// A record class built from the engine's JSON form of `value`, converted
    /// by the class's declared field types (`_records._build`); `extra` adds fields.
    pub(crate) fn build_from_serde(
        &self,
        class: &str,
        value: &impl serde::Serialize,
        extra: &[(&str, Obj<'py>)],
    ) -> PyResult<Obj<'py>> {
        let text = serde_json::to_string(value)
            .map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))?;
        let decimal = self.py.import("decimal")?.getattr("Decimal")?;
        let kwargs = PyDict::new(self.py);
        kwargs.set_item("parse_float", decimal)?;
        let data = self
            .py
            .import("json")?
            .getattr("loads")?
            .call((text,), Some(&kwargs))?;
        for (k, v) in extra {
            data.set_item(k, v)?;
        }
        self.m
            .getattr("_build")?
            .call1((self.m.getattr(class)?, data))
    }

    /// A list of records converted with `f`.
    pub(crate) fn records<T>(
        &self,
        items: &[T],
        f: impl Fn(&Self, &T) -> PyResult<Obj<'py>>,
    ) -> PyResult<Obj<'py>> {
        self.list(items, f)
    }
}

/// The ISO code of a currency (`"USD"`).
fn code(c: &Currency) -> String {
    c.code().to_string()
}

/// A JSON value as plain Python (dicts, lists, str, int, float, bool, None).
pub(crate) fn json_to_py<'py>(py: Python<'py>, v: &serde_json::Value) -> PyResult<Obj<'py>> {
    let text = serde_json::to_string(v).unwrap_or_else(|_| "null".into());
    py.import("json")?.call_method1("loads", (text,))
}

/// A JSON-serializable Python value as JSON.
pub(crate) fn py_to_json(obj: &Bound<'_, PyAny>) -> PyResult<serde_json::Value> {
    let text: String = obj
        .py()
        .import("json")?
        .call_method1("dumps", (obj,))?
        .extract()?;
    serde_json::from_str(&text).map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))
}

// Stripe fidelity (issue 13): shapes real accounts send, read the way Stripe means them.
import assert from 'node:assert/strict'
import { test } from 'node:test'

import { assertDecEq, stripeDir, tieout } from './helpers.mjs'

const { Books, StripeFiles } = tieout

const customer = { id: 'cus_A', object: 'customer', name: 'A Co', created: 1700000000 }
const charge = (extra = {}) => ({
  id: 'ch_A', object: 'charge', amount: 1500, amount_captured: 1500, currency: 'usd', customer: 'cus_A',
  status: 'succeeded', paid: true, captured: true, created: 1700000200, amount_refunded: 0, ...extra,
})

test('a subscription without a top-level currency takes its items\' plan currency', async () => {
  const sub = {
    id: 'sub_1', object: 'subscription', customer: 'cus_A', status: 'active', created: 1700000000,
    start_date: 1700000000, current_period_start: 1700000000, current_period_end: 1702592000,
    items: { object: 'list', data: [{ id: 'si_1', quantity: 2, plan: { id: 'plan_1', object: 'plan', currency: 'usd', amount: 1500, interval: 'month', interval_count: 1 } }] },
  }
  const books = Books.inMemory()
  const run = await books.import(new StripeFiles(stripeDir({ 'all.json': [customer, sub] })))
  assert.deepEqual(run.failures, [])
  const [s] = await books.subscriptions()
  assert.equal(s.currency, 'USD')
  assertDecEq(s.amount, '30.00')
})

test("a charge's amount_refunded is the total; a refund record does not add to it", async () => {
  const books = Books.inMemory()
  await books.import(new StripeFiles(stripeDir({ 'all.json': [customer, charge({ amount_refunded: 500 })] })))
  let [p] = await books.payments()
  assertDecEq(p.refunded, '5.00')
  assertDecEq(p.unapplied, '10.00')
  const refund = { id: 're_1', object: 'refund', amount: 500, currency: 'usd', status: 'succeeded', charge: 'ch_A', created: 1700000500 }
  await books.import(new StripeFiles(stripeDir({ 'r.json': [refund] })))
  ;[p] = await books.payments()
  assertDecEq(p.refunded, '5.00')
  assert.equal((await books.refunds()).length, 1)
})

test('a credit note reduces what is open; the report gains a credited column and adds up', async () => {
  const invoice = {
    id: 'in_A', object: 'invoice', customer: 'cus_A', currency: 'usd', status: 'open', created: 1700000100,
    subtotal: 10000, total: 10000, amount_due: 10000, amount_paid: 0, amount_remaining: 10000,
    lines: { object: 'list', has_more: false, data: [{ id: 'il_A', object: 'line_item', amount: 10000, currency: 'usd', quantity: 1 }] },
  }
  const creditNote = {
    id: 'cn_1', object: 'credit_note', invoice: 'in_A', customer: 'cus_A', currency: 'usd', amount: 3000,
    pre_payment_amount: 3000, post_payment_amount: 0, status: 'issued', type: 'pre_payment', reason: 'order_change',
    created: 1700000500, lines: { object: 'list', has_more: false, data: [{ id: 'cnli_1', object: 'credit_note_line_item', type: 'invoice_line_item', invoice_line_item: 'il_A', amount: 3000, quantity: 1 }] },
  }
  const books = Books.inMemory()
  await books.import(new StripeFiles(stripeDir({ 'all.json': [customer, creditNote, invoice] })))
  const [cn] = await books.creditNotes()
  assert.equal(cn.invoiceRef, 'in_A')
  assert.equal(cn.prePaymentAmount, '30.00')
  assert.equal(cn.postPaymentAmount, '0.00')
  assert.equal(cn.reason, 'order_change')
  assert.equal(cn.lines[0].invoiceLineRef, 'il_A')
  const [inv] = await books.invoices()
  assert.equal(cn.invoiceId, inv.id)
  assert.equal(inv.amountCredited, '30.00')
  assert.equal(inv.amountRemaining, '70.00')
  const report = await books.report()
  const t = report.totals.find((x) => x.currency === 'USD')
  assert.equal(t.credited, '30.00')
  assert.equal(t.open, '70.00')
  assert.equal(t.invoiced, '100.00')
  assert.equal(t.addsUp, true)
})

// Issue 13 item 8: a truncated line list (`has_more: true`) with no API to complete it.
const truncatedInvoice = () => ({
  id: 'in_T', object: 'invoice', customer: 'cus_A', currency: 'usd', status: 'open', number: 'T-1', created: 1700000000,
  subtotal: 34010, total: 37410, amount_due: 37410, amount_paid: 0, amount_remaining: 37410, tax: 3400,
  status_transitions: { finalized_at: 1700000100 },
  lines: { object: 'list', has_more: true, data: [20000, 10000].map((a, i) => ({ id: `il_T${i}`, object: 'line_item', amount: a, currency: 'usd', quantity: 1, description: `line ${i}` })) },
})

test('a truncated line list is kept, flagged, noted and never summed', async () => {
  const books = Books.inMemory()
  const source = new StripeFiles(stripeDir({ 'all.json': [customer, truncatedInvoice()] }))
  const review = await books.review(source)
  assert.ok(review.notes.some((n) => n.includes('in_T') && n.includes('lines_complete')), JSON.stringify(review.notes))
  const run = await books.import(source, {}, { approval: review.approval })
  assert.deepEqual(run.failures, [])
  assert.ok(run.notes.some((n) => n.includes('in_T')), JSON.stringify(run.notes))
  const [inv] = await books.invoices()
  assert.equal(inv.linesComplete, false)
  assert.equal(inv.lines.length, 2)
  assert.equal(inv.total, '374.10')
  const issued = (await books.journalEntries()).entries.find((e) => e.id === 'inv:in_T:issued')
  const revenue = issued.postings.filter((p) => p.account === 'Income:Sales').map((p) => p.amount)
  assert.deepEqual(revenue, ['-340.10'])
})

test('an event with a truncated line list says so in its outcome', async () => {
  const body = JSON.stringify({ id: 'evt_T', object: 'event', type: 'invoice.finalized', created: 1700000200, api_version: '2025-03-31.basil', livemode: false, data: { object: truncatedInvoice() } })
  const event = tieout.verifyWebhook(body, tieout.signWebhook(body, 'whsec_t', 1700000200), 'whsec_t', { tolerance: null })
  const books = Books.inMemory()
  const outcome = await books.applyEvent(event)
  assert.ok(outcome.notes.some((n) => n.includes('in_T')), JSON.stringify(outcome.notes))
  const [inv] = await books.invoices()
  assert.equal(inv.linesComplete, false)
})

// Issue 13 item 7: computed amounts carry the currency's scale, as in Rust and Python.
test('amounts carry their currency scale', async () => {
  const books = Books.inMemory()
  await books.import(new StripeFiles(stripeDir({ 'all.json': [customer, charge()] })))
  const [p] = await books.payments()
  assert.deepEqual([p.refunded, p.allocated, p.unapplied], ['0.00', '0.00', '15.00'])
})

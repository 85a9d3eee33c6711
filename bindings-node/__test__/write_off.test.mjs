// Write-off by hand from Node: an own invoice written off (reason and time kept,
// in the history), idempotent, recovered by later payments naming it, then
// refused once settled. Then told to Stripe (localstripe, read back with the
// official stripe SDK): marked uncollectible once, through a crash before the
// request and one after it; one paid in Stripe since is skipped and reported.
import assert from 'node:assert/strict'
import { test } from 'node:test'

import { rejectsWithCode, stripeDir, tieout } from './helpers.mjs'
import { KEY, importCustomersAndInvoices, invoiceStatuses, openInvoices, withLocalstripe } from './localstripe_support.mjs'

const { Books, StripeFiles } = tieout
const T1 = '2025-04-06T09:00:00Z'
const T2 = '2025-06-01T09:00:00Z'

const charge = (id, amount, invoiceId) => ({
  id, object: 'charge', amount, amount_captured: amount, amount_refunded: 0,
  currency: 'usd', customer: null, created: 1748768400, captured: true, paid: true,
  refunded: false, status: 'succeeded', livemode: false, metadata: { invoice: invoiceId },
  invoice: null, payment_intent: null, balance_transaction: null, disputed: false,
})

test('writeOff: uncollectible with the reason, recovered by later payments, then refused', async () => {
  const books = Books.inMemory()
  const c = await books.createCustomer('Acme', { email: 'ap@acme.test' })
  const draft = await books.createInvoice({
    customerId: c.id, lines: [{ description: 'Consulting', quantity: '1', unitAmount: '300.00' }],
    currency: 'usd', dueDate: T1,
  }, T1)
  await rejectsWithCode(books.writeOff(draft.id, 'never sent', T1), 'INVALID_ARGUMENT')
  const inv = await books.issueInvoice(draft.id, T1)

  const off = await books.writeOff(inv.id, 'customer insolvent', T2)
  assert.equal(off.status, 'uncollectible')
  assert.equal(off.amountRemaining, '0.00')
  assert.equal(off.amountWrittenOff, '300.00')
  assert.deepEqual(
    { ...off.writeOff },
    { amount: '300.00', reason: 'customer insolvent', at: '2025-06-01T09:00:00.000Z', recovered: '0.00', state: 'written_off' },
  )
  const notes = (await books.history()).flatMap((r) => r.notes)
  assert.ok(notes.some((n) => n.includes('written off') && n.includes('customer insolvent')), notes.join('\n'))
  const runs = (await books.history()).length
  assert.deepEqual(await books.writeOff(inv.id, 'again', T2), off)
  assert.equal((await books.history()).length, runs)

  await books.import(new StripeFiles(stripeDir({ 'charge.json': charge('ch_wo1', 10000, inv.id) })))
  const part = (await books.invoices()).find((i) => i.id === inv.id)
  assert.equal(part.status, 'uncollectible')
  assert.equal(part.amountPaid, '100.00')
  assert.equal(part.amountWrittenOff, '200.00')
  assert.equal(part.writeOff.recovered, '100.00')
  assert.equal(part.writeOff.state, 'partially_recovered')

  await books.import(new StripeFiles(stripeDir({ 'charge.json': charge('ch_wo2', 20000, inv.id) })))
  const paid = (await books.invoices()).find((i) => i.id === inv.id)
  assert.equal(paid.status, 'paid')
  assert.equal(paid.writeOff.state, 'recovered')
  await rejectsWithCode(books.writeOff(inv.id, 'late', T2), 'INVOICE_SETTLED')
})

withLocalstripe('writeOffs: written-off invoices marked uncollectible in Stripe once, through crashes', {}, async ({ url, sdk }) => {
  const created = openInvoices(sdk, 3, 'wo-node')
  const books = Books.inMemory()
  await importCustomersAndInvoices(books, url)
  const all = (await books.invoices()).filter((i) => created.includes(i.source.externalId))
  const inv = []
  for (const x of all) inv.push(await books.writeOff(x.id, 'gone', T2))
  // Roles follow the order writes are made in (by books id).
  inv.sort((a, b) => (a.id < b.id ? -1 : 1))
  const ids = inv.map((i) => i.source.externalId)
  const base = { apiKey: KEY, baseUrl: url, now: T2 }
  assert.deepEqual((await books.reviewWrites(base)).writes, [], 'off by default')
  await rejectsWithCode(books.reviewWrites({ ...base, writeOffs: 'delete' }), 'INVALID_ARGUMENT')
  sdk(`stripe.Invoice.pay(${JSON.stringify(ids[2])}, paid_out_of_band=True)\nprint('{}')`)

  const opts = { ...base, writeOffs: 'mark_uncollectible' }
  const review = await books.reviewWrites(opts)
  assert.deepEqual(review.writes.map((w) => w.kind), Array(3).fill('invoice_mark_uncollectible'))
  const key = Object.fromEntries(review.writes.map((w) => [w.subject, w.key]))
  assert.deepEqual(invoiceStatuses(sdk, ids), ['open', 'open', 'paid'], 'a review writes nothing')

  await rejectsWithCode(books.applyWrites({ ...opts, crashAt: { key: key[inv[0].id], point: 'recorded' } }), 'ABORTED')
  assert.equal(invoiceStatuses(sdk, [ids[0]])[0], 'open', 'crashed before the request')
  await rejectsWithCode(books.applyWrites({ ...opts, crashAt: { key: key[inv[1].id], point: 'performed' } }), 'ABORTED')
  assert.deepEqual(invoiceStatuses(sdk, ids.slice(0, 2)), ['uncollectible', 'uncollectible'])

  const report = await books.applyWrites(opts)
  assert.ok(report.resolved.includes(key[inv[1].id]), JSON.stringify(report))
  assert.ok(report.cancelled.includes(key[inv[2].id]), JSON.stringify(report))
  assert.deepEqual([report.failed, report.unknown], [[], []])
  assert.deepEqual(invoiceStatuses(sdk, ids), ['uncollectible', 'uncollectible', 'paid'])
  const writes = Object.fromEntries((await books.writes()).map((w) => [w.key, w]))
  assert.equal(writes[key[inv[0].id]].status, 'succeeded')
  assert.equal(writes[key[inv[0].id]].attempts.length, 2)
  assert.match(writes[key[inv[2].id]].outcome.cancelled, /paid in Stripe/)
  const again = await books.applyWrites(opts)
  assert.deepEqual([again.delivered, again.resolved], [[], []])
})

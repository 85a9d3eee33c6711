// Write-back (issue 15) from Node against localstripe, read back with the official
// stripe SDK: invoices the books see paid by a bank transfer are marked paid in
// Stripe (paid_out_of_band) once, through a crash before the request and one after
// it; an invoice voided in Stripe after the import is skipped and reported; one
// already paid there counts as done.
import assert from 'node:assert/strict'

import { rejectsWithCode, tieout } from './helpers.mjs'
import { KEY, importCustomersAndInvoices, invoiceStatuses, openInvoices, withLocalstripe } from './localstripe_support.mjs'

const { Books } = tieout
const T = '2026-03-02T09:00:00Z'

withLocalstripe('write-back marks bank-paid invoices paid in Stripe once, through crashes', {}, async ({ url, sdk }) => {
  const created = openInvoices(sdk, 4, 'node')
  const books = Books.inMemory()
  await importCustomersAndInvoices(books, url)
  const all = await books.invoices()
  // Roles follow the order writes are made in (by books id).
  const inv = all.filter((i) => created.includes(i.source.externalId)).sort((a, b) => (a.id < b.id ? -1 : 1))
  const ids = inv.map((i) => i.source.externalId)
  for (const [n, x] of inv.entries()) {
    assert.equal(x.amountRemaining, '125.00')
    const p = await books.recordPayment({ reference: `bank-node-${n}`, amount: '125.00', currency: 'usd', receivedAt: T, customerId: x.customerId, method: 'bank_transfer' })
    assert.equal((await books.recordPayment({ reference: `bank-node-${n}`, amount: '125.00', currency: 'usd' })).id, p.id)
    await books.allocate(p.id, x.id, '125.00')
  }
  sdk(`stripe.Invoice.void_invoice(${JSON.stringify(ids[2])})\nstripe.Invoice.pay(${JSON.stringify(ids[3])}, paid_out_of_band=True)\nprint('{}')`)

  const opts = { apiKey: KEY, baseUrl: url, now: T }
  const review = await books.reviewWrites(opts)
  assert.equal(review.writeBackMethod, 'paid_out_of_band')
  assert.equal(review.writes.length, 4)
  assert.deepEqual(review.skipped, [])
  const key = Object.fromEntries(review.writes.map((w) => [w.subject, w.key]))
  assert.deepEqual(invoiceStatuses(sdk, ids), ['open', 'open', 'void', 'paid'], 'a review writes nothing')

  // A crash after recording a's write, before the request.
  await rejectsWithCode(books.writeBack({ ...opts, crashAt: { key: key[inv[0].id], point: 'recorded' } }), 'ABORTED')
  assert.equal(invoiceStatuses(sdk, [ids[0]])[0], 'open')
  // A crash after Stripe marked b paid, before the books recorded it.
  await rejectsWithCode(books.writeBack({ ...opts, crashAt: { key: key[inv[1].id], point: 'performed' } }), 'ABORTED')
  assert.equal(invoiceStatuses(sdk, [ids[1]])[0], 'paid')

  const report = await books.applyWrites(opts)
  assert.ok(report.resolved.includes(key[inv[1].id]), JSON.stringify(report))
  assert.ok(report.cancelled.includes(key[inv[2].id]), JSON.stringify(report))
  assert.deepEqual([report.failed, report.unknown], [[], []])
  assert.deepEqual(invoiceStatuses(sdk, ids), ['paid', 'paid', 'void', 'paid'])

  const writes = Object.fromEntries((await books.writes()).map((w) => [w.key, w]))
  assert.equal(writes[key[inv[0].id]].status, 'succeeded')
  assert.equal(writes[key[inv[0].id]].attempts.length, 2)
  // e was done whichever run reached it first: found paid, not sent.
  assert.equal(writes[key[inv[3].id]].status, 'succeeded')
  assert.equal(writes[key[inv[3].id]].outcome.already_paid, true)
  assert.equal(writes[key[inv[2].id]].status, 'cancelled')
  assert.match(writes[key[inv[2].id]].outcome.cancelled, /changed in Stripe/)
  assert.ok((await books.history()).some((r) => r.source === 'books:writes'))

  const again = await books.writeBack(opts)
  assert.deepEqual([again.delivered, again.resolved], [[], []])

  // A live key needs the review's approval.
  const live = { ...opts, apiKey: 'sk_live_tieoutWriteTest0123' }
  const liveReview = await books.reviewWrites(live)
  assert.equal(liveReview.livemode, true)
})

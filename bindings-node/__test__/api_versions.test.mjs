// The API-version matrix (tests/fixtures/api_versions), one pass through Node: the same
// facts as each Stripe API version returns them import to the same books.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { test } from 'node:test'

import { ROOT, tieout } from './helpers.mjs'

const { Books, StripeFiles } = tieout
const MATRIX = path.join(ROOT, 'tests', 'fixtures', 'api_versions')

const versions = fs
  .readdirSync(MATRIX)
  .filter((d) => fs.existsSync(path.join(MATRIX, d, 'api')))
  .sort()

async function facts(books) {
  const invoices = Object.fromEntries(
    (await books.invoices()).map((i) => [
      i.source.externalId,
      [i.status, i.subtotal, i.discount, i.tax, i.total, i.amountPaid, i.amountRemaining, i.subscriptionRef, i.linesComplete,
        i.lines.map((l) => [l.externalId, l.amount, l.tax, l.priceRef])],
    ]),
  )
  const subscriptions = Object.fromEntries(
    (await books.subscriptions()).map((s) => [s.source.externalId, [s.status, s.currency, s.amount, s.nextBillingDate, s.items.map((i) => [i.externalId, i.priceRef])]]),
  )
  const payments = (await books.payments())
    .map((p) => [p.refs.charge ?? '', p.amount, p.refunded, p.allocated, p.unapplied])
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
  return { invoices, subscriptions, payments }
}

test('every API version gives the same books', async () => {
  assert.ok(versions.length >= 5, `versions missing under ${MATRIX}`)
  const all = {}
  for (const v of versions) {
    const books = Books.inMemory()
    const run = await books.import(new StripeFiles(path.join(MATRIX, v, 'api')))
    assert.deepEqual(run.failures, [], v)
    all[v] = await facts(books)
  }
  const ref = all[versions[0]]
  assert.deepEqual(ref.invoices.in_M_paid.slice(0, 7), ['paid', '120.00', '12.00', '10.80', '118.80', '118.80', '0.00'])
  assert.equal(Object.keys(ref.subscriptions).length, 8)
  assert.ok(ref.payments.some((p) => p[0] === 'ch_M2' && p[1] === '15.00' && p[2] === '5.00'), JSON.stringify(ref.payments))
  for (const v of versions) assert.deepEqual(all[v], ref, `${v} differs from ${versions[0]}`)
})

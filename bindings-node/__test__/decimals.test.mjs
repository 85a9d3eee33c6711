// Amounts cross as exact decimal strings: no float ever touches money.
import assert from 'node:assert/strict'
import { test } from 'node:test'

import { assertDecEq, decSum, normDec, stripeDir, tieout } from './helpers.mjs'

const { Books, StripeFiles } = tieout

const invoice = (id, currency, total, paid, status) => ({
  id, object: 'invoice', customer: 'cus_A', currency, status, created: 1700000100,
  subtotal: total, total, amount_due: total, amount_paid: paid, amount_remaining: total - paid,
  lines: { object: 'list', data: [] },
})
const charge = (id, currency, amount, extra = {}) => ({
  id, object: 'charge', amount, currency, customer: 'cus_A', status: 'succeeded', paid: true,
  captured: true, created: 1700000200, amount_refunded: 0, ...extra,
})

async function importDir() {
  const dir = stripeDir({
    'all.json': [
      { id: 'cus_A', object: 'customer', name: 'A Co', email: 'a@example.com', created: 1700000000 },
      invoice('in_USD', 'usd', 30, 0, 'open'),
      charge('ch_010', 'usd', 10, { invoice: 'in_USD' }),
      charge('ch_020', 'usd', 20, { invoice: 'in_USD', created: 1700000300 }),
      invoice('in_KWD', 'kwd', 1234, 1234, 'paid'),
      invoice('in_JPY', 'jpy', 5000, 0, 'open'),
    ],
    // Written as text: a JS number cannot hold 9007199254740993 (2^53 + 1).
    'big.json': JSON.stringify(charge('ch_BIG', 'usd', 0)).replace('"amount":0', '"amount":9007199254740993'),
  })
  const books = Books.inMemory()
  const review = await books.review(new StripeFiles(dir))
  await books.import(new StripeFiles(dir), {}, { approval: review.approval })
  return { books, review }
}

test("'0.10' + '0.20' stays exactly '0.30'", async () => {
  const { books } = await importDir()
  const inv = (await books.invoices()).find((i) => i.source.externalId === 'in_USD')
  const allocs = (await books.allocations()).filter((a) => a.invoiceId === inv.id)
  assert.deepEqual(allocs.map((a) => a.amount).sort(), ['0.10', '0.20'])
  assert.equal(decSum(allocs.map((a) => a.amount)), '0.3')
  assert.equal(inv.amountPaid, '0.30')
  assert.equal(inv.amountRemaining, '0.00')
  assert.equal(inv.status, 'paid')
  assert.notEqual(0.1 + 0.2, 0.3, 'which floats would have got wrong')
})

test('JPY has no minor digits, KWD has three', async () => {
  const { books } = await importDir()
  const byId = Object.fromEntries((await books.invoices()).map((i) => [i.source.externalId, i]))
  assert.equal(byId.in_JPY.total, '5000')
  assert.equal(byId.in_JPY.currency, 'JPY')
  assert.equal(byId.in_JPY.amountRemaining, '5000')
  assert.equal(byId.in_KWD.total, '1.234')
  assert.equal(byId.in_KWD.amountPaid, '1.234')
  assert.equal(byId.in_KWD.amountRemaining, '0.000')
  assert.equal(byId.in_KWD.currency, 'KWD')
})

test('amounts beyond 2^53 minor units keep every digit', async () => {
  const { books, review } = await importDir()
  const big = (await books.payments()).find((p) => p.externalIds.includes('ch_BIG'))
  assert.equal(big.amount, '90071992547409.93')
  assert.equal(big.unapplied, '90071992547409.93')
  const usdCharges = review.totals.find((t) => t.object === 'charge' && t.currency === 'USD')
  assert.equal(usdCharges.count, 3)
  assert.equal(usdCharges.amount, '90071992547410.23')
  assertDecEq(usdCharges.amount, decSum('90071992547409.93', '0.10', '0.20'))
})

test('the decimal helpers compare exactly', () => {
  assert.equal(normDec('0010.500'), '10.5')
  assert.equal(normDec('-0.00'), '0')
  assert.equal(decSum('0.1', '0.2'), '0.3')
  assert.equal(decSum('90071992547409.93', '-0.93'), '90071992547409')
})

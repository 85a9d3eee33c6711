// Async iteration over filtered queries: `for await (const inv of
// books.iterInvoices({...}))` reads one page at a time, in the stable order,
// and equals the list calls.
import assert from 'node:assert/strict'
import path from 'node:path'
import { test } from 'node:test'

import { stripeDir, tieout, tmpdir, throwsWithCode } from './helpers.mjs'

const { Books, StripeFiles } = tieout
const T0 = 1_743_850_000
const DAY = 86_400
const N = 600

function invoice(n) {
  const total = 1000 + n
  const created = T0 + ((n * 7919) % N) * 60
  const currency = n % 4 ? 'usd' : 'eur'
  return {
    id: `in_${String(n).padStart(5, '0')}`, object: 'invoice', customer: n % 3 ? 'cus_A' : 'cus_B',
    currency, created, effective_at: created, status: 'open', livemode: false,
    number: `N-${n}`, subtotal: total, total, amount_due: total, amount_paid: 0,
    amount_remaining: total, metadata: {}, due_date: T0 + (n % 30) * DAY,
    status_transitions: { finalized_at: created, paid_at: null },
    lines: { object: 'list', has_more: false, data: [
      { id: `il_${n}`, object: 'line_item', amount: total, currency, description: 'line', quantity: 1 },
    ] },
  }
}

async function bigBooks() {
  const customer = (id, name) => ({ id, object: 'customer', name, created: T0, livemode: false, metadata: {} })
  const dir = stripeDir({
    'customers.json': { object: 'list', has_more: false, data: [customer('cus_A', 'Acme'), customer('cus_B', 'Bluebird')] },
    'invoices.json': { object: 'list', has_more: false, data: Array.from({ length: N }, (_, n) => invoice(n)) },
  })
  const books = await Books.open(path.join(tmpdir(), 'books.db'))
  await books.import(new StripeFiles(dir))
  return books
}

test('iterInvoices reads one page at a time and equals invoices()', async () => {
  const books = await bigBooks()
  const it = books.iterInvoices({ pageSize: 50 })
  assert.equal(it.pagesFetched, 0, 'nothing read before the loop starts')
  const ids = []
  for await (const inv of it) {
    ids.push(inv.id)
    assert.equal(it.pagesFetched, Math.ceil(ids.length / 50), 'a page is read only when needed')
  }
  assert.equal(ids.length, N)
  assert.equal(it.pagesFetched, N / 50, 'one fetch per page, none past the last')
  assert.deepEqual(ids, (await books.invoices()).map((i) => i.id))
  assert.deepEqual(ids, [...ids].sort(), 'ordered by id')
  assert.equal(it.cursor, null)
})

test('filters, time ranges and a resumed cursor', async () => {
  const books = await bigBooks()
  const all = await books.invoices()
  const bluebird = (await books.customers()).find((c) => c.name === 'Bluebird').id
  const got = []
  for await (const inv of books.iterInvoices({ customerId: bluebird, currency: 'EUR', pageSize: 7 })) got.push(inv.id)
  const want = all.filter((i) => i.customerId === bluebird && i.currency === 'EUR').map((i) => i.id)
  assert.ok(want.length > 0)
  assert.deepEqual(got, want)

  const from = new Date((T0 + 100 * 60) * 1000).toISOString()
  const to = new Date((T0 + 300 * 60) * 1000).toISOString()
  const ranged = []
  for await (const inv of books.iterInvoices({ createdFrom: from, createdTo: to, pageSize: 33 })) ranged.push(inv)
  assert.equal(ranged.length, 200)
  const keys = ranged.map((i) => `${i.source.createdAt}|${i.id}`)
  assert.deepEqual(keys, [...keys].sort(), 'ordered by creation time, then id')

  const first = books.iterInvoices({ pageSize: 100 })
  const head = []
  for await (const inv of first) {
    head.push(inv.id)
    if (head.length === 100) break
  }
  const rest = []
  for await (const inv of books.iterInvoices({ pageSize: 100, after: first.cursor })) rest.push(inv.id)
  assert.deepEqual([...head, ...rest], all.map((i) => i.id))

  const customers = []
  for await (const c of books.iterCustomers({ pageSize: 1 })) customers.push(c.id)
  assert.deepEqual(customers, (await books.customers()).map((c) => c.id))
  for await (const p of books.iterPayments()) assert.fail(`no payments expected, got ${p.id}`)

  throwsWithCode(() => books.iterInvoices({ pageSize: 0 }), 'INVALID_ARGUMENT')
  throwsWithCode(() => books.iterInvoices({ after: 'junk' }), 'INVALID_ARGUMENT')
  throwsWithCode(() => books.iterCustomers({ status: 'open' }), 'INVALID_ARGUMENT')
})

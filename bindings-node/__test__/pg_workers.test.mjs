// Shared books on PostgreSQL from Node: one import of a stream at a time
// (BUSY names the holder) and one backfill shared by three workers ending as
// one history entry with the books of a sequential import. The server is the
// one scripts/pg.sh started (TIEOUT_TEST_PG_URL); without it these tests are
// skipped locally and fail under CI=true.
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import crypto from 'node:crypto'
import path from 'node:path'
import { after, test } from 'node:test'

import { stripeDir, tieout, tmpdir } from './helpers.mjs'

const { Books, StripeFiles } = tieout
const url = process.env.TIEOUT_TEST_PG_URL ?? ''
if (!url && process.env.CI === 'true') {
  throw new Error('CI=true but TIEOUT_TEST_PG_URL is not set: run scripts/test-node.sh')
}
const skip = url ? false : 'TIEOUT_TEST_PG_URL is not set'
const schemas = []
const fresh = () => {
  const s = `t_nodew_${crypto.randomBytes(6).toString('hex')}`
  schemas.push(s)
  return s
}

after(() => {
  for (const s of schemas) execFileSync('psql', ['-q', url, '-c', `DROP SCHEMA IF EXISTS ${s} CASCADE`])
})

const BASE = 1_700_000_000
const plan = {
  createdFrom: new Date((BASE - 10) * 1000).toISOString(),
  createdTo: new Date((BASE + 60 * 20_000) * 1000).toISOString(),
}

function data(customers, invoices) {
  const cus = Array.from({ length: customers }, (_, c) => ({
    id: `cus_${c}`, object: 'customer', created: BASE + c, name: `Customer ${c}`, livemode: false,
  }))
  const inv = Array.from({ length: invoices }, (_, i) => {
    const amount = 1000 + ((i * 37) % 90000)
    const created = BASE + 100 + i * 60
    return {
      id: `in_${i}`, object: 'invoice', customer: `cus_${i % customers}`, currency: 'usd',
      status: 'open', number: `INV-${i}`, created, livemode: false, subtotal: amount, total: amount,
      amount_due: amount, amount_paid: 0, amount_remaining: amount, total_taxes: [],
      status_transitions: { finalized_at: created },
      lines: { object: 'list', has_more: false, data: [
        { id: `il_${i}`, object: 'line_item', amount, currency: 'usd', description: 'Plan', quantity: 1 }] },
    }
  })
  return stripeDir({
    'customers.json': { object: 'list', data: cus },
    'invoices.json': { object: 'list', data: inv },
  })
}

test('a held stream rejects a second import with BUSY naming the holder', { skip }, async () => {
  const schema = fresh()
  const dir = data(10, 2000)
  const opts = { schema, commitRecords: 0, commitSeconds: 0 }
  const a = await Books.open(url, opts)
  const b = await Books.open(url, opts)
  let second = null
  const run = await a.import(new StripeFiles(dir), plan, {
    onProgress: () => {
      second ??= b.import(new StripeFiles(dir), plan).then(() => null, (e) => e)
      return true
    },
  })
  assert.equal(run.status, 'succeeded')
  const err = await second
  assert.ok(err, 'the second import was refused')
  assert.equal(err.code, 'BUSY')
  assert.ok(err.message.includes(a.holder), err.message)
  // Released: the same import now runs (nothing new).
  const again = await b.import(new StripeFiles(dir), plan)
  assert.equal(again.created, 0)
})

test('three workers share one backfill: one run, the books of one import', { skip }, async () => {
  const schema = fresh()
  const dir = data(30, 1500)
  await Books.open(url, { schema })
  const workers = await Promise.all([0, 1, 2].map(() => Books.open(url, { schema, leaseSeconds: 5 })))
  const reports = await Promise.all(workers.map((w) => w.backfillWorker(new StripeFiles(dir), plan, { shards: 5 })))
  const ids = new Set(reports.map((r) => r.run.id))
  assert.equal(ids.size, 1)
  assert.deepEqual(reports.flatMap((r) => r.shards).sort(), [0, 1, 2, 3, 4])
  assert.equal(reports[0].shardsTotal, 5)
  const history = await workers[0].history()
  assert.equal(history.length, 1)
  const lite = await Books.open(path.join(tmpdir(), 'books.db'))
  const seq = await lite.import(new StripeFiles(dir), plan)
  assert.equal(history[0].created, seq.created)
  assert.deepEqual(await workers[1].invoices(), await lite.invoices())
  assert.deepEqual(await workers[2].customers(), await lite.customers())
})

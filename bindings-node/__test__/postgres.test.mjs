// Shared books in PostgreSQL: Books.open('postgresql://...', { schema }) holds the
// same books as SQLite for the same import and reopens with them. The server is
// the one scripts/pg.sh started (TIEOUT_TEST_PG_URL); without it these tests are
// skipped locally and fail under CI=true.
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import crypto from 'node:crypto'
import path from 'node:path'
import { after, test } from 'node:test'

import { SAMPLE, tieout, tmpdir } from './helpers.mjs'

const { Books, StripeFiles } = tieout
const url = process.env.TIEOUT_TEST_PG_URL ?? ''
if (!url && process.env.CI === 'true') {
  throw new Error('CI=true but TIEOUT_TEST_PG_URL is not set: run scripts/test-node.sh')
}
const skip = url ? false : 'TIEOUT_TEST_PG_URL is not set'
const schema = `t_node_${crypto.randomBytes(6).toString('hex')}`

after(() => {
  if (url) execFileSync('psql', ['-q', url, '-c', `DROP SCHEMA IF EXISTS ${schema} CASCADE`])
})

async function dump(books) {
  return [
    await books.customers(), await books.invoices(), await books.payments(),
    await books.allocations(), await books.refunds(), await books.balanceTransactions(),
    await books.subscriptions(), await books.payouts(),
  ]
}

test('postgres books equal sqlite books for the sample, and reopen', { skip }, async () => {
  const lite = await Books.open(path.join(tmpdir(), 'books.db'))
  const pg = await Books.open(url, { schema })
  const source = new StripeFiles(SAMPLE)
  for (const books of [lite, pg]) {
    const run = await books.import(source, {})
    assert.equal(run.status, 'succeeded')
    assert.equal(run.failed, 0)
  }
  const want = await dump(lite)
  assert.ok(want[1].length > 0, 'the sample has invoices')
  assert.deepEqual(await dump(pg), want)
  const again = await pg.import(source, {})
  assert.equal(again.created, 0)
  assert.equal(again.updated, 0)
  const reopened = await Books.open(url, { schema })
  assert.deepEqual(await dump(reopened), want)
  assert.equal((await reopened.history()).length, 2)
})

test('a schema is refused for a SQLite path and checked for postgres', { skip }, async () => {
  await assert.rejects(Books.open(path.join(tmpdir(), 'books.db'), { schema: 'books' }),
    (e) => e.code === 'INVALID_ARGUMENT' && /PostgreSQL/.test(e.message))
  await assert.rejects(Books.open(url, { schema: 'Not-An-Identifier' }),
    (e) => e.code === 'INVALID_ARGUMENT' && /lower-case identifier/.test(e.message))
})

// Shared books on PostgreSQL from Node: one import of a stream at a time
// (BUSY names the holder) and one backfill shared by three workers ending as
// one history entry with the books of a sequential import; in one process,
// then with real child processes (pg_worker_child.mjs), one of three workers
// killed with SIGKILL mid-run. The server is the one scripts/pg.sh started
// (TIEOUT_TEST_PG_URL); without it these tests are skipped locally and fail
// under CI=true.
import assert from 'node:assert/strict'
import { execFileSync, spawn } from 'node:child_process'
import crypto from 'node:crypto'
import path from 'node:path'
import { after, test } from 'node:test'

import { HERE, stripeDir, tieout, tmpdir } from './helpers.mjs'

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
  for (const s of schemas) {
    execFileSync('psql', ['-q', url, '-c', 'SET client_min_messages = warning', '-c', `DROP SCHEMA IF EXISTS ${s} CASCADE`])
  }
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

// ---------------------------------------------------------------- processes

const CHILD = path.join(HERE, 'pg_worker_child.mjs')

/** Starts `node pg_worker_child.mjs part` on the books of `schema`. */
function child(part, schema, dir, vars = {}) {
  const proc = spawn(process.execPath, [CHILD, part], {
    env: {
      ...process.env, T_URL: url, T_SCHEMA: schema, T_DIR: dir, T_SHARDS: '8',
      T_LEASE_SECONDS: '3', T_PAUSE_MS: '300', ...vars,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  let out = ''
  proc.stdout.on('data', (b) => { out += b })
  proc.done = new Promise((resolve) => {
    proc.on('close', (code, signal) => {
      let json = null
      try { json = JSON.parse(out.trim()) } catch { /* killed, or no line */ }
      resolve({ code, signal, json, out })
    })
  })
  return proc
}

/** One number from psql. */
const sqlCount = (sql) => Number(execFileSync('psql', ['-qtA', url, '-c', sql]).toString().trim())

async function until(what, limitMs, check) {
  const start = Date.now()
  while (!check()) {
    assert.ok(Date.now() - start < limitMs, `timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

test('processes: the same stream held by another process rejects with BUSY naming it', { skip }, async () => {
  const schema = fresh()
  const dir = data(20, 1200)
  await Books.open(url, { schema })
  const holder = child('hold', schema, dir, { T_LEASE_SECONDS: '30' })
  const pid = holder.pid
  await until('the slow import to hold its stream', 60_000, () =>
    sqlCount(`SELECT count(*) FROM ${schema}.leases WHERE holder LIKE '%/pid ${pid}/%'`) > 0)
  const b = await Books.open(url, { schema })
  const err = await b.import(new StripeFiles(dir), plan).then(() => null, (e) => e)
  assert.ok(err, 'the second import was refused')
  assert.equal(err.code, 'BUSY', err.message)
  assert.ok(err.message.includes(`/pid ${pid}/`), err.message)
  // A wait that outlasts the holder imports after it: nothing new.
  const waiter = await Books.open(url, { schema, lockWaitSeconds: 120 })
  const waited = waiter.import(new StripeFiles(dir), plan)
  const held = await holder.done
  assert.equal(held.code, 0, held.out)
  assert.equal(held.json.run.status, 'succeeded')
  assert.equal(held.json.run.created, 1220)
  const after = await waited
  assert.equal(after.status, 'succeeded')
  assert.equal(after.created, 0)
  assert.equal(sqlCount(`SELECT count(*) FROM ${schema}.invoice`), 1200)
})

test('processes: three workers, one killed with SIGKILL mid-run; the others finish with the books of one import', { skip }, async () => {
  const schema = fresh()
  // Enough invoices that each of the 8 shards is several pages (500 items a
  // page), so a worker holds a shard for a while: with one page a shard, the
  // three workers finished before a poll could see the first one holding one.
  const dir = data(100, 12000)
  await Books.open(url, { schema })
  const workers = [0, 1, 2].map(() => child('worker', schema, dir))
  const victim = workers[0]
  // Kill the first worker once it holds a shard and pages were committed
  // (one query a poll).
  await until('the first worker to hold a shard', 60_000, () =>
    sqlCount(`SELECT count(*) FROM ${schema}.leases WHERE holder LIKE '%/pid ${victim.pid}/%'
              AND EXISTS (SELECT 1 FROM ${schema}.invoice)`) > 0)
  const held = execFileSync('psql', ['-qtA', url, '-c',
    `SELECT stream FROM ${schema}.leases WHERE holder LIKE '%/pid ${victim.pid}/%'`]).toString().trim()
  assert.ok(held, 'the victim holds a shard stream')
  victim.kill('SIGKILL')
  const killed = await victim.done
  assert.equal(killed.signal, 'SIGKILL')
  const outs = await Promise.all(workers.slice(1).map((w) => w.done))
  for (const o of outs) {
    assert.equal(o.code, 0, o.out)
    assert.equal(o.json.error, undefined, o.out)
  }
  const [r1, r2] = outs.map((o) => o.json.report)
  assert.equal(r1.run.id, r2.run.id, 'both workers return the one run')
  assert.equal(r1.shardsTotal, 8)
  const books = await Books.open(url, { schema })
  const history = await books.history()
  assert.equal(history.length, 1, 'one history entry')
  assert.equal(history[0].id, r1.run.id)
  assert.equal(history[0].failed, 0)
  assert.equal(sqlCount(`SELECT count(*) FROM ${schema}.backfill_shards WHERE NOT done`), 0, 'every shard done')
  const finisher = execFileSync('psql', ['-qtA', url, '-c',
    `SELECT holder FROM ${schema}.backfill_shards WHERE stream = '${held}'`]).toString().trim()
  assert.ok(!finisher.includes(`/pid ${victim.pid}/`), `a live worker finished the killed worker's shard: ${finisher}`)
  // The books equal one sequential import of the same files into SQLite.
  const lite = await Books.open(path.join(tmpdir(), 'books.db'))
  const seq = await lite.import(new StripeFiles(dir), plan)
  assert.equal(history[0].byObject.invoice.created, seq.byObject.invoice.created, 'invoices counted once')
  assert.deepEqual(await books.invoices(), await lite.invoices())
  assert.deepEqual(await books.customers(), await lite.customers())
})

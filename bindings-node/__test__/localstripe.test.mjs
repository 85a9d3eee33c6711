// End to end against localstripe (a local Stripe API fake), seeded with the official SDK.
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import readline from 'node:readline'
import { test } from 'node:test'

import { ROOT, assertDecEq, tieout } from './helpers.mjs'

const { Books, StripeSource } = tieout
const SCRIPT = path.join(ROOT, 'scripts', 'localstripe.py')
const KEY = 'sk_test_tieoutLocalstripe'

/** The python with localstripe and stripe installed, or why there is none. */
function findPython() {
  const python = process.env.TIEOUT_PYTHON || path.join(ROOT, '.venv', 'bin', 'python')
  if (!fs.existsSync(python)) return { reason: `no python at ${python} (set TIEOUT_PYTHON)` }
  const probe = spawnSync(python, ['-c', 'import localstripe, stripe'], { encoding: 'utf8' })
  if (probe.status !== 0) return { reason: `${python} lacks localstripe/stripe: ${probe.stderr.trim()}` }
  return { python }
}

/** Starts localstripe on a free loopback port; resolves `{ url, child }`. */
function startLocalstripe(python) {
  const child = spawn(python, [SCRIPT, 'serve'], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (d) => { stderr += d })
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.kill(); reject(new Error(`localstripe did not start: ${stderr}`)) }, 30_000)
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`localstripe exited (${code}): ${stderr}`)) })
    readline.createInterface({ input: child.stdout }).on('line', (line) => {
      const m = /^PORT (\d+)$/.exec(line.trim())
      if (m) {
        clearTimeout(timer)
        child.removeAllListeners('exit')
        resolve({ url: `http://127.0.0.1:${m[1]}`, child })
      }
    })
  })
}

function stop(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve()
    child.once('exit', resolve)
    process.kill(child.pid, 'SIGTERM')
    setTimeout(() => { if (child.exitCode === null) process.kill(child.pid, 'SIGKILL') }, 5000).unref()
  })
}

const cents = (n) => {
  const s = String(n).padStart(3, '0')
  return `${s.slice(0, -2)}.${s.slice(-2)}`
}

const found = findPython()
const skip = found.python ? false : found.reason
if (skip && process.env.CI === 'true') {
  test('localstripe is available in CI', () => assert.fail(skip))
}

test('localstripe: seed with the stripe SDK, import through StripeSource, assert the books', { skip: process.env.CI === 'true' ? false : skip, timeout: 180_000 }, async () => {
  const { url, child } = await startLocalstripe(found.python)
  try {
    const seeded = spawnSync(found.python, [SCRIPT, 'seed', url], { encoding: 'utf8', timeout: 120_000 })
    assert.equal(seeded.status, 0, seeded.stderr)
    const summary = JSON.parse(seeded.stdout)

    const source = new StripeSource(KEY, { baseUrl: url, maxRetries: 1, retryBaseDelayMs: 10 })
    const account = await source.verify()
    assert.equal(account.livemode, false)
    assert.equal(account.keyKind, 'secret')

    const books = Books.inMemory()
    const review = await books.review(source)
    let calls = 0
    const run = await books.import(source, {}, { approval: review.approval, onProgress: (done, total) => { calls++; assert.equal(total, null) } })
    assert.ok(calls > 0, 'progress reported (the API has no total)')
    assert.ok(run.created > 0)
    // localstripe's subscriptions have no top-level currency (older API shape): it is read
    // from the items' plan, so everything imports.
    assert.deepEqual(run.failures, [])
    assert.equal(run.status, 'succeeded')
    const subs = await books.subscriptions()
    const sub = subs.find((s) => s.source.externalId === summary.subscriptions[0].id)
    assert.ok(sub, 'the localstripe subscription imports')
    assert.equal(sub.currency, 'USD')
    assert.equal(sub.status, 'active')

    const customers = await books.customers()
    assert.deepEqual(customers.map((c) => c.name).sort(), summary.customers.map((c) => c.name).sort())
    assert.deepEqual(customers.map((c) => c.email).sort(), summary.customers.map((c) => c.email).sort())

    const payments = await books.payments()
    assert.equal(payments.length, summary.all_charges.length, 'one payment per charge')
    for (const ch of summary.all_charges) {
      const p = payments.find((x) => x.externalIds.includes(ch.id))
      assert.ok(p, `payment for ${ch.id}`)
      assert.equal(p.amount, cents(ch.amount))
      assert.equal(p.currency, 'USD')
      assertDecEq(p.refunded, cents(ch.amount_refunded))
      const customer = customers.find((c) => c.source.externalId === ch.customer)
      assert.equal(p.customerId, customer.id)
    }
    for (const pi of summary.payment_intents) {
      assert.ok(payments.some((p) => p.externalIds.includes(pi.id)), `payment intent ${pi.id} resolves to its charge's payment`)
    }

    const invoices = await books.invoices()
    for (const inv of summary.invoices) {
      const i = invoices.find((x) => x.source.externalId === inv.id)
      assert.ok(i, `invoice ${inv.id}`)
      assert.equal(i.total, cents(inv.total))
      if (inv.status === 'paid') {
        assert.equal(i.status, 'paid')
        assert.equal(i.amountPaid, i.total)
        const allocs = (await books.allocations()).filter((a) => a.invoiceId === i.id)
        assert.ok(allocs.length > 0, 'the paid invoice is tied to its payment')
      }
    }

    const refunds = await books.refunds()
    assert.equal(refunds.length, summary.refunds.length)
    assert.equal(refunds[0].amount, cents(summary.refunds[0].amount))
    assert.ok(refunds[0].paymentId)

    const again = await books.import(source)
    assert.equal(again.created, 0)
    assert.equal(again.updated, 0)
    assert.equal((await books.history()).length, 2)
  } finally {
    await stop(child)
  }
})

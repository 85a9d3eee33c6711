// Write-back (issue 15) from Node against localstripe, read back with the official
// stripe SDK: invoices the books see paid by a bank transfer are marked paid in
// Stripe (paid_out_of_band) once, through a crash before the request and one after
// it; an invoice voided in Stripe after the import is skipped and reported; one
// already paid there counts as done.
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import readline from 'node:readline'
import { test } from 'node:test'

import { ROOT, rejectsWithCode, tieout } from './helpers.mjs'

const { Books, StripeSource } = tieout
const SCRIPT = path.join(ROOT, 'scripts', 'localstripe.py')
const KEY = 'sk_test_tieoutLocalstripe'
const T = '2026-03-02T09:00:00Z'

function findPython() {
  const python = process.env.TIEOUT_PYTHON || path.join(ROOT, '.venv', 'bin', 'python')
  if (!fs.existsSync(python)) return { reason: `no python at ${python} (set TIEOUT_PYTHON)` }
  const probe = spawnSync(python, ['-c', 'import localstripe, stripe'], { encoding: 'utf8' })
  if (probe.status !== 0) return { reason: `${python} lacks localstripe/stripe: ${probe.stderr.trim()}` }
  return { python }
}

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

/** Runs python `code` with the stripe SDK pointed at `url`; parses its stdout as JSON. */
function sdk(python, url, code) {
  const r = spawnSync(python, ['-c', [
    'import json, stripe',
    `stripe.api_key = ${JSON.stringify(KEY)}`,
    `stripe.api_base = ${JSON.stringify(url)}`,
    code,
  ].join('\n')], { encoding: 'utf8' })
  assert.equal(r.status, 0, r.stderr)
  return JSON.parse(r.stdout)
}

/** `n` customers whose first subscription invoice (125.00 USD) stays open. */
function openInvoices(python, url, n) {
  return sdk(python, url, [
    "prod = stripe.Product.create(name='Support')",
    "plan = stripe.Plan.create(id='support-node', amount=12500, currency='usd', interval='month', product=prod.id)",
    'out = []',
    `for i in range(${n}):`,
    "    c = stripe.Customer.create(name=f'Node {i}', email=f'n{i}@example.test')",
    "    pm = stripe.PaymentMethod.attach('pm_card_chargeCustomerFail', customer=c.id)",
    "    stripe.Customer.modify(c.id, invoice_settings={'default_payment_method': pm.id})",
    "    stripe.Subscription.create(customer=c.id, items=[{'plan': plan.id}])",
    '    inv = stripe.Invoice.list(customer=c.id).data',
    "    assert len(inv) == 1 and inv[0].status == 'open'",
    '    out.append(inv[0].id)',
    'print(json.dumps(out))',
  ].join('\n'))
}

const statuses = (python, url, ids) =>
  sdk(python, url, `print(json.dumps([stripe.Invoice.retrieve(i).to_dict()['status'] for i in ${JSON.stringify(ids)}]))`)

const found = findPython()
const skip = found.python ? false : found.reason
if (skip && process.env.CI === 'true') {
  test('localstripe is available in CI (write-back)', () => assert.fail(skip))
}

test('write-back marks bank-paid invoices paid in Stripe once, through crashes', { skip: process.env.CI === 'true' ? false : skip, timeout: 180_000 }, async () => {
  const { url, child } = await startLocalstripe(found.python)
  try {
    const created = openInvoices(found.python, url, 4)
    const books = Books.inMemory()
    const source = new StripeSource(KEY, { baseUrl: url, maxRetries: 1, retryBaseDelayMs: 10 })
    const run = await books.import(source, { objects: ['customers', 'invoices'] })
    assert.equal(run.failed, 0)
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
    sdk(found.python, url, `stripe.Invoice.void_invoice(${JSON.stringify(ids[2])})\nstripe.Invoice.pay(${JSON.stringify(ids[3])}, paid_out_of_band=True)\nprint('{}')`)

    const opts = { apiKey: KEY, baseUrl: url, now: T }
    const review = await books.reviewWrites(opts)
    assert.equal(review.writeBackMethod, 'paid_out_of_band')
    assert.equal(review.writes.length, 4)
    assert.deepEqual(review.skipped, [])
    const key = Object.fromEntries(review.writes.map((w) => [w.subject, w.key]))
    assert.deepEqual(statuses(found.python, url, ids), ['open', 'open', 'void', 'paid'], 'a review writes nothing')

    // A crash after recording a's write, before the request.
    await rejectsWithCode(books.writeBack({ ...opts, crashAt: { key: key[inv[0].id], point: 'recorded' } }), 'ABORTED')
    assert.equal(statuses(found.python, url, [ids[0]])[0], 'open')
    // A crash after Stripe marked b paid, before the books recorded it.
    await rejectsWithCode(books.writeBack({ ...opts, crashAt: { key: key[inv[1].id], point: 'performed' } }), 'ABORTED')
    assert.equal(statuses(found.python, url, [ids[1]])[0], 'paid')

    const report = await books.applyWrites(opts)
    assert.ok(report.resolved.includes(key[inv[1].id]), JSON.stringify(report))
    assert.ok(report.cancelled.includes(key[inv[2].id]), JSON.stringify(report))
    assert.deepEqual([report.failed, report.unknown], [[], []])
    assert.deepEqual(statuses(found.python, url, ids), ['paid', 'paid', 'void', 'paid'])

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
  } finally {
    child.kill('SIGTERM')
  }
})

// Auto-pay against localstripe, read back with the official stripe SDK: a saved
// card set as the default (pm_card_visa), a card saved by a completed checkout
// (pm_card_chargeCustomerFail, every charge declined), due own invoices charged
// once, a decline turning auto-pay off with a notice, and a stop after Stripe's
// answer resolved by the lookup instead of a second charge.
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import readline from 'node:readline'
import { test } from 'node:test'

import { ROOT, tieout } from './helpers.mjs'

const { Books, Channels } = tieout
const SCRIPT = path.join(ROOT, 'scripts', 'localstripe.py')
const KEY = 'sk_test_tieoutLocalstripe'
const T0 = '2026-03-01T09:00:00Z'
const DUE = '2026-03-31T09:00:00Z'
const RUN = '2026-04-10T09:00:00Z'

function findPython() {
  const python = process.env.TIEOUT_PYTHON || path.join(ROOT, '.venv', 'bin', 'python')
  if (!fs.existsSync(python)) return { reason: `no python at ${python} (set TIEOUT_PYTHON)` }
  const probe = spawnSync(python, ['-c', 'import localstripe, stripe'], { encoding: 'utf8' })
  if (probe.status !== 0) return { reason: `${python} lacks localstripe/stripe` }
  return { python }
}

function startLocalstripe(python) {
  const child = spawn(python, [SCRIPT, 'serve'], { stdio: ['ignore', 'pipe', 'ignore'] })
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.kill(); reject(new Error('localstripe did not start')) }, 30_000)
    readline.createInterface({ input: child.stdout }).on('line', (line) => {
      const m = /^PORT (\d+)$/.exec(line.trim())
      if (m) { clearTimeout(timer); resolve({ url: `http://127.0.0.1:${m[1]}`, child }) }
    })
  })
}

/** Runs `code` with the stripe SDK against `url`; its stdout as JSON. */
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

const found = findPython()
const skip = found.python ? false : found.reason
if (skip && process.env.CI === 'true') {
  test('localstripe is available in CI (auto-pay)', () => assert.fail(skip))
}

test('auto-pay charges due invoices once; a decline turns it off with a notice', { skip: process.env.CI === 'true' ? false : skip, timeout: 120_000 }, async () => {
  const { url, child } = await startLocalstripe(found.python)
  try {
    const books = Books.inMemory()
    const acme = await books.createCustomer('Acme', { email: 'ap@acme.test' })
    const globex = await books.createCustomer('Globex', { email: 'ap@globex.test' })
    await books.pushCustomers({ apiKey: KEY, baseUrl: url, now: T0 })
    const { account } = await books.reviewAutoPay({ apiKey: KEY, baseUrl: url, now: T0 })
    const cusA = await books.stripeCustomerLink(acme.id, account)
    const cusG = await books.stripeCustomerLink(globex.id, account)
    const [pmA, pmG] = sdk(found.python, url,
      `print(json.dumps([stripe.PaymentMethod.attach("pm_card_visa", customer=${JSON.stringify(cusA)}).id, ` +
      `stripe.PaymentMethod.attach("pm_card_chargeCustomerFail", customer=${JSON.stringify(cusG)}).id]))`)

    const invoice = async (customerId, amount) => {
      const d = await books.createInvoice({ customerId, lines: [{ description: 'Plan', unitAmount: amount }], currency: 'usd', dueDate: DUE }, T0)
      return (await books.issueInvoice(d.id, T0)).id
    }
    const a1 = await invoice(acme.id, '80.00')
    const g1 = await invoice(globex.id, '45.00')

    const set = await books.setDefaultPaymentMethod(acme.id, account, pmA, T0)
    assert.equal(set.enabled, true)
    assert.deepEqual(set.enabledVia, { kind: 'explicit' })
    const session = {
      id: 'cs_test_node', object: 'checkout.session', status: 'complete', payment_status: 'paid',
      customer: cusG, metadata: { tieout_invoice: g1 },
      payment_intent: { id: 'pi_saved', object: 'payment_intent', setup_future_usage: 'off_session', payment_method: pmG },
    }
    const saved = await books.saveCardFromCheckout(session, account, null, T0)
    assert.equal(saved.customerId, globex.id)
    assert.deepEqual(saved.enabledVia, { kind: 'checkout', session: 'cs_test_node' })
    assert.equal(saved.enabledAt, '2026-03-01T09:00:00.000Z')

    const review = await books.reviewAutoPay({ apiKey: KEY, baseUrl: url, now: RUN })
    assert.deepEqual(review.charges.map((c) => c.invoiceId).sort(), [a1, g1].sort())
    assert.deepEqual(review.charges.map((c) => c.amount).sort(), ['45.00', '80.00'])
    const keyA1 = review.charges.find((c) => c.invoiceId === a1).key

    const sent = []
    const channels = new Channels()
    channels.callback('email', (message) => { sent.push(message); return true })
    // Stop right after Stripe answered for a1, before the books recorded it.
    let stopped = false
    const fault = (key, point) => {
      if (point === 'performed' && key === keyA1 && !stopped) { stopped = true; return true }
      return false
    }
    await assert.rejects(
      books.runAutoPay({ apiKey: KEY, baseUrl: url, now: RUN, notify: ['email'], fault }, channels),
      (e) => e.code === 'ABORTED')
    const r = await books.runAutoPay({ apiKey: KEY, baseUrl: url, now: RUN, notify: ['email'] }, channels)
    assert.deepEqual(r.charges.resolved, [keyA1])
    assert.equal(r.charges.failed.length, 1)
    assert.equal(r.disabled[0].customerId, globex.id)
    assert.equal(r.disabled[0].reason, 'the charge was declined by your bank')

    const intents = sdk(found.python, url,
      "print(json.dumps([[(p.to_dict().get('metadata') or {}).get('invoice'), p.status] for p in stripe.PaymentIntent.list(limit=100).auto_paging_iter()]))")
    assert.equal(intents.filter(([inv, st]) => inv === a1 && st === 'succeeded').length, 1)
    assert.equal(intents.filter(([inv, st]) => inv === g1 && st === 'succeeded').length, 0)
    const invoices = await books.invoices()
    assert.equal(invoices.find((i) => i.id === a1).status, 'paid')
    assert.equal(invoices.find((i) => i.id === g1).status, 'open')
    const alloc = (await books.allocations()).find((a) => a.invoiceId === a1)
    assert.equal(alloc.amount, '80.00')
    const off = await books.autoPay(globex.id)
    assert.equal(off.enabled, false)
    assert.equal(off.disabledVia.kind, 'decline')
    assert.equal(sent.length, 1)
    assert.equal(sent[0].to_email, 'ap@globex.test')
    assert.match(sent[0].text, /declined by your bank/)

    const again = await books.runAutoPay({ apiKey: KEY, baseUrl: url, now: RUN, notify: ['email'] }, channels)
    assert.deepEqual([again.charges.delivered, again.charges.failed], [[], []])
    assert.equal(sent.length, 1)
    assert.equal((await books.disableAutoPay(acme.id, 'asked to stop', RUN)).disabledReason, 'asked to stop')
    assert.equal((await books.enableAutoPay(acme.id, RUN)).enabled, true)
  } finally {
    child.kill('SIGTERM')
  }
})

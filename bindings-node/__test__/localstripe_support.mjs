// localstripe for the node --test suite (not a test file itself). Every test
// that needs it starts its own server through `withLocalstripe`: a private
// process on a port the kernel picks (scripts/localstripe.py binds port 0 and
// listens before it prints `PORT <n>`, so the first request never races the
// start-up), its state in memory, stopped and awaited by PID when the test ends.
// node --test runs test files in separate processes, possibly in parallel:
// nothing here is shared between them.
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import readline from 'node:readline'
import { test } from 'node:test'

import { ROOT, tieout } from './helpers.mjs'

/** The wrapper script (`serve`, `seed URL`). */
export const SCRIPT = path.join(ROOT, 'scripts', 'localstripe.py')
/** The test key localstripe accepts. */
export const KEY = 'sk_test_tieoutLocalstripe'

/** The python with localstripe and stripe installed, or why there is none. */
export function findPython() {
  const python = process.env.TIEOUT_PYTHON || path.join(ROOT, '.venv', 'bin', 'python')
  if (!fs.existsSync(python)) return { reason: `no python at ${python} (set TIEOUT_PYTHON)` }
  const probe = spawnSync(python, ['-c', 'import localstripe, stripe'], { encoding: 'utf8' })
  if (probe.status !== 0) return { reason: `${python} lacks localstripe/stripe: ${probe.stderr.trim()}` }
  return { python }
}

const live = new Set()
process.on('exit', () => {
  for (const child of live) {
    try { process.kill(child.pid, 'SIGKILL') } catch { /* already gone */ }
  }
})

/** Stops a server by its PID and waits until it is gone. */
export function stopLocalstripe(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      live.delete(child)
      return resolve()
    }
    child.once('exit', () => { live.delete(child); resolve() })
    process.kill(child.pid, 'SIGTERM')
    setTimeout(() => { if (child.exitCode === null && child.signalCode === null) process.kill(child.pid, 'SIGKILL') }, 5000).unref()
  })
}

/**
 * Starts a private localstripe; resolves `{ url, child }` once it accepts
 * connections (the script listens before it prints its port). Rejects with
 * its stderr when it exits or says nothing within 60 s.
 */
export function startLocalstripe(python) {
  const child = spawn(python, [SCRIPT, 'serve'], { stdio: ['ignore', 'pipe', 'pipe'] })
  live.add(child)
  let stderr = ''
  child.stderr.on('data', (d) => { stderr += d })
  return new Promise((resolve, reject) => {
    const fail = (why) => {
      clearTimeout(timer)
      stopLocalstripe(child).then(() => reject(new Error(`localstripe ${why}: ${stderr}`)))
    }
    const timer = setTimeout(() => fail('printed no port within 60 s'), 60_000)
    child.once('exit', (code, signal) => fail(`exited (${code ?? signal})`))
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

/** Runs python `code` with the official stripe SDK pointed at `url`; its stdout as JSON. */
export function sdk(python, url, code) {
  const r = spawnSync(python, ['-c', [
    'import json, stripe',
    `stripe.api_key = ${JSON.stringify(KEY)}`,
    `stripe.api_base = ${JSON.stringify(url)}`,
    code,
  ].join('\n')], { encoding: 'utf8', timeout: 120_000 })
  assert.equal(r.status, 0, r.stderr || r.error?.message)
  return JSON.parse(r.stdout)
}

const found = findPython()

/**
 * `test(name, ...)` with a private localstripe: `fn({ url, python, sdk })`,
 * where `sdk(code)` runs python against it. Without localstripe the test is
 * skipped locally and fails in CI (CI=true), never silently passes.
 */
export function withLocalstripe(name, options, fn) {
  const missing = found.python ? false : found.reason
  const ci = process.env.CI === 'true'
  if (missing && ci) {
    test(`${name} (localstripe is available in CI)`, () => assert.fail(missing))
    return
  }
  test(name, { timeout: 180_000, ...options, skip: missing }, async (t) => {
    const { url, child } = await startLocalstripe(found.python)
    try {
      await fn({ url, python: found.python, sdk: (code) => sdk(found.python, url, code), t })
    } finally {
      await stopLocalstripe(child)
    }
  })
}

/**
 * `n` customers whose first subscription invoice (125.00 USD) stays open
 * (their card declines every charge); the invoices' ids, in customer order.
 * `tag` names the plan and the customers.
 */
export function openInvoices (sdk, n, tag) {
  return sdk([
    "prod = stripe.Product.create(name='Support')",
    `plan = stripe.Plan.create(id='support-${tag}', amount=12500, currency='usd', interval='month', product=prod.id)`,
    'out = []',
    `for i in range(${n}):`,
    `    c = stripe.Customer.create(name=f'Node {i}', email=f'${tag}{i}@example.test')`,
    "    pm = stripe.PaymentMethod.attach('pm_card_chargeCustomerFail', customer=c.id)",
    "    stripe.Customer.modify(c.id, invoice_settings={'default_payment_method': pm.id})",
    "    stripe.Subscription.create(customer=c.id, items=[{'plan': plan.id}])",
    '    inv = stripe.Invoice.list(customer=c.id).data',
    "    assert len(inv) == 1 and inv[0].status == 'open'",
    '    out.append(inv[0].id)',
    'print(json.dumps(out))'
  ].join('\n'))
}

/** Stripe's status of each invoice, in one SDK call. */
export function invoiceStatuses (sdk, ids) {
  return sdk(`print(json.dumps([stripe.Invoice.retrieve(i).to_dict()['status'] for i in ${JSON.stringify(ids)}]))`)
}

/** Imports the customers and invoices of the localstripe at `url` into `books`, with no failures. */
export async function importCustomersAndInvoices (books, url) {
  const source = new tieout.StripeSource(KEY, { baseUrl: url, maxRetries: 1, retryBaseDelayMs: 10 })
  const run = await books.import(source, { objects: ['customers', 'invoices'] })
  assert.equal(run.failed, 0, JSON.stringify(run.failures))
}

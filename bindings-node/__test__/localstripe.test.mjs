// End to end against localstripe (a local Stripe API fake), seeded with the official SDK.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'

import { assertDecEq, tieout } from './helpers.mjs'
import { KEY, SCRIPT, withLocalstripe } from './localstripe_support.mjs'

const { Books, StripeSource } = tieout

const cents = (n) => {
  const s = String(n).padStart(3, '0')
  return `${s.slice(0, -2)}.${s.slice(-2)}`
}

withLocalstripe('localstripe: seed with the stripe SDK, import through StripeSource, assert the books', {}, async ({ url, python }) => {
  const seeded = spawnSync(python, [SCRIPT, 'seed', url], { encoding: 'utf8', timeout: 120_000 })
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
})

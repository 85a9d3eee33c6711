// A signed checkout.session.completed webhook for an own invoice whose payment
// intent saved the card (issue 15): applying it pays the invoice and makes the
// card the customer's default for auto-pay, opted in via the checkout, in one
// commit; a second delivery changes nothing; a checkout that did not ask to
// save the card opts nobody in.
import assert from 'node:assert/strict'
import { test } from 'node:test'

import { stripeSignature, tieout, tmpdir } from './helpers.mjs'

const { Books, verifyWebhook } = tieout
const SECRET = 'whsec_saved_card_node'
const T = 1_760_000_000

function completed(evt, cs, invoice, pm, save) {
  const metadata = { invoice, tieout_invoice: invoice }
  return {
    id: evt, object: 'event', type: 'checkout.session.completed', created: T,
    api_version: '2025-03-31.basil', livemode: false,
    data: { object: {
      id: cs, object: 'checkout.session', mode: 'payment', status: 'complete',
      payment_status: 'paid', amount_total: 12000, currency: 'usd', customer: 'cus_acme',
      client_reference_id: invoice, metadata, created: T - 60, livemode: false,
      payment_intent: {
        id: `pi_${cs}`, object: 'payment_intent', status: 'succeeded', amount: 12000,
        amount_received: 12000, currency: 'usd', customer: 'cus_acme', payment_method: pm,
        setup_future_usage: save ? 'off_session' : null, metadata, created: T - 30, livemode: false,
      },
    } },
  }
}

async function deliver(books, event) {
  const raw = Buffer.from(JSON.stringify(event))
  return books.applyEvent(verifyWebhook(raw, stripeSignature(raw, SECRET, T), SECRET, { now: T + 1 }))
}

async function ownInvoice(books, customerId) {
  const d = await books.createInvoice({ customerId, lines: [{ description: 'Support', unitAmount: '120.00' }], currency: 'usd' }, '2026-03-01T00:00:00Z')
  return (await books.issueInvoice(d.id)).id
}

test('a checkout webhook that saved the card opts the customer in with the payment, once', async () => {
  const books = await Books.open(`${tmpdir()}/books.db`)
  await books.setDefaultAccount('acct_W')
  const acme = await books.createCustomer('Acme', { email: 'ap@acme.test' })
  const globex = await books.createCustomer('Globex', { email: 'ap@globex.test' })
  const inv = await ownInvoice(books, acme.id)
  const other = await ownInvoice(books, globex.id)

  const out = await deliver(books, completed('evt_1', 'cs_node', inv, 'pm_saved', true))
  assert.equal(out.status, 'applied')
  assert.ok(out.notes.some((n) => n.includes('saved by checkout cs_node')), JSON.stringify(out.notes))
  const status = async () => Object.fromEntries((await books.invoices()).map((i) => [i.id, i.status]))
  assert.equal((await status())[inv], 'paid')
  const setting = await books.autoPay(acme.id)
  assert.equal(setting.enabled, true)
  assert.equal(setting.paymentMethod, 'pm_saved')
  assert.deepEqual(setting.enabledVia, { kind: 'checkout', session: 'cs_node' })
  assert.equal(setting.enabledAt, new Date(T * 1000).toISOString())

  const again = await deliver(books, completed('evt_1', 'cs_node', inv, 'pm_saved', true))
  assert.equal(again.status, 'duplicate')
  assert.deepEqual(await books.autoPay(acme.id), setting)
  assert.equal((await books.payments()).length, 1)
  assert.equal((await books.history()).filter((h) => h.source === 'books:autopay').length, 1)

  const plain = await deliver(books, completed('evt_2', 'cs_plain', other, 'pm_other', false))
  assert.equal(plain.status, 'applied')
  assert.equal((await status())[other], 'paid')
  assert.equal(await books.autoPay(globex.id), null)
})

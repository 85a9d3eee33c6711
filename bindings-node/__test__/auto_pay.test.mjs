// Auto-pay (issue 15) from Node against localstripe, read back with the
// official stripe SDK: a card set as the default explicitly (pm_card_visa), a
// card saved by a completed checkout (pm_card_chargeCustomerFail: attached,
// then every charge declined), each due own invoice charged once, the decline
// turning the customer's auto-pay off with one notice, and a stop right after
// Stripe answered resolved by the lookup instead of a second charge.
//
// Invoice ids are not ordered by creation, so the run may reach the declined
// invoice before or after the one it stops at: every assertion below holds in
// either order (what a single report lists is read from the books instead).
import assert from 'node:assert/strict'

import { tieout } from './helpers.mjs'
import { KEY, withLocalstripe } from './localstripe_support.mjs'

const { Books, Channels } = tieout
const T0 = '2026-03-01T09:00:00Z'
const DUE = '2026-03-31T09:00:00Z'
const RUN = '2026-04-10T09:00:00Z'

withLocalstripe('auto-pay charges due invoices once; a decline turns it off with one notice', {}, async ({ url, sdk }) => {
  const books = Books.inMemory()
  const acme = await books.createCustomer('Acme', { email: 'ap@acme.test' })
  const globex = await books.createCustomer('Globex', { email: 'ap@globex.test' })
  const pushed = await books.pushCustomers({ apiKey: KEY, baseUrl: url, now: T0 })
  assert.equal(pushed.delivered.length, 2)
  const { account } = await books.reviewAutoPay({ apiKey: KEY, baseUrl: url, now: T0 })
  const cusA = await books.stripeCustomerLink(acme.id, account)
  const cusG = await books.stripeCustomerLink(globex.id, account)
  assert.ok(cusA && cusG)
  const [pmA, pmG] = sdk(
    `print(json.dumps([stripe.PaymentMethod.attach("pm_card_visa", customer=${JSON.stringify(cusA)}).id, ` +
    `stripe.PaymentMethod.attach("pm_card_chargeCustomerFail", customer=${JSON.stringify(cusG)}).id]))`)

  const invoice = async (customerId, amount) => {
    const d = await books.createInvoice({ customerId, lines: [{ description: 'Plan', unitAmount: amount }], currency: 'usd', dueDate: DUE }, T0)
    return (await books.issueInvoice(d.id, T0)).id
  }
  const a1 = await invoice(acme.id, '80.00')
  const a2 = await invoice(acme.id, '19.99')
  const g1 = await invoice(globex.id, '45.00')

  const set = await books.setDefaultPaymentMethod(acme.id, account, pmA, T0)
  assert.equal(set.enabled, true)
  assert.deepEqual(set.enabledVia, { kind: 'explicit' })
  const session = {
    id: 'cs_test_node', object: 'checkout.session', status: 'complete', payment_status: 'paid',
    customer: cusG, metadata: { tieout_invoice: g1 }, payment_intent: 'pi_saved',
  }
  assert.equal(await books.saveCardFromCheckout(session, account, null, T0), null, 'no intent: nothing saved')
  const pi = { id: 'pi_saved', object: 'payment_intent', setup_future_usage: 'off_session', payment_method: pmG }
  const saved = await books.saveCardFromCheckout(session, account, pi, T0)
  assert.equal(saved.customerId, globex.id)
  assert.equal(saved.paymentMethod, pmG)
  assert.deepEqual(saved.enabledVia, { kind: 'checkout', session: 'cs_test_node' })
  assert.equal(saved.enabledAt, '2026-03-01T09:00:00.000Z')

  const review = await books.reviewAutoPay({ apiKey: KEY, baseUrl: url, now: RUN })
  assert.deepEqual(review.charges.map((c) => c.invoiceId).sort(), [a1, a2, g1].sort())
  assert.deepEqual(review.charges.map((c) => c.amount).sort(), ['19.99', '45.00', '80.00'])
  const keyOf = Object.fromEntries(review.charges.map((c) => [c.invoiceId, c.key]))
  const charged = () => sdk(
    "print(json.dumps([[(p.to_dict().get('metadata') or {}).get('invoice'), p.status] for p in stripe.PaymentIntent.list(limit=100).auto_paging_iter()]))")
  assert.deepEqual(charged(), [], 'a review charges nothing')

  const sent = []
  const channels = new Channels()
  channels.callback('email', (message) => { sent.push(message); return true })
  // Stop right after Stripe answered for a1, before the books recorded it.
  const stops = []
  const fault = (key, point) => {
    if (point === 'performed' && key === keyOf[a1] && stops.length === 0) {
      stops.push(key)
      return true
    }
    return false
  }
  await assert.rejects(
    books.runAutoPay({ apiKey: KEY, baseUrl: url, now: RUN, notify: ['email'], fault }, channels),
    (e) => e.code === 'ABORTED')
  assert.deepEqual(stops, [keyOf[a1]])
  assert.equal(sent.length, 0, 'a stopped run sends no notice')
  const r = await books.runAutoPay({ apiKey: KEY, baseUrl: url, now: RUN, notify: ['email'] }, channels)
  assert.deepEqual(r.charges.resolved, [keyOf[a1]], JSON.stringify(r))
  assert.deepEqual(r.disabled.map((d) => [d.customerId, d.invoiceId, d.reason]),
    [[globex.id, g1, 'the charge was declined by your bank']])
  assert.deepEqual(r.notices.delivered.length, 1, JSON.stringify(r.notices))

  // Exactly one succeeded charge per Acme invoice on the server, none for Globex's.
  const intents = charged()
  const succeeded = (inv) => intents.filter(([i, st]) => i === inv && st === 'succeeded').length
  assert.deepEqual([succeeded(a1), succeeded(a2), succeeded(g1)], [1, 1, 0], JSON.stringify(intents))
  const writes = Object.fromEntries((await books.writes()).map((w) => [w.key, w]))
  assert.equal(writes[keyOf[a1]].status, 'succeeded')
  assert.equal(writes[keyOf[a2]].status, 'succeeded')
  assert.equal(writes[keyOf[g1]].status, 'failed')
  const refusal = writes[keyOf[g1]].outcome.error ?? writes[keyOf[g1]].outcome
  assert.equal(refusal.code, 'card_declined', JSON.stringify(writes[keyOf[g1]].outcome))

  const invoices = Object.fromEntries((await books.invoices()).map((i) => [i.id, i]))
  assert.deepEqual([invoices[a1].status, invoices[a2].status, invoices[g1].status], ['paid', 'paid', 'open'])
  assert.equal(invoices[g1].amountRemaining, '45.00')
  const allocated = Object.fromEntries((await books.allocations()).map((a) => [a.invoiceId, a.amount]))
  assert.deepEqual([allocated[a1], allocated[a2], allocated[g1]], ['80.00', '19.99', undefined])
  const off = await books.autoPay(globex.id)
  assert.equal(off.enabled, false)
  assert.equal(off.disabledVia.kind, 'decline')
  assert.equal(off.disabledVia.writeKey, keyOf[g1])
  assert.equal(off.disabledAt, '2026-04-10T09:00:00.000Z')
  assert.equal(sent.length, 1)
  assert.equal(sent[0].to_email, 'ap@globex.test')
  assert.match(sent[0].text, /declined by your bank/)

  // A re-run charges, disables and tells nothing more.
  const again = await books.runAutoPay({ apiKey: KEY, baseUrl: url, now: RUN, notify: ['email'] }, channels)
  assert.deepEqual([again.charges.delivered, again.charges.resolved, again.disabled, again.notices.delivered], [[], [], [], []])
  assert.equal(sent.length, 1)
  assert.deepEqual(charged().length, intents.length)
  assert.equal((await books.disableAutoPay(acme.id, 'asked to stop', RUN)).disabledReason, 'asked to stop')
  assert.equal((await books.enableAutoPay(acme.id, RUN)).enabled, true)
})

// Own invoices (create, issue, void; numbering; paid by a payment naming them) and
// books customers pushed once to localstripe, read back with the official stripe SDK.
import assert from 'node:assert/strict'
import { test } from 'node:test'

import { emptyList, mockStripe, rejectsWithCode, stripeDir, tieout } from './helpers.mjs'
import { KEY, withLocalstripe } from './localstripe_support.mjs'

const { Books, StripeFiles } = tieout
const T1 = '2025-04-06T09:00:00Z'

const lines = () => [
  { description: 'Consulting', quantity: '2', unitAmount: '150.00' },
  { kind: 'discount', description: 'Loyalty', amount: '30.00' },
  { kind: 'tax', description: 'Sales tax', amount: '27.00' },
]

test('own invoices: totals, gap-free numbers per prefix, paid by a charge naming them', async () => {
  const books = Books.inMemory()
  const c = await books.createCustomer('Acme', { email: 'ap@acme.test' })
  const a = await books.createInvoice({ customerId: c.id, lines: lines(), currency: 'usd', dueDate: T1 }, T1)
  assert.equal(a.status, 'draft')
  assert.equal(a.number, null)
  assert.deepEqual([a.subtotal, a.discount, a.tax, a.total], ['300.00', '30.00', '27.00', '297.00'])
  const b = await books.createInvoice({ customerId: c.id, lines: lines(), currency: 'usd', key: 'order-1' }, T1)
  const b2 = await books.createInvoice({ customerId: c.id, lines: lines(), currency: 'usd', key: 'order-1' }, T1)
  assert.equal(b2.id, b.id, 'the same key gives the same invoice')
  assert.equal((await books.issueInvoice(a.id, T1)).number, 'INV-000001')
  assert.equal((await books.issueInvoice(b.id, T1)).number, 'INV-000002')
  await rejectsWithCode(books.issueInvoice(b.id, T1), 'INVALID_ARGUMENT')
  await rejectsWithCode(books.createInvoice({ customerId: c.id, lines: [{ description: 'x', unitAmount: '0.001' }], currency: 'usd' }), 'INVALID_AMOUNT')
  const cr = await books.createInvoice({ customerId: c.id, lines: lines(), currency: 'usd', prefix: 'CR-' }, T1)
  assert.equal((await books.issueInvoice(cr.id, T1)).number, 'CR-000001')
  assert.equal((await books.voidInvoice(cr.id, T1)).status, 'void')

  const dir = stripeDir({
    'charge.json': {
      id: 'ch_own1', object: 'charge', amount: 29700, amount_captured: 29700, amount_refunded: 0,
      currency: 'usd', customer: null, created: 1743850000, captured: true, paid: true,
      refunded: false, status: 'succeeded', livemode: false, metadata: { invoice: a.id },
      invoice: null, payment_intent: null, balance_transaction: null, disputed: false,
    },
  })
  await books.import(new StripeFiles(dir))
  const paid = (await books.invoices()).find((i) => i.id === a.id)
  assert.equal(paid.status, 'paid')
  assert.equal(paid.amountRemaining, '0.00')
  assert.deepEqual((await books.invoices({ status: 'open' })).map((i) => i.number), ['INV-000002'])
})

withLocalstripe('customers are pushed to localstripe once and stay linked', {}, async ({ url, sdk }) => {
  const books = Books.inMemory()
  const ids = []
  for (const n of ['Acme', 'Globex']) ids.push((await books.createCustomer(n, { email: `ap@${n.toLowerCase()}.test` })).id)
  const review = await books.reviewCustomerPushes({ apiKey: KEY, baseUrl: url })
  assert.deepEqual(review.writes.map((w) => w.kind), ['customer_create', 'customer_create'])
  assert.equal(review.livemode, false)
  const report = await books.pushCustomers({ apiKey: KEY, baseUrl: url })
  assert.equal(report.delivered.length, 2)
  const again = await books.pushCustomers({ apiKey: KEY, baseUrl: url })
  assert.deepEqual(again.delivered, [])
  const onStripe = sdk('print(json.dumps([c.to_dict() for c in stripe.Customer.list(limit=100).auto_paging_iter()]))')
  assert.deepEqual(onStripe.map((c) => c.metadata.tieout_customer).sort(), [...ids].sort())
  for (const id of ids) {
    const link = await books.stripeCustomerLink(id, review.account)
    assert.ok(onStripe.some((c) => c.id === link), `${id} linked to ${link}`)
  }
})

test('paymentLink: one active Checkout Session per invoice (local Checkout stand-in)', async () => {
  const posts = []
  const srv = await mockStripe((req, url) => {
    if (req.method === 'GET' && url.pathname === '/v1/checkout/sessions') return { body: emptyList(url.pathname) }
    if (req.method !== 'POST') return { status: 404, body: { error: { message: 'no route' } } }
    posts.push({ path: url.pathname, key: req.headers['idempotency-key'] })
    if (url.pathname === '/v1/customers') return { body: { id: 'cus_fake1', object: 'customer', metadata: {} } }
    if (url.pathname === '/v1/checkout/sessions') {
      const n = posts.filter((p) => p.path === url.pathname).length
      return { body: { id: `cs_${n}`, url: `https://checkout.test/cs_${n}`, status: 'open', expires_at: 1900000000 } }
    }
    return { status: 404, body: { error: { message: 'no route' } } }
  })
  try {
    const books = Books.inMemory()
    const c = await books.createCustomer('Acme', { email: 'ap@acme.test' })
    await books.pushCustomers({ apiKey: KEY, baseUrl: srv.url, now: T1 })
    assert.equal(await books.stripeCustomerLink(c.id, 'acct_unknown'), 'cus_fake1')
    const draft = await books.createInvoice({ customerId: c.id, lines: lines(), currency: 'usd' }, T1)
    const inv = await books.issueInvoice(draft.id, T1)
    const opts = { apiKey: KEY, baseUrl: srv.url, successUrl: 'https://books.test/ok', cancelUrl: 'https://books.test/no', saveCard: true, now: T1 }
    const first = await books.paymentLink(inv.id, opts)
    assert.equal(first.created, true)
    assert.equal(first.amount, '297.00')
    const again = await books.paymentLink(inv.id, opts)
    assert.equal(again.url, first.url)
    assert.equal(again.created, false)
    const creates = posts.filter((p) => p.path === '/v1/checkout/sessions')
    assert.equal(creates.length, 1, 'asking again makes no request')
    assert.match(creates[0].key, /^wk_[0-9a-f]{64}$/)
  } finally {
    await srv.close()
  }
})

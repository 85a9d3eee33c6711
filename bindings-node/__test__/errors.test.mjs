// Errors: JS Error objects with a stable `code` per kind and the cause chain in the message.
import assert from 'node:assert/strict'
import path from 'node:path'
import { test } from 'node:test'

import { SAMPLE, emptyList, mockStripe, rejectsWithCode, throwsWithCode, tieout, tmpdir } from './helpers.mjs'

const { Books, StripeFiles, StripeSource } = tieout

const fast = (url, extra = {}) => ({ baseUrl: url, maxRetries: 0, retryBaseDelayMs: 1, retryMaxDelayMs: 2, ...extra })

test('INVALID_API_KEY: a publishable key is refused synchronously, without echoing it', () => {
  throwsWithCode(() => new StripeSource('pk_test_secretish'), 'INVALID_API_KEY', /publishable/)
  throwsWithCode(() => new StripeSource(''), 'INVALID_API_KEY')
  try {
    new StripeSource('xx_test_abcdef')
  } catch (e) {
    assert.ok(!e.message.includes('xx_test_abcdef'))
  }
})

test('INVALID_API_KEY: Stripe answers 401', async () => {
  const stripe = await mockStripe(() => ({
    status: 401,
    body: { error: { type: 'invalid_request_error', message: 'Invalid API Key provided: sk_test_****' } },
  }))
  try {
    const src = new StripeSource('sk_test_wrongkey', fast(stripe.url))
    await rejectsWithCode(src.verify(), 'INVALID_API_KEY', /401/)
    await rejectsWithCode(Books.inMemory().review(src), 'INVALID_API_KEY')
    assert.equal(stripe.requests[0].auth, 'Bearer sk_test_wrongkey')
  } finally {
    await stripe.close()
  }
})

test('PERMISSION_DENIED: a restricted key without access', async () => {
  const stripe = await mockStripe(() => ({
    status: 403,
    body: { error: { type: 'invalid_request_error', message: 'The provided key does not have access' } },
  }))
  try {
    const src = new StripeSource('rk_test_limited', fast(stripe.url))
    await rejectsWithCode(src.verify(), 'PERMISSION_DENIED', /permission denied/)
    await rejectsWithCode(src.verifyPermissions(['invoices']), 'PERMISSION_DENIED', /invoices/)
  } finally {
    await stripe.close()
  }
})

test('RATE_LIMITED: 429 until the retries run out', async () => {
  const stripe = await mockStripe(() => ({
    status: 429,
    headers: { 'retry-after': '0' },
    body: { error: { type: 'rate_limit_error', message: 'Too many requests' } },
  }))
  try {
    const src = new StripeSource('sk_test_busy', fast(stripe.url, { maxRetries: 1 }))
    await rejectsWithCode(src.verify(), 'RATE_LIMITED', /rate limited/)
  } finally {
    await stripe.close()
  }
})

test('APPROVAL_REQUIRED: a live source needs allowLive and the approval of a review of the same plan', async () => {
  const stripe = await mockStripe((req, url) => {
    if (url.pathname === '/v1/account') return { body: { id: 'acct_live1', object: 'account', livemode: true } }
    return { body: emptyList(url.pathname) }
  })
  try {
    const live = new StripeSource('sk_live_realmoney', fast(stripe.url, { shards: 1 }))
    const books = Books.inMemory()
    const plan = { objects: ['customers'] }
    await rejectsWithCode(books.import(live, plan), 'APPROVAL_REQUIRED', /live/)
    const livePlan = { ...plan, allowLive: true }
    await rejectsWithCode(books.import(live, livePlan), 'APPROVAL_REQUIRED')
    const review = await books.review(live, livePlan)
    assert.equal(review.account.livemode, true)
    assert.equal(review.account.account, 'acct_live1')
    await rejectsWithCode(
      books.import(live, { ...livePlan, matchByEmail: true }, { approval: review.approval }),
      'APPROVAL_REQUIRED',
      /review/,
    )
    const run = await books.import(live, livePlan, { approval: review.approval })
    assert.equal(run.status, 'succeeded')
    assert.equal(run.mode, 'live')
  } finally {
    await stripe.close()
  }
})

test('NETWORK_ERROR: nothing listening', async () => {
  const src = new StripeSource('sk_test_nobody', fast('http://127.0.0.1:9', { timeoutMs: 2000 }))
  await rejectsWithCode(src.verify(), 'NETWORK_ERROR')
})

test('FILE_ERROR, NOT_FOUND, INVALID_ARGUMENT, INVALID_RECORD, WEBHOOK_SIGNATURE', async () => {
  throwsWithCode(() => new StripeFiles(path.join(tmpdir(), 'missing')), 'FILE_ERROR', /not a directory/)
  const books = Books.inMemory()
  const files = new StripeFiles(SAMPLE)
  await rejectsWithCode(books.review(files, { fixedCustomer: 'cust_nope' }), 'NOT_FOUND', /cust_nope/)
  await rejectsWithCode(books.review(files, { createdTo: 'soon' }), 'INVALID_ARGUMENT')
  await rejectsWithCode(books.applyEvent('{"id": "evt_1"}'), 'INVALID_RECORD', /not a Stripe event/)
  await rejectsWithCode(books.applyEvent({ object: 'charge', id: 'ch_1' }), 'INVALID_RECORD')
  await rejectsWithCode(books.applyEvent('not json'), 'INVALID_RECORD')
  await rejectsWithCode(books.applyEvent(42), 'INVALID_ARGUMENT')
  throwsWithCode(() => tieout.verifyWebhook(Buffer.from('{}'), 't=1,v1=00', 'whsec_x'), 'WEBHOOK_SIGNATURE')
})

test('STORE_ERROR: books that cannot be opened', async () => {
  await rejectsWithCode(Books.open(path.join(tmpdir(), 'no', 'such', 'dir', 'books.db')), 'STORE_ERROR')
})

test('errors carry the cause chain in the message', async () => {
  const books = Books.inMemory()
  try {
    await books.import(new StripeFiles(SAMPLE), { postActions: ['missing'] })
    assert.fail('should reject')
  } catch (e) {
    assert.equal(e.code, 'INVALID_ARGUMENT')
    assert.match(e.message, /^invalid: post-import action missing is not registered/)
  }
  const stripe = await mockStripe(() => ({ status: 401, body: { error: { type: 'invalid_request_error', message: 'x' } } }))
  try {
    await new StripeSource('sk_test_k', fast(stripe.url)).verify()
    assert.fail('should reject')
  } catch (e) {
    assert.match(e.message, /invalid API key: Stripe rejected the key \(HTTP 401\)/)
    assert.ok(!e.message.includes('sk_test_k'), 'no key in messages')
  } finally {
    await stripe.close()
  }
})

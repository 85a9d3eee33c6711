// The public contract of DESIGN.md, call by call, in camelCase.
import assert from 'node:assert/strict'
import path from 'node:path'
import { test } from 'node:test'

import { SAMPLE, assertDecEq, decSum, rejectsWithCode, stripeDir, throwsWithCode, tieout, tmpdir } from './helpers.mjs'

const { Books, StripeFiles, StripeSource } = tieout

const byExternal = (records) => Object.fromEntries(records.map((r) => [r.source.externalId, r]))

test('Books.inMemory is sync, Books.open is a Promise of Books backed by a SQLite file', async () => {
  const mem = Books.inMemory()
  assert.ok(mem instanceof Books)
  const pending = Books.open(path.join(tmpdir(), 'books.db'))
  assert.ok(pending instanceof Promise)
  const books = await pending
  assert.ok(books instanceof Books)
  assert.deepEqual(await books.customers(), [])
})

test('Books.open takes how imports group pages into commits; commitBatch reads it back', async () => {
  const byDefault = await Books.open(path.join(tmpdir(), 'books.db'))
  assert.deepEqual(byDefault.commitBatch, { records: 2000, seconds: 1 })
  const everyPage = await Books.open(path.join(tmpdir(), 'books.db'), { commitRecords: 0, commitSeconds: 0 })
  assert.deepEqual(everyPage.commitBatch, { records: 0, seconds: 0 })
  const files = new StripeFiles(SAMPLE)
  await byDefault.import(files)
  await everyPage.import(files)
  assert.deepEqual(await everyPage.invoices(), await byDefault.invoices())
  assert.deepEqual(await everyPage.allocations(), await byDefault.allocations())
  const bad = [{ commitRecords: -1 }, { commitSeconds: -0.5 }, { commitSeconds: Number.NaN }]
  for (const options of bad) {
    await rejectsWithCode(Books.open(path.join(tmpdir(), 'bad.db'), options), 'INVALID_ARGUMENT', /commit batch/)
  }
})

test('StripeSource takes the key and every client option; nothing is sent until verify()', () => {
  const src = new StripeSource('sk_test_abc123', {
    baseUrl: 'http://127.0.0.1:9',
    apiVersion: '2024-06-20',
    stripeAccount: 'acct_123',
    maxRequestsPerSecond: 5,
    maxConcurrency: 2,
    maxRetries: 0,
    timeoutMs: 1000,
    retryBaseDelayMs: 10,
    retryMaxDelayMs: 20,
    pageLimit: 10,
    shards: 1,
    backfillStart: '2020-01-01',
  })
  assert.equal(src.maskedKey, 'sk_test_****')
  assert.equal(src.mode, 'test')
  assert.equal(src.apiVersion, '2024-06-20')
  assert.equal(new StripeSource('rk_live_abc').mode, 'live')
  throwsWithCode(() => new StripeSource('sk_test_x', { backfillStart: 'yesterday' }), 'INVALID_ARGUMENT', /backfillStart/)
})

test('StripeFiles reads a directory and verify() names the account', async () => {
  const files = new StripeFiles(SAMPLE)
  assert.equal(files.dir, SAMPLE)
  const info = await files.verify()
  assert.deepEqual(info, { system: 'stripe', account: 'acct_files', livemode: false, keyKind: 'files' })
  const labelled = new StripeFiles(SAMPLE, { account: 'acct_label' })
  assert.equal((await labelled.verify()).account, 'acct_label')
})

test('review writes nothing; import with the approval writes; every query answers', async () => {
  const books = Books.inMemory()
  const files = new StripeFiles(SAMPLE)
  const review = await books.review(files, {})
  assert.match(review.approval, /^apv_[0-9a-f]{64}$/)
  assert.equal(review.account.account, 'acct_files')
  assert.ok(review.entries.length > 0)
  assert.ok(review.entries.every((e) => ['create', 'update', 'unchanged', 'skipped', 'failed'].includes(e.action)))
  assert.ok(review.totalCounts.created > 0)
  assert.ok(review.counts.invoice.created > 0)
  assert.ok(review.totals.some((t) => t.object === 'invoice' && t.currency === 'USD' && typeof t.amount === 'string'))
  assert.ok(review.allocations.length > 0, 'review shows the allocations it would make')
  assert.deepEqual(await books.invoices(), [], 'review wrote nothing')
  assert.deepEqual(await books.history(), [])
  // Entries are read page by page from the review's spill file.
  const all = review.entries
  assert.equal(review.entryCount, all.length)
  const t = review.totalCounts
  assert.equal(all.length, t.created + t.updated + t.unchanged + t.skipped + t.failed)
  assert.deepEqual(review.entriesPage(2, 5), all.slice(2, 7))
  assert.deepEqual(review.entriesPage(all.length, 10), [])
  const paged = []
  for (let offset = 0; ; ) {
    const page = review.entriesPage(offset, 3)
    if (page.length === 0) break
    paged.push(...page)
    offset += page.length
  }
  assert.deepEqual(paged, all)
  // So are the allocations, in id order.
  const allocs = review.allocations
  assert.equal(review.allocationCount, allocs.length)
  assert.deepEqual(allocs.map((a) => a.id), allocs.map((a) => a.id).sort())
  assert.deepEqual(review.allocationsPage(1, 2), allocs.slice(1, 3))
  assert.deepEqual(review.allocationsPage(allocs.length, 10), [])
  assert.equal(review.allocationsRemovedCount, review.allocationsRemoved.length)

  const run = await books.import(files, {}, { approval: review.approval })
  assert.equal(run.status, 'succeeded')
  assert.equal(run.created, review.totalCounts.created)
  const written = (await books.allocations()).sort((a, b) => (a.id < b.id ? -1 : 1))
  assert.deepEqual(written.map((a) => [a.id, a.amount]), allocs.map((a) => [a.id, a.amount]), 'the reviewed allocations were written')
  assert.equal(run.planHash, review.planHash)
  assert.ok(run.notes.some((n) => n.includes('applied the reviewed changes')), run.notes.join('; '))

  const queries = {
    customers: 4,
    invoices: 6,
    payments: 4,
    allocations: null,
    subscriptions: 1,
    payouts: 1,
    refunds: 1,
    disputes: 0,
    balanceTransactions: 6,
    bankLines: 0,
    products: 3,
    prices: null,
    history: 1,
  }
  for (const [name, expected] of Object.entries(queries)) {
    const list = await books[name]()
    assert.ok(Array.isArray(list), `${name}() is an array`)
    if (expected !== null) assert.equal(list.length, expected, `${name}() count`)
    for (const r of list) assert.equal(typeof r.id, 'string', `${name}() records have ids`)
  }
  assert.equal(await books.defaultAccount(), 'acct_files')
  await books.setDefaultAccount('acct_other')
  assert.equal(await books.defaultAccount(), 'acct_other')
})

test('records carry id, source and the DESIGN.md fields, amounts as strings, times as ISO strings', async () => {
  const books = Books.inMemory()
  await books.import(new StripeFiles(SAMPLE))
  const invoices = byExternal(await books.invoices())
  const acme = invoices.in_SAcmeApr2025001
  assert.deepEqual(Object.keys(acme.source).sort(), [
    'account', 'createdAt', 'externalId', 'livemode', 'object', 'originalCustomer', 'status', 'system', 'updatedAt', 'url',
  ])
  assert.equal(acme.source.system, 'stripe')
  assert.equal(acme.source.object, 'invoice')
  assert.equal(acme.source.status, 'paid')
  assert.match(acme.source.url, /^https:\/\/invoice\.stripe\.com\//)
  assert.match(acme.source.updatedAt, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/)
  assert.equal(new Date(acme.source.updatedAt).toISOString(), acme.source.updatedAt)
  for (const f of ['subtotal', 'tax', 'total', 'amountDue', 'amountPaid', 'amountRemaining']) {
    assert.equal(typeof acme[f], 'string', f)
  }
  assertDecEq(acme.total, '374.10')
  assert.equal(acme.total, '374.10')
  assert.equal(acme.currency, 'USD')
  assert.equal(acme.number === null || typeof acme.number === 'string', true)
  assert.ok(Array.isArray(acme.lines) && acme.lines.length > 0)
  assert.equal(typeof acme.lines[0].amount, 'string')
  assert.ok(acme.customerId.startsWith('cust_'))
  assert.equal(invoices.in_SBlueOpen00002.status, 'open')
  assert.equal(invoices.in_SBlueVoid00004.status, 'void')
  assert.equal(invoices.in_SCoraUncol0005.status, 'uncollectible')
  assert.equal(invoices.in_SCoraPart00003.status, 'partially_paid')
  assertDecEq(invoices.in_SCoraPart00003.amountPaid, '100')
  assertDecEq(invoices.in_SCoraPart00003.amountRemaining, '200')

  const payments = await books.payments()
  const acmePay = payments.find((p) => p.externalIds.includes('ch_SAcmeApr0000001'))
  for (const id of ['ch_SAcmeApr0000001', 'pi_SAcmeApr0000001', 'inpay_SAcmeApr0000001', 'txn_SAcmeApr000001']) {
    assert.ok(acmePay.externalIds.includes(id), `payment names ${id}: ${acmePay.externalIds}`)
  }
  assert.equal(acmePay.refs.charge, 'ch_SAcmeApr0000001')
  assertDecEq(acmePay.refunded, '50')
  for (const f of ['amount', 'fee', 'refunded', 'unapplied', 'allocated']) assert.equal(typeof acmePay[f], 'string', f)
  for (const p of payments) {
    assertDecEq(p.amount, decSum(p.allocated, p.unapplied, p.refunded, p.disputed), `invariant for ${p.id}`)
  }

  const [sub] = await books.subscriptions()
  assert.equal(sub.status, 'active')
  assert.equal(typeof sub.amount, 'string')
  assert.equal(sub.interval, 'month')
  assert.ok(Array.isArray(sub.items))

  const [payout] = await books.payouts()
  assertDecEq(payout.amount, '591.41')
  assert.match(payout.arrivalDate, /^\d{4}-\d{2}-\d{2}$/)
  assert.ok(Array.isArray(payout.balanceTransactionIds))
  assert.equal(payout.depositId, null)

  const alloc = (await books.allocations())[0]
  assert.deepEqual(Object.keys(alloc).sort(), ['allocatedAt', 'amount', 'currency', 'id', 'invoiceId', 'kind', 'paymentId', 'reason'])
  assert.equal(typeof alloc.reason.detail, 'string')
  assert.ok(['explicit_link', 'payment_intent', 'charge', 'metadata', 'exact_amount', 'oldest_first'].includes(alloc.reason.strategy))

  const [run] = await books.history()
  for (const f of ['id', 'status', 'startedAt', 'finishedAt', 'created', 'updated', 'unchanged', 'skipped', 'failed', 'failures']) {
    assert.ok(f in run, `ImportRun.${f}`)
  }
})

test('invoices() filters by status and customer', async () => {
  const books = Books.inMemory()
  await books.import(new StripeFiles(SAMPLE))
  const paid = await books.invoices({ status: 'paid' })
  assert.ok(paid.length > 0 && paid.every((i) => i.status === 'paid'))
  const acme = (await books.customers()).find((c) => c.name === 'Acme Corporation')
  const mine = await books.invoices({ customerId: acme.id })
  assert.ok(mine.length > 0 && mine.every((i) => i.customerId === acme.id))
  assert.deepEqual(await books.invoices({ customerId: 'cust_nobody' }), [])
})

test('createCustomer, then a fixed-customer import files everything under it and keeps the original', async () => {
  const books = Books.inMemory()
  const c = await books.createCustomer('Stripe Customer', { email: 'stripe@books.example', kind: 'company' })
  assert.equal(c.name, 'Stripe Customer')
  assert.equal(c.email, 'stripe@books.example')
  assert.equal(c.kind, 'company')
  assert.equal(c.source, null)
  const person = await books.createCustomer('Ada', { kind: 'contact' })
  assert.equal(person.kind, 'contact')
  await rejectsWithCode(books.createCustomer('  '), 'INVALID_ARGUMENT')

  const files = new StripeFiles(SAMPLE)
  const plan = { customerResolution: 'fixed', fixedCustomer: c.id }
  const review = await books.review(files, plan)
  assert.equal(review.summary.customerResolution, 'fixed')
  assert.equal(review.summary.fixedCustomer, c.id)
  assert.equal(review.summary.writeOffAbs, '0')
  assert.ok(review.summary.objects.includes('invoices'))
  assert.match(review.summaryText, /^Import plan\n/)
  assert.ok(review.summaryText.includes(c.id), review.summaryText)
  await books.import(files, plan, { approval: review.approval })
  const invoices = await books.invoices()
  assert.ok(invoices.length > 0)
  for (const i of invoices) {
    assert.equal(i.customerId, c.id)
    assert.ok(i.source.originalCustomer, 'original customer kept')
    assert.match(i.source.originalCustomer.externalId, /^cus_/)
  }
  await rejectsWithCode(books.review(files, { customerResolution: 'fixed', fixedCustomer: 'cust_missing' }), 'NOT_FOUND')
})

test('every ImportPlan option is accepted and changes the plan', async () => {
  const files = new StripeFiles(SAMPLE)
  const base = await Books.inMemory().review(files, {})
  const variants = [
    { objects: ['customers', 'invoices'] },
    { matchByEmail: true },
    { customerFilter: { allow: ['cus_SAcmeCorp00001'] } },
    { customerFilter: { exclude: ['hello@bluebird.example'] } },
    { createdFrom: '2025-04-01T00:00:00Z' },
    { createdTo: '2025-05-01' },
    { invoiceStatuses: ['paid', 'open'] },
    { paidInvoices: 'mark_paid_only' },
    { unpaidInvoices: 'as_drafts' },
    {
      policy: {
        order: 'newest_first',
        writeOffAbs: '0.05',
        writeOffPct: '0.5',
        fees: 'net',
        fx: 'ignore',
        metadataKeys: ['inv'],
        matchOnImport: false,
        depositWindowDays: 5,
      },
    },
    { allowLive: true },
  ]
  const hashes = new Set([base.planHash])
  for (const plan of variants) {
    const r = await Books.inMemory().review(files, plan)
    assert.ok(!hashes.has(r.planHash), `plan ${JSON.stringify(plan)} has its own hash`)
    hashes.add(r.planHash)
  }
  assert.equal(hashes.size, variants.length + 1)
  // Spelling out a default is the same plan.
  assert.equal((await Books.inMemory().review(files, { customerResolution: 'stripe', paidInvoices: 'record_payment' })).planHash, base.planHash)
})

test('plan options take effect: objects, created range, statuses, paid and unpaid handling, customer filter', async () => {
  const files = new StripeFiles(SAMPLE)
  const run = async (plan) => {
    const books = Books.inMemory()
    await books.import(files, plan)
    return books
  }
  let b = await run({ objects: ['customers'] })
  assert.equal((await b.customers()).length, 4)
  assert.equal((await b.invoices()).length, 0)

  b = await run({ createdFrom: '2030-01-01' })
  assert.equal((await b.invoices()).length, 0)

  b = await run({ invoiceStatuses: ['paid'] })
  assert.deepEqual((await b.invoices()).map((i) => i.source.status).sort(), ['paid', 'paid'])

  b = await run({ objects: ['customers', 'invoices'], paidInvoices: 'mark_paid_only' })
  assert.equal((await b.payments()).length, 0)
  assert.equal(byExternal(await b.invoices()).in_SAcmeApr2025001.status, 'paid')
  b = await run({ objects: ['customers', 'invoices'], paidInvoices: 'record_payment' })
  assert.ok((await b.payments()).length > 0)

  b = await run({ unpaidInvoices: 'as_drafts' })
  assert.equal(byExternal(await b.invoices()).in_SBlueOpen00002.status, 'draft')

  b = await run({ customerFilter: { allow: ['cus_SAcmeCorp00001'] } })
  assert.deepEqual((await b.invoices()).map((i) => i.source.externalId), ['in_SAcmeApr2025001'])
})

test('invalid plan options are INVALID_ARGUMENT errors', async () => {
  const books = Books.inMemory()
  const files = new StripeFiles(SAMPLE)
  await rejectsWithCode(books.review(files, { customerResolution: 'fixed' }), 'INVALID_ARGUMENT', /fixedCustomer/)
  await rejectsWithCode(books.review(files, { customerResolution: 'stripe', fixedCustomer: 'cust_1' }), 'INVALID_ARGUMENT')
  await rejectsWithCode(books.review(files, { customerFilter: { allow: ['a'], exclude: ['b'] } }), 'INVALID_ARGUMENT')
  await rejectsWithCode(books.review(files, { createdFrom: 'last tuesday' }), 'INVALID_ARGUMENT', /createdFrom/)
  await rejectsWithCode(books.review(files, { createdFrom: '2025-02-01', createdTo: '2025-01-01' }), 'INVALID_ARGUMENT')
  await rejectsWithCode(books.review(files, { policy: { writeOffAbs: '1e3' } }), 'INVALID_ARGUMENT', /writeOffAbs/)
  await rejectsWithCode(books.review(files, { policy: { writeOffAbs: '-1' } }), 'INVALID_ARGUMENT')
  await rejectsWithCode(books.import(files, { postActions: ['nobody'] }), 'INVALID_ARGUMENT', /nobody/)
  // Wrong argument types fail in napi's conversion, synchronously, before any work.
  assert.throws(() => books.review(files, { objects: ['widgets'] }), /ObjectScope/)
})

test('post-import actions registered from JS run with the run; a refusal is ACTION_FAILED', async () => {
  const books = Books.inMemory()
  const files = new StripeFiles(SAMPLE)
  const seen = []
  books.registerAction('notify', (run) => {
    seen.push(run)
  })
  books.registerAction('refuse', () => 'ledger closed')
  const run = await books.import(files, { postActions: ['notify'] })
  assert.equal(seen.length, 1)
  assert.equal(seen[0].id, run.id)
  assert.equal(seen[0].status, 'succeeded')
  assert.ok(run.notes.some((n) => n.includes('notify')))
  await rejectsWithCode(books.import(files, { postActions: ['refuse'] }), 'ACTION_FAILED', /ledger closed/)
})

test('onProgress carries the failures so far', async () => {
  const customers = Array.from({ length: 900 }, (_, i) => ({
    id: `cus_F${String(i).padStart(6, '0')}`,
    object: 'customer',
    name: `Customer ${i}`,
    created: 1700000000 + i,
  }))
  const invoices = [{
    id: 'in_bad', object: 'invoice', customer: null, currency: 'zzz', status: 'open', total: 500,
    subtotal: 500, amount_due: 500, amount_paid: 0, created: 1700000001,
    lines: { object: 'list', data: [], has_more: false },
  }]
  const dir = stripeDir({
    'customers.json': { object: 'list', data: customers, has_more: false },
    'invoices.json': { object: 'list', data: invoices, has_more: false },
  })
  const files = new StripeFiles(dir)
  const books = Books.inMemory()
  const calls = []
  const review = await books.review(files, {}, { onProgress: (done, total, failures) => { calls.push([done, failures]) } })
  assert.equal(review.failures.length, 1)
  assert.ok(calls.length >= 2, JSON.stringify(calls))
  assert.deepEqual(calls.at(-1), [901, 1])
  assert.ok(calls.every(([, f], i) => Number.isInteger(f) && (i === 0 || f >= calls[i - 1][1])), 'a running count')
  calls.length = 0
  const run = await books.import(files, {}, { onProgress: (done, total, failures) => { calls.push([done, failures]) } })
  assert.equal(run.failed, 1)
  assert.deepEqual(calls.at(-1), [901, 1])
})

test('onProgress is called from the native side; returning false interrupts, the next import resumes', async () => {
  const customers = Array.from({ length: 1200 }, (_, i) => ({
    id: `cus_P${String(i).padStart(6, '0')}`,
    object: 'customer',
    name: `Customer ${i}`,
    created: 1700000000 + i,
  }))
  const dir = stripeDir({ 'customers.json': { object: 'list', data: customers, has_more: false } })
  const files = new StripeFiles(dir)
  const books = await Books.open(path.join(tmpdir(), 'books.db'))

  const calls = []
  await books.review(files, {}, { onProgress: (done, total) => { calls.push([done, total]) } })
  assert.ok(calls.length >= 2, `called per page: ${JSON.stringify(calls)}`)
  assert.deepEqual(calls.at(-1), [1200, 1200])
  assert.ok(calls.every(([d, t]) => Number.isInteger(d) && t === 1200))

  let pages = 0
  await rejectsWithCode(
    books.import(files, {}, { onProgress: () => { pages += 1; return false } }),
    'INTERRUPTED',
  )
  assert.equal(pages, 1)
  const partial = (await books.customers()).length
  assert.ok(partial > 0 && partial < 1200, `first page committed: ${partial}`)

  const resumed = await books.import(files, {}, { onProgress: () => true })
  assert.equal(resumed.status, 'succeeded')
  assert.equal((await books.customers()).length, 1200)
  const history = await books.history()
  assert.equal(history.length, 2)
  assert.equal(history[0].id, resumed.id, 'history is newest first')
  assert.equal(history[1].status, 'failed')

  await rejectsWithCode(books.review(files, {}, { onProgress: () => { throw new Error('boom') } }), 'INTERRUPTED')
})

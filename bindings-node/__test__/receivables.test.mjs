// Receivables from Node, end to end: collection cases that follow the books,
// aging, and follow-ups over a simulated clock through a real SMTP server
// (aiosmtpd, spawned with the project's venv python), a local Slack webhook
// receiver and a JS host channel: each message goes exactly once, none after
// payment, and a crash in the ambiguous window re-runs without a send under a
// new key.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import http from 'node:http'
import path from 'node:path'
import readline from 'node:readline'
import { test } from 'node:test'

import { ROOT, stripeDir, tieout, tmpdir } from './helpers.mjs'

const DAY = 86_400_000
// Monday 2026-03-02 09:00 UTC: the invoices' due date.
const DUE = Date.parse('2026-03-02T09:00:00Z')
const CREATED = DUE - 30 * DAY
const iso = (ms) => new Date(ms).toISOString()
const ts = (ms) => Math.floor(ms / 1000)

function customer (id, name, address = true) {
  return {
    id, object: 'customer', name, email: `ap@${id}.test`, created: ts(CREATED), livemode: false,
    metadata: {}, deleted: false,
    address: address ? { line1: '1 Main St', line2: null, postal_code: '10115', city: 'Berlin', state: null, country: 'DE' } : null
  }
}

function invoice (id, cus, cents, paid = 0, paidAt = null, due = DUE) {
  const status = paid >= cents ? 'paid' : 'open'
  return {
    id, object: 'invoice', customer: cus, currency: 'eur', created: ts(CREATED), effective_at: ts(CREATED),
    status, livemode: false, number: id.toUpperCase(), subtotal: cents, total: cents,
    amount_due: cents, amount_paid: paid, amount_remaining: cents - paid, due_date: ts(due), metadata: {},
    hosted_invoice_url: `https://invoice.example/${id}`,
    status_transitions: { finalized_at: ts(CREATED), paid_at: status === 'paid' && paidAt ? ts(paidAt) : null },
    lines: { object: 'list', has_more: false, data: [{ id: `il_${id}`, object: 'line_item', amount: cents, currency: 'eur', description: 'services', quantity: 1 }] }
  }
}

function charge (id, inv, cus, cents, at) {
  return {
    id, object: 'charge', amount: cents, amount_captured: cents, amount_refunded: 0, currency: 'eur',
    customer: cus, created: ts(at), captured: true, paid: true, refunded: false, status: 'succeeded',
    livemode: false, metadata: {}, invoice: inv, payment_intent: null, balance_transaction: null, disputed: false
  }
}

const list = (data) => ({ object: 'list', has_more: false, data })

/** The Stripe account as files: the current state of every object. */
class Book {
  constructor () {
    this.customers = [customer('cus_a', 'Alpha GmbH'), customer('cus_b', 'Beta AG'), customer('cus_c', 'Gamma KG', false)]
    this.invoices = {
      in_a: invoice('in_a', 'cus_a', 10000),
      in_b: invoice('in_b', 'cus_b', 5000),
      in_c: invoice('in_c', 'cus_c', 7000),
      in_d: invoice('in_d', 'cus_a', 3000, 0, null, DUE + 5 * DAY)
    }
    this.charges = []
  }

  pay (id, cents, at) {
    const inv = this.invoices[id]
    this.invoices[id] = invoice(id, inv.customer, inv.amount_due, inv.amount_paid + cents, at, inv.due_date * 1000)
    this.charges.push(charge(`ch_${id}_${this.charges.length}`, id, inv.customer, cents, at))
  }

  async load (books) {
    const files = { 'customers.json': list(this.customers), 'invoices.json': list(Object.values(this.invoices)) }
    if (this.charges.length) files['charges.json'] = list(this.charges)
    const src = new tieout.StripeFiles(stripeDir(files))
    const review = await books.review(src)
    return books.import(src, undefined, { approval: review.approval })
  }
}

/**
 * scripts/smtp_sink.py (aiosmtpd) on 127.0.0.1 and a free port. With `tls`
 * ('starttls' or 'tls') it serves a certificate from a throwaway CA whose PEM
 * is `caPem`; each message records its session's TLS version (`tls`).
 */
async function smtpSink (tls = null) {
  const python = process.env.TIEOUT_PYTHON || path.join(ROOT, '.venv', 'bin', 'python')
  assert.ok(fs.existsSync(python), `no python with aiosmtpd at ${python}: run scripts/setup-python.sh`)
  const args = [path.join(ROOT, 'scripts', 'smtp_sink.py')].concat(tls ? ['--tls', tls] : [])
  const child = spawn(python, args, { stdio: ['pipe', 'pipe', 'inherit'] })
  const lines = readline.createInterface({ input: child.stdout })
  const messages = []
  const ready = await new Promise((resolve, reject) => {
    lines.once('line', (l) => (l.startsWith('READY ') ? resolve(l.split(' ')) : reject(new Error(l))))
    child.once('exit', (c) => reject(new Error(`smtp sink exited ${c}`)))
  })
  const port = Number(ready[1])
  const caPem = ready[2] ? fs.readFileSync(ready[2], 'utf8') : null
  assert.equal(caPem !== null, tls !== null, ready.join(' '))
  lines.on('line', (l) => messages.push(JSON.parse(l)))
  return {
    port,
    caPem,
    messages,
    async received (n, ms = 10_000) {
      const end = Date.now() + ms
      while (messages.length < n && Date.now() < end) await new Promise((r) => setTimeout(r, 50))
      return messages
    },
    close () { child.stdin.end(); child.kill('SIGTERM') }
  }
}

function header (raw, name) {
  const m = new RegExp(`^${name}: (.*)$`, 'mi').exec(raw)
  return m ? m[1].trim() : null
}

/** A local Slack incoming-webhook receiver. */
async function slackReceiver () {
  const posts = []
  const server = http.createServer((req, res) => {
    let body = ''
    req.on('data', (c) => { body += c })
    req.on('end', () => { posts.push(JSON.parse(body)); res.writeHead(200); res.end('ok') })
  })
  await new Promise((r) => server.listen(0, '127.0.0.1', r))
  return { posts, url: `http://127.0.0.1:${server.address().port}/hook`, close: () => server.close() }
}

function step (name, days, channel) {
  return {
    name, days, channel,
    subject: `[${name}] Invoice {{ invoice.number }}`,
    text: 'Dear {{ customer.name }}, {{ invoice.open_amount }} {{ invoice.currency }} is open on {{ invoice.number }}' +
      '{% if invoice.partially_paid %} after your part payment{% endif %}.',
    html: '<p>{{ invoice.open_amount }} {{ invoice.currency }} open</p>'
  }
}

test('collection cases open once, refuse incomplete debtors, follow payments; aging adds up', async () => {
  const book = new Book()
  const books = tieout.Books.inMemory()
  await book.load(books)
  const now = iso(DUE + 10 * DAY)
  const opening = await books.createCollectionCases({ now })
  assert.deepEqual(opening.opened.map((c) => c.invoiceExternalId).sort(), ['in_a', 'in_b', 'in_d'])
  assert.equal(opening.refused.length, 1)
  assert.equal(opening.refused[0].invoiceExternalId, 'in_c')
  assert.deepEqual(opening.refused[0].missing, ['postal_address'])
  assert.equal(opening.refused[0].code, 'DEBTOR_INCOMPLETE')
  const a = opening.opened.find((c) => c.invoiceExternalId === 'in_a')
  assert.equal(a.status, 'open')
  assert.equal(a.openAmount, '100.00')
  assert.equal(a.debtor.address.city, 'Berlin')
  assert.equal(a.debtAgeDays, 10)
  assert.equal(a.ageBasis, 'due_date')
  const again = await books.createCollectionCases({ now })
  assert.equal(again.opened.length, 0)
  assert.equal(again.existing.length, 3)

  book.pay('in_a', 10000, DUE + 11 * DAY)
  book.pay('in_b', 2000, DUE + 11 * DAY)
  await book.load(books)
  const cases = Object.fromEntries((await books.collectionCases(now)).map((c) => [c.invoiceExternalId, c]))
  assert.equal(cases.in_a.status, 'paid')
  assert.deepEqual(cases.in_a.history.map((e) => e.reason), ['opened', 'paid'])
  assert.equal(cases.in_b.status, 'open')
  assert.equal(cases.in_b.openAmount, '30.00')
  assert.equal((await books.collectionCase(cases.in_b.id, now)).openAmount, '30.00')
  assert.equal(await books.collectionCase('case_nope'), null)
  // Handing the open case to an agency: submitted, with a history entry; a
  // paid case stays paid; an unknown id rejects with NOT_FOUND.
  const sub = await books.submitCollectionCase(cases.in_b.id, now)
  assert.equal(sub.status, 'submitted')
  assert.equal(sub.openAmount, '30.00')
  assert.equal(sub.history.at(-1).reason, 'submitted')
  assert.equal((await books.collectionCase(sub.id, now)).status, 'submitted')
  assert.equal((await books.submitCollectionCase(cases.in_a.id, now)).status, 'paid')
  await assert.rejects(books.submitCollectionCase('case_nope', now), (e) => e.code === 'NOT_FOUND')
  const csv = (await books.casesCsv(now)).trim().split('\n')
  assert.ok(csv[0].startsWith('case_id,invoice_id,invoice_external_id'))
  assert.equal(csv.length, 4)
  assert.equal(JSON.parse(await books.casesJson(now)).length, 3)

  const aging = await books.aging(iso(DUE + 3 * DAY))
  assert.deepEqual(aging.openTotal, { EUR: '130.00' })
  assert.equal(aging.totals[0].total, '130.00')
  assert.equal(aging.totals[0].current, '30.00')
  assert.equal(aging.totals[0].days1To30, '100.00')
  assert.ok(aging.csv.trim().split('\n').at(-1).startsWith('TOTAL,,EUR,30.00,100.00'))
  assert.equal(JSON.parse(aging.json).totals[0].total, '130.00')
})

test('an import review previews the cases the collection_cases action opens; the approval opens exactly those', async () => {
  const book = new Book()
  const books = tieout.Books.inMemory()
  const files = { 'customers.json': list(book.customers), 'invoices.json': list(Object.values(book.invoices)) }
  const src = new tieout.StripeFiles(stripeDir(files))
  const plan = { postActions: ['collection_cases'] }
  assert.equal((await books.review(src, {})).collectionCases, null)
  const review = await books.review(src, plan)
  const preview = review.collectionCases
  assert.deepEqual(preview.opened.map((c) => c.invoiceExternalId).sort(), ['in_a', 'in_b', 'in_d'])
  assert.equal(preview.opened.find((c) => c.invoiceExternalId === 'in_a').openAmount, '100.00')
  assert.deepEqual(preview.refused.map((r) => [r.invoiceExternalId, r.missing, r.code]),
    [['in_c', ['postal_address'], 'DEBTOR_INCOMPLETE']])
  assert.ok(review.summaryText.includes('3 to open, 0 already open, 1 refused'), review.summaryText)
  assert.deepEqual(await books.collectionCases(), [])
  await books.import(src, plan, { approval: review.approval })
  const cases = await books.collectionCases()
  assert.deepEqual(cases.map((c) => c.id).sort(), preview.opened.map((c) => c.id).sort())
  const again = await books.review(src, plan)
  assert.deepEqual(again.collectionCases.opened, [])
  assert.deepEqual(again.collectionCases.existing.sort(), cases.map((c) => c.id).sort())
  await books.import(src, plan, { approval: again.approval })
  assert.deepEqual(await books.collectionCases(), cases)
})

test('a bad template is a TEMPLATE_ERROR when the policy is made', () => {
  const bad = step('s', 0, 'email')
  bad.text = '{{ invoice.open_amount '
  assert.throws(() => new tieout.FollowUpPolicy({ version: 'v1', steps: [bad] }), (e) => e.code === 'TEMPLATE_ERROR' && /step s/.test(e.message))
  assert.throws(() => new tieout.FollowUpPolicy({ version: 'v1', steps: [step('s', 0, 'email')], quietDays: ['someday'] }), (e) => e.code === 'INVALID_ARGUMENT')
  const p = new tieout.FollowUpPolicy({ version: 'v1', steps: [step('late', 7, 'slack'), step('due', 0, 'email')] })
  assert.deepEqual(p.steps, ['due', 'late'])
})

test('follow-ups go exactly once, stop on payment and survive a crash', async () => {
  const smtp = await smtpSink()
  const slack = await slackReceiver()
  try {
    const book = new Book()
    const books = await tieout.Books.open(path.join(tmpdir(), 'books.db'))
    await book.load(books)
    const policy = new tieout.FollowUpPolicy({
      version: 'v1', steps: [step('due', 0, 'email'), step('late7', 7, 'slack'), step('late14', 14, 'host')], quietDays: []
    })
    const hostLog = []
    const channels = new tieout.Channels()
    channels.smtp('email', { host: '127.0.0.1', port: smtp.port, from: 'AR <ar@tieout.test>', security: 'plain', replyTo: 'billing@tieout.test' })
    channels.slack('slack', slack.url)
    channels.callback('host', (message, key) => { hostLog.push([key, message]); return true })

    const review = await books.reviewFollowUps(policy, iso(DUE))
    assert.deepEqual(review.items.map((i) => i.planned.invoiceExternalId).sort(), ['in_a', 'in_b', 'in_c'])
    const itemA = review.items.find((i) => i.planned.invoiceExternalId === 'in_a')
    assert.equal(itemA.intent.payload.to_email, 'ap@cus_a.test')
    assert.match(itemA.intent.payload.text, /100\.00 EUR is open on IN_A/)
    assert.match(review.approval, /^wapv_/)
    assert.equal((await books.planFollowUps(policy, iso(DUE))).length, 3)

    let crashed = false
    for (let day = 0; day < 20; day++) {
      const now = iso(DUE + day * DAY)
      if (day === 3) { book.pay('in_a', 10000, DUE + day * DAY); await book.load(books) }
      if (day === 9) { book.pay('in_b', 2000, DUE + day * DAY); await book.load(books) }
      if (day === 14) {
        // The host channel takes the message, then the process "dies" before
        // the outcome is committed; the next run resolves it.
        await assert.rejects(
          books.runFollowUps(policy, channels, now, {
            fault: (key, point) => { if (point === 'performed' && !crashed) { crashed = true; return true } return false }
          }),
          (e) => e.code === 'ABORTED'
        )
      }
      await books.runFollowUps(policy, channels, now)
    }
    assert.ok(crashed)

    const mails = await smtp.received(4)
    assert.deepEqual(mails.map((m) => header(m.data, 'Subject')).sort(),
      ['[due] Invoice IN_A', '[due] Invoice IN_B', '[due] Invoice IN_C', '[due] Invoice IN_D'])
    const mailKeys = mails.map((m) => header(m.data, 'X-Tieout-Key'))
    assert.equal(new Set(mailKeys).size, 4)
    const mailA = mails.find((m) => header(m.data, 'Subject') === '[due] Invoice IN_A')
    assert.deepEqual(mailA.rcpt_tos, ['ap@cus_a.test'])
    assert.equal(header(mailA.data, 'Reply-To'), 'billing@tieout.test')

    assert.equal(slack.posts.length, 3)
    assert.ok(!slack.posts.some((p) => p.text.includes('IN_A')), 'nothing after payment')
    assert.equal(new Set(slack.posts.map((p) => p.tieout_key)).size, 3)

    const keys = hostLog.map(([k]) => k)
    assert.equal(keys.length, 4, 'one redelivery after the crash')
    assert.equal(new Set(keys).size, 3, 'never a new key for the same message')
    const b = hostLog.map(([, m]) => m).find((m) => m.invoice_external_id === 'in_b')
    assert.equal(b.open_amount, '30.00')
    assert.match(b.text, /after your part payment/)

    const writes = await books.writes()
    assert.equal(writes.length, 10)
    assert.ok(writes.every((w) => w.status === 'succeeded' && w.key === w.intent.key))
    assert.deepEqual(writes.filter((w) => w.intent.payload.invoice_external_id === 'in_a').map((w) => w.intent.payload.step), ['due'])
    assert.equal(writes.filter((w) => w.attempts.length === 2).length, 1)

    // Each run of writes is in the history, next to the imports.
    const runs = (await books.history()).filter((r) => r.source === 'books:writes')
    assert.ok(runs.length > 0)
    const notes = runs.flatMap((r) => r.notes)
    assert.equal(notes.filter((n) => n.startsWith('succeeded email followup/in_a/due/v1 ')).length, 1)
    assert.equal(runs.reduce((n, r) => n + r.totals.created, 0), 10)

    const last = await books.runFollowUps(policy, channels, iso(DUE + 19 * DAY))
    assert.deepEqual(last.delivered, [])
  } finally {
    smtp.close()
    slack.close()
  }
})

test('live books need the review approval; a throwing host channel is a failure', async () => {
  const book = new Book()
  for (const c of book.customers) c.livemode = true
  for (const i of Object.values(book.invoices)) i.livemode = true
  const books = tieout.Books.inMemory()
  const src = new tieout.StripeFiles(stripeDir({ 'customers.json': list(book.customers), 'invoices.json': list(Object.values(book.invoices)) }))
  const plan = { allowLive: true }
  await books.import(src, plan, { approval: (await books.review(src, plan)).approval })
  const policy = new tieout.FollowUpPolicy({ version: 'v1', steps: [step('due', 0, 'host')], quietDays: [] })
  const channels = new tieout.Channels()
  channels.callback('host', () => { throw new Error('host down') })
  await assert.rejects(books.runFollowUps(policy, channels, iso(DUE)), (e) => e.code === 'APPROVAL_REQUIRED')
  const review = await books.reviewFollowUps(policy, iso(DUE))
  assert.equal(review.plan.livemode, true)
  const r = await books.runFollowUps(policy, channels, iso(DUE), { approval: review.approval, maxAttempts: 2, retryBaseSeconds: 60 })
  assert.equal(r.retrying.length, 3)
  const failed = (await books.writes()).filter((w) => w.status === 'failed')
  assert.equal(failed.length, 3)
  assert.match(failed[0].attempts[0].error, /host down/)
  const [run] = (await books.history()).filter((r) => r.source === 'books:writes')
  assert.equal(run.status, 'partially_failed')
  assert.equal(run.failures.length, 3)
  assert.match(run.failures[0].error, /host down/)
})

test('a Slack digest channel sends one message per day listing each follow-up once', async () => {
  const slack = await slackReceiver()
  try {
    const book = new Book()
    const books = tieout.Books.inMemory()
    await book.load(books)
    const policy = new tieout.FollowUpPolicy({ version: 'v1', steps: [step('late7', 7, 'slack')], quietDays: [] })
    const channels = new tieout.Channels()
    channels.slack('slack', slack.url, { digest: true })
    for (let day = 7; day < 14; day++) {
      await books.runFollowUps(policy, channels, iso(DUE + day * DAY))
      await books.runFollowUps(policy, channels, iso(DUE + day * DAY + 2 * 3_600_000))
    }
    assert.equal(slack.posts.length, 2)
    const [first, second] = slack.posts
    for (const n of ['IN_A', 'IN_B', 'IN_C']) assert.ok(first.text.includes(n))
    assert.ok(second.text.includes('IN_D') && !second.text.includes('IN_A'))
    const followUps = (await books.writes()).filter((w) => w.intent.kind === 'follow_up')
    assert.equal(followUps.length, 4)
    assert.ok(followUps.every((w) => w.status === 'succeeded' && w.attempts.length === 1))
    assert.deepEqual(new Set(followUps.map((w) => w.attempts[0].requestId)), new Set([first.tieout_key, second.tieout_key]))
  } finally {
    slack.close()
  }
})

/**
 * The Book's invoices imported, then one run of a policy whose one step (on
 * the due date) emails through `smtp`: `{ books, report }`.
 */
async function runDueStep (smtp, security, caPem) {
  const books = tieout.Books.inMemory()
  await new Book().load(books)
  const policy = new tieout.FollowUpPolicy({ version: 'v1', steps: [step('due', 0, 'email')], quietDays: [] })
  const channels = new tieout.Channels()
  channels.smtp('email', { host: '127.0.0.1', port: smtp.port, from: 'AR <ar@tieout.test>', security, caPem, timeoutMs: 10_000 })
  return { books, report: await books.runFollowUps(policy, channels, iso(DUE)) }
}

for (const mode of ['starttls', 'tls']) {
  test(`email goes over ${mode} to a server signed by a CA trusted through caPem`, async () => {
    const smtp = await smtpSink(mode)
    try {
      const { report } = await runDueStep(smtp, mode, smtp.caPem)
      assert.equal(report.delivered.length, 3, JSON.stringify(report))
      const mails = await smtp.received(3)
      assert.deepEqual(mails.map((m) => header(m.data, 'Subject')).sort(),
        ['[due] Invoice IN_A', '[due] Invoice IN_B', '[due] Invoice IN_C'])
      for (const m of mails) assert.match(m.tls ?? '', /^TLSv1\./, 'the sink saw the session encrypted')
      const mailA = mails.find((m) => header(m.data, 'Subject') === '[due] Invoice IN_A')
      assert.deepEqual(mailA.rcpt_tos, ['ap@cus_a.test'])
      assert.equal(header(mailA.data, 'From'), 'AR <ar@tieout.test>')
      assert.equal(header(mailA.data, 'Message-ID'), `<${header(mailA.data, 'X-Tieout-Key')}@tieout>`)
      const body = mailA.data.replace(/=\r?\n/g, '')
      assert.match(body, /Dear Alpha GmbH, 100\.00 EUR is open on IN_A\./)
    } finally {
      smtp.close()
    }
  })

  test(`without caPem a ${mode} send fails with a certificate error and nothing arrives`, async () => {
    const smtp = await smtpSink(mode)
    try {
      const { books, report } = await runDueStep(smtp, mode, undefined)
      assert.deepEqual(report.delivered, [])
      assert.equal(report.retrying.length, 3, JSON.stringify(report))
      const writes = await books.writes()
      assert.equal(writes.length, 3)
      for (const w of writes) {
        assert.notEqual(w.status, 'succeeded')
        assert.match(w.attempts[0].error ?? '', /certificate.*UnknownIssuer/)
      }
      assert.deepEqual(await smtp.received(1, 500), [])
    } finally {
      smtp.close()
    }
  })
}

test('a bad caPem is an INVALID_ARGUMENT when the channel is added', () => {
  const notACert = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n'
  for (const security of ['starttls', 'tls', 'plain']) {
    for (const caPem of ['', 'hello', notACert]) {
      const channels = new tieout.Channels()
      assert.throws(
        () => channels.smtp('email', { host: '127.0.0.1', port: 25, from: 'AR <ar@tieout.test>', security, caPem }),
        (e) => e.code === 'INVALID_ARGUMENT' && /ca_pem/.test(e.message),
        `${security} ${JSON.stringify(caPem)}`
      )
    }
  }
})

test('templates print the customer\'s last payment date', async () => {
  const book = new Book()
  book.pay('in_a', 4000, DUE - 4 * DAY)
  book.pay('in_a', 6000, DUE + 3 * DAY) // the latest: it paid in_a
  const books = tieout.Books.inMemory()
  await book.load(books)
  const s = step('late7', 7, 'email')
  s.text = "{{ customer.name }}: last payment {{ history.last_payment_at if history.last_payment_at else 'never' }}."
  const policy = new tieout.FollowUpPolicy({ version: 'v1', steps: [s], quietDays: [] })
  const review = await books.reviewFollowUps(policy, iso(DUE + 12 * DAY))
  assert.deepEqual(review.items.map((i) => i.intent.payload.text).sort(), [
    'Alpha GmbH: last payment 2026-03-05T09:00:00+00:00.', // in_d, due 5 days later
    'Beta AG: last payment never.',
    'Gamma KG: last payment never.'
  ])
})

// The Node examples: the quickstart runs end to end; the webhook server verifies and applies.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { test } from 'node:test'

import { ROOT, SAMPLE, stripeSignature, tieout, tmpdir } from './helpers.mjs'

const { Books } = tieout
const EXAMPLES = path.join(ROOT, 'examples', 'node')

test('examples/node/quickstart.mjs imports the sample, a re-run changes nothing, and it ends with the journal and the Stripe balance statement', async () => {
  const db = path.join(tmpdir(), 'books.db')
  const env = { ...process.env }
  delete env.STRIPE_API_KEY
  const out = spawnSync(process.execPath, [path.join(EXAMPLES, 'quickstart.mjs'), db], { encoding: 'utf8', env, timeout: 60_000 })
  assert.equal(out.status, 0, out.stderr)
  assert.match(out.stdout, /Import succeeded: \d+ created/)
  assert.match(out.stdout, /ACME-0001 +partially_paid +USD +374\.10/)
  // A void invoice is not receivable: nothing open on it (issue 13, item 5).
  assert.match(out.stdout, /BLUE-0001 +void +USD +[\d.]+ paid +0\.00 open +0\.00\n/)
  // Every amount a view prints says its currency: the JPY charge's fee and net are in USD.
  assert.match(out.stdout, / JPY +5000 fee +[\d.]+ USD net +[\d.]+ USD refunded +\d+ JPY unapplied +\d+ JPY/)
  assert.match(out.stdout, /Re-review: 0 change\(s\)/)
  // It ends with the sample's journal entries and its Stripe balance statement,
  // as the library computes them.
  const books = await Books.open(db)
  const journal = await books.journalEntries()
  assert.ok(journal.entries.length > 0)
  const at = out.stdout.indexOf(`\nJournal entries (${journal.entries.length}):\n`)
  assert.ok(at >= 0, 'the journal header with the entry count')
  const ledger = out.stdout.slice(at)
  for (const e of journal.entries) assert.ok(ledger.includes(` ${e.id} `), e.id)
  const currencies = [...new Set((await books.balanceTransactions()).map(t => t.currency))]
  assert.ok(currencies.length > 0)
  for (const cur of currencies) {
    const s = await books.stripeBalance(cur, '1970-01-01T00:00:00Z', '9999-01-01T00:00:00Z')
    const start = ledger.indexOf(`\nStripe balance ${cur}: opening ${s.opening} `)
    assert.ok(start >= 0, `the ${cur} statement`)
    const section = ledger.slice(start)
    for (const l of s.lines) assert.ok(section.includes(l.transactionId), l.transactionId)
    assert.ok(section.includes(`  closing ${s.closing} (available ${s.closingAvailable}, pending ${s.closingPending}); tied: `), section)
  }
  assert.ok(fs.existsSync(db))
  const again = spawnSync(process.execPath, [path.join(EXAMPLES, 'quickstart.mjs'), db], { encoding: 'utf8', env, timeout: 60_000 })
  assert.equal(again.status, 0, again.stderr)
  assert.match(again.stdout, /Import succeeded: 0 created, 0 updated/)
})

test('examples/node/webhook_server.mjs: a signed event is verified and applied; bad signatures are 400', async () => {
  const { createWebhookServer } = await import(path.join(EXAMPLES, 'webhook_server.mjs'))
  const secret = 'whsec_example_secret'
  const books = await Books.open(path.join(tmpdir(), 'books.db'))
  const logs = []
  const server = createWebhookServer({ books, secret, log: (l) => logs.push(l) })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${server.address().port}/stripe/webhook`
  try {
    const body = Buffer.from(
      fs.readFileSync(path.join(SAMPLE, 'events.jsonl'), 'utf8').split('\n').find((l) => l.includes('"invoice.paid"')),
    )
    const post = (payload, signature) =>
      fetch(url, { method: 'POST', body: payload, headers: { 'content-type': 'application/json', 'stripe-signature': signature } })

    const ok = await post(body, stripeSignature(body, secret))
    assert.equal(ok.status, 200)
    assert.deepEqual(await ok.json(), { received: true, status: 'applied' })
    const [invoice] = await books.invoices()
    assert.equal(invoice.source.externalId, 'in_SAcmeApr2025001')
    assert.equal(invoice.total, '374.10')

    const dup = await post(body, stripeSignature(body, secret))
    assert.equal(dup.status, 200)
    assert.equal((await dup.json()).status, 'duplicate')

    const bad = await post(body, stripeSignature(body, 'whsec_wrong'))
    assert.equal(bad.status, 400)
    assert.deepEqual(await bad.json(), { error: 'WEBHOOK_SIGNATURE' })

    const unsigned = await post(body, '')
    assert.equal(unsigned.status, 400)
    assert.equal((await fetch(url.replace('/stripe/webhook', '/other'))).status, 404)
    assert.equal((await books.invoices()).length, 1)
    assert.ok(logs.some((l) => l.includes('evt_SInvoicePaid0001 invoice.paid: applied')))
  } finally {
    await new Promise((resolve) => server.close(resolve))
  }
})

// Webhooks: verified from the raw Buffer (as Express's raw() gives it) and applied.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { test } from 'node:test'

import { SAMPLE, rejectsWithCode, stripeSignature, throwsWithCode, tieout, tmpdir } from './helpers.mjs'

const { Books, verifyWebhook, signWebhook } = tieout
const SECRET = 'whsec_test_0123456789abcdef'

const events = fs
  .readFileSync(path.join(SAMPLE, 'events.jsonl'), 'utf8')
  .split('\n')
  .filter((l) => l.trim())
const invoicePaid = Buffer.from(events.find((l) => l.includes('"invoice.paid"')))

test('verifyWebhook verifies a raw Buffer signed with node:crypto and returns the event as sent', () => {
  const t = Math.floor(Date.now() / 1000)
  const header = stripeSignature(invoicePaid, SECRET, t)
  const event = verifyWebhook(invoicePaid, header, SECRET)
  assert.equal(event.id, 'evt_SInvoicePaid0001')
  assert.equal(event.type, 'invoice.paid')
  assert.equal(event.object, 'event')
  assert.equal(event.data.object.id, 'in_SAcmeApr2025001')
  assert.equal(event.data.object.amount_paid, 37410)
  assert.deepEqual(event, JSON.parse(invoicePaid.toString('utf8')))
  // The binding signs the same way.
  assert.equal(signWebhook(invoicePaid, SECRET, t), header)
  // A string body and a Uint8Array verify too.
  assert.equal(verifyWebhook(invoicePaid.toString('utf8'), header, SECRET).id, event.id)
  assert.equal(verifyWebhook(new Uint8Array(invoicePaid), header, SECRET).id, event.id)
})

test('verifyWebhook refuses tampering, wrong secrets, stale and malformed headers (WEBHOOK_SIGNATURE)', () => {
  const t = 1_700_000_000
  const header = stripeSignature(invoicePaid, SECRET, t)
  const tampered = Buffer.from(invoicePaid.toString('utf8').replace('37410', '37411'))
  throwsWithCode(() => verifyWebhook(tampered, header, SECRET, { now: t }), 'WEBHOOK_SIGNATURE', /mismatch/)
  throwsWithCode(() => verifyWebhook(invoicePaid, header, 'whsec_other', { now: t }), 'WEBHOOK_SIGNATURE')
  throwsWithCode(() => verifyWebhook(invoicePaid, header, SECRET, { now: t + 301 }), 'WEBHOOK_SIGNATURE', /tolerance/)
  throwsWithCode(() => verifyWebhook(invoicePaid, '', SECRET), 'WEBHOOK_SIGNATURE', /missing/)
  throwsWithCode(() => verifyWebhook(invoicePaid, 'v1=abc', SECRET), 'WEBHOOK_SIGNATURE', /timestamp/)
  // Within tolerance, a custom tolerance, and the age check disabled.
  assert.equal(verifyWebhook(invoicePaid, header, SECRET, { now: t + 300 }).id, 'evt_SInvoicePaid0001')
  assert.equal(verifyWebhook(invoicePaid, header, SECRET, { now: t + 3000, tolerance: 3600 }).id, 'evt_SInvoicePaid0001')
  assert.equal(verifyWebhook(invoicePaid, header, SECRET, { tolerance: null }).id, 'evt_SInvoicePaid0001')
  // Secret rotation: any v1 may match.
  const rotated = `${header},v1=${'0'.repeat(64)}`
  assert.equal(verifyWebhook(invoicePaid, rotated, SECRET, { now: t }).id, 'evt_SInvoicePaid0001')
  // A correctly signed body that is not an event is a payload error, not a signature error.
  for (const text of ['{"hello": "world"}', 'not json', '{"id": "evt_1", "object": "event"}']) {
    const notEvent = Buffer.from(text)
    throwsWithCode(() => verifyWebhook(notEvent, stripeSignature(notEvent, SECRET, t), SECRET, { now: t }), 'WEBHOOK_PAYLOAD')
  }
})

test('a verified event is applied to the books, once', async () => {
  const books = await Books.open(path.join(tmpdir(), 'books.db'))
  const event = verifyWebhook(invoicePaid, stripeSignature(invoicePaid, SECRET), SECRET)
  const outcome = await books.applyEvent(event)
  assert.equal(outcome.eventId, 'evt_SInvoicePaid0001')
  assert.equal(outcome.eventType, 'invoice.paid')
  assert.equal(outcome.status, 'applied')
  assert.ok(outcome.entries.some((e) => e.externalId === 'in_SAcmeApr2025001' && e.action === 'create'))
  const [invoice] = await books.invoices()
  assert.equal(invoice.source.externalId, 'in_SAcmeApr2025001')
  assert.equal(invoice.total, '374.10')
  assert.equal(invoice.status, 'paid')

  const again = await books.applyEvent(invoicePaid) // the raw Buffer works too
  assert.equal(again.status, 'duplicate')
  assert.equal((await books.invoices()).length, 1)
})

test('applyEvent takes JSON strings, ignores unknown types, and live events need allowLive', async () => {
  const books = Books.inMemory()
  const payout = events.find((l) => l.includes('"payout.paid"'))
  const outcome = await books.applyEvent(payout)
  assert.equal(outcome.status, 'applied')
  assert.equal((await books.payouts())[0].source.externalId, 'po_SPayoutApr22001')

  const unknown = { id: 'evt_x', object: 'event', type: 'radar.early_fraud_warning.created', created: 1700000000, livemode: false, data: { object: { id: 'issfr_1', object: 'radar.early_fraud_warning' } } }
  assert.equal((await books.applyEvent(unknown)).status, 'ignored')

  const live = JSON.parse(payout)
  live.id = 'evt_live'
  live.livemode = true
  await rejectsWithCode(books.applyEvent(live), 'APPROVAL_REQUIRED', /allow_live/)
  const applied = await books.applyEvent(live, { plan: { allowLive: true } })
  assert.equal(applied.status, 'applied')
})

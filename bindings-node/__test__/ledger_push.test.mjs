// Pushing the shipped sample's journal to QuickBooks Online and Xero from
// Node: nothing without the review's approval, then every document exactly
// once through a crash between recorded and sent, a crash between sent and
// recorded, and a 503. A local HTTP server stands in for each API and
// enforces what the real ones do: a repeated QuickBooks `requestid` or Xero
// `Idempotency-Key` answers the first result instead of creating a second
// document, and documents can be looked up (QuickBooks query by `DocNumber`,
// Xero `Narration.Contains`).
import assert from 'node:assert/strict'
import http from 'node:http'
import path from 'node:path'
import { test } from 'node:test'

import { SAMPLE, decSum, normDec, tieout, tmpdir } from './helpers.mjs'

const { Books, StripeFiles, QuickBooksClient, XeroClient } = tieout
const TOKEN = 'oauth-access-token'
const NOW = '2026-06-01T00:00:00.000Z'
const LATER = '2026-06-01T01:00:00.000Z'
const RATES = { eur: '1.08', jpy: '0.0067' }

/** The fake QuickBooks and Xero APIs; resolves to { url, api, close }. */
async function fakeApi () {
  const api = { created: [], keys: new Map(), posts: 0, failNext: false }
  const create = (key, lookup, doc) => {
    api.posts += 1
    if (api.failNext) {
      api.failNext = false
      return null
    }
    if (api.keys.has(key)) return api.keys.get(key)
    const id = String(api.created.length + 1)
    api.created.push({ id, lookup, doc })
    api.keys.set(key, id)
    return id
  }
  const server = http.createServer((req, res) => {
    let raw = ''
    req.on('data', c => { raw += c })
    req.on('end', () => {
      const send = (status, body) => {
        res.writeHead(status, { 'content-type': 'application/json' })
        res.end(JSON.stringify(body))
      }
      const url = new URL(req.url, 'http://x')
      if (req.method === 'POST') {
        if (req.headers.authorization !== `Bearer ${TOKEN}`) return send(401, {})
        const body = JSON.parse(raw)
        if (url.pathname === '/v3/company/9130/journalentry') {
          const rid = url.searchParams.get('requestid')
          if (!rid) return send(400, { Fault: { Error: [{ Message: 'requestid required' }] } })
          assert.ok(body.DocNumber.length <= 21, body.DocNumber)
          assert.ok(body.Line.every(l => !String(l.Amount).startsWith('-')), 'QuickBooks amounts are positive')
          const id = create(rid, body.DocNumber, body)
          return id === null ? send(503, {}) : send(200, { JournalEntry: { ...body, Id: id } })
        }
        if (url.pathname === '/ManualJournals') {
          const key = req.headers['idempotency-key']
          if (!key || req.headers['xero-tenant-id'] !== 'tenant-7') return send(400, {})
          const j = body.ManualJournals[0]
          if (normDec(decSum(j.JournalLines.map(l => String(l.LineAmount)))) !== '0') {
            return send(400, { Message: 'journal does not balance' })
          }
          const id = create(key, j.Narration, j)
          return id === null ? send(503, {}) : send(200, { ManualJournals: [{ ...j, ManualJournalID: id }] })
        }
        return send(404, {})
      }
      if (url.pathname === '/v3/company/9130/query') {
        const doc = url.searchParams.get('query').split("DocNumber = '")[1].replace(/'$/, '')
        const found = api.created.filter(c => c.lookup === doc)
          .map(c => ({ Id: c.id, PrivateNote: c.doc.PrivateNote }))
        return send(200, { QueryResponse: found.length ? { JournalEntry: found } : {} })
      }
      if (url.pathname === '/ManualJournals') {
        const where = url.searchParams.get('where') ?? ''
        const needle = where.slice('Narration.Contains("'.length, -2)
        const found = api.created.filter(c => c.lookup.includes(needle))
          .map(c => ({ ManualJournalID: c.id, Narration: c.lookup }))
        return send(200, { ManualJournals: found })
      }
      return send(404, {})
    })
  })
  await new Promise(resolve => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    api,
    close: () => new Promise(resolve => server.close(resolve))
  }
}

async function sampleBooks () {
  const books = await Books.open(path.join(tmpdir(), 'books.db'))
  const source = new StripeFiles(SAMPLE)
  const review = await books.review(source, {})
  await books.import(source, {}, { approval: review.approval })
  return books
}

function crashAt (n, at) {
  let seen = 0
  return (key, point) => point === at && ++seen === n
}

for (const target of ['qbo', 'xero']) {
  test(`pushLedger to ${target}: each document once, only after approval`, async () => {
    const { url, api, close } = await fakeApi()
    try {
      const books = await sampleBooks()
      const account = target === 'qbo' ? '9130' : 'tenant-7'
      const client = target === 'qbo'
        ? new QuickBooksClient(account, TOKEN, { baseUrl: url, timeoutMs: 5000 })
        : new XeroClient(account, TOKEN, { baseUrl: url, timeoutMs: 5000 })
      assert.equal(target === 'qbo' ? client.realmId : client.tenantId, account)
      const opts = { baseCurrency: 'usd', rates: RATES, now: NOW }
      const review = await books.reviewLedgerPush(target, account, opts)
      const n = review.plan.intents.length
      assert.equal(review.target, target)
      assert.equal(review.account, account)
      assert.ok(n >= review.entries.length && review.entries.length > 5, `${n} writes`)
      assert.ok(review.entries.every(e => e.postings.every(p => typeof p.amount === 'string')))
      assert.ok(review.plan.intents.every(i => i.plannedAt === NOW && i.purpose.startsWith(`ledger/${target}/${account}/`)))
      assert.equal(new Set(review.plan.intents.map(i => i.key)).size, n, 'one idempotency key per document')

      // Nothing is sent without this review's approval.
      const other = await books.reviewLedgerPush(target, 'another-company', opts)
      await assert.rejects(books.pushLedger(review, other.approval, client, { now: NOW }),
        e => e.code === 'APPROVAL_REQUIRED')
      assert.equal(api.posts, 0)

      // A crash after the 2nd write was recorded, before it was sent.
      await assert.rejects(books.pushLedger(review, review.approval, client,
        { now: NOW, fault: crashAt(2, 'recorded') }), e => e.code === 'ABORTED')
      assert.equal(api.created.length, 1)
      // A crash after the 4th write was sent, before its outcome was recorded.
      await assert.rejects(books.pushLedger(review, review.approval, client,
        { now: NOW, fault: crashAt(3, 'performed') }), e => e.code === 'ABORTED')
      assert.equal(api.created.length, 4)
      // The next create answers 503: retried later, with backoff.
      api.failNext = true
      let r = await books.pushLedger(review, review.approval, client, { now: NOW })
      assert.equal(r.alreadyDone.length, 3)
      assert.equal(r.resolved.length, 1, 'the sent one is found by the lookup, not sent again')
      assert.equal(r.retrying.length, 1)
      assert.equal(r.delivered.length, n - 5)
      r = await books.pushLedger(review, review.approval, client, { now: LATER })
      assert.equal(r.delivered.length, 1)
      assert.equal(r.alreadyDone.length, n - 1)

      // Every document exactly once, each write recorded with the created id.
      assert.equal(api.created.length, n)
      assert.equal(new Set(api.created.map(c => c.lookup)).size, n)
      const pushed = (await books.writes()).filter(w => w.intent.kind === 'ledger_post')
      assert.equal(pushed.length, n)
      assert.ok(pushed.every(w => w.status === 'succeeded'))
      assert.deepEqual(new Set(pushed.map(w => w.attempts.at(-1).requestId)), new Set(api.created.map(c => c.id)))

      // Nothing new to push; a re-run sends nothing.
      const posts = api.posts
      const again = await books.reviewLedgerPush(target, account, { ...opts, now: LATER })
      assert.equal(again.plan.intents.length, 0)
      assert.deepEqual(again.entries, [])
      r = await books.pushLedger(review, review.approval, client, { now: LATER })
      assert.equal(r.alreadyDone.length, n)
      assert.equal(api.posts, posts)
    } finally {
      await close()
    }
  })
}

// The ledger from Node: journal entries of the shipped sample, its Stripe
// balance statement, and exports that never double-post.
import assert from 'node:assert/strict'
import path from 'node:path'
import { test } from 'node:test'

import { SAMPLE, assertDecEq, decSum, tieout, tmpdir } from './helpers.mjs'

const { Books, StripeFiles } = tieout

async function sampleBooks () {
  const books = await Books.open(path.join(tmpdir(), 'books.db'))
  const source = new StripeFiles(SAMPLE)
  const review = await books.review(source, {})
  await books.import(source, {}, { approval: review.approval })
  return books
}

test('journalEntries balance per currency; stripeBalance moves with the cash layer', async () => {
  const books = await sampleBooks()
  const journal = await books.journalEntries()
  assert.ok(journal.entries.length > 0)
  for (const e of journal.entries) {
    const byCur = {}
    for (const p of e.postings) {
      assert.equal(typeof p.amount, 'string')
      ;(byCur[p.currency] ??= []).push(p.amount)
    }
    for (const amounts of Object.values(byCur)) assertDecEq(decSum(amounts), '0')
  }
  assert.deepEqual([...new Set(journal.entries.map(e => e.layer))].sort(), ['accrual', 'cash'])
  const cash = await books.journalEntries({ layers: ['cash'] })
  assert.ok(cash.entries.every(e => e.layer === 'cash'))
  const txns = await books.balanceTransactions()
  const cur = txns[0].currency
  const s = await books.stripeBalance(cur, '2000-01-01T00:00:00Z', '2100-01-01T00:00:00Z')
  const moved = journal.entries.flatMap(e => e.postings)
    .filter(p => p.account === 'Assets:Stripe:Balance' && p.currency === cur)
    .map(p => p.amount)
  assertDecEq(decSum([s.closing, '-' + s.opening]), decSum(moved))
  assert.equal(s.ties, true)
  assert.ok(s.lines.every(l => l.transactionId.startsWith('txn_')))
  await books.recordReportedBalance(cur, decSum([s.closingAvailable, '1']), s.closingPending, '2100-01-01T00:00:00Z')
  const off = await books.stripeBalance(cur, '2000-01-01T00:00:00Z', '2100-01-01T00:00:00Z')
  assert.equal(off.ties, false)
  assertDecEq(off.unexplainedAvailable, '1')
  await assert.rejects(books.journalEntries({ layers: ['bogus'] }), e => e.code === 'INVALID_ARGUMENT')
})

test('export: since_last emits only what is new, each target has its own log', async () => {
  const books = await sampleBooks()
  const first = await books.export('hledger', { sinceLast: true, now: '2026-11-30T00:00:00Z' })
  assert.ok(first.entries.length > 0)
  assert.match(first.text, /\(txn:txn_/)
  assert.equal(first.exportedAt, '2026-11-30T00:00:00.000Z')
  assert.equal((await books.export('hledger', { sinceLast: true })).entries.length, 0)
  const csv = await books.export('csv', { sinceLast: true })
  assert.equal(csv.entries.length, first.entries.length)
  const full = await books.export('hledger')
  assert.deepEqual(full.entries.map(e => e.id), first.entries.map(e => e.id))
  await assert.rejects(books.export('gnucash'), e => e.code === 'INVALID_ARGUMENT')
})

test('exportLog: the books record what was exported where, once', async () => {
  const books = await sampleBooks()
  const first = await books.export('beancount', { sinceLast: true, now: '2026-11-30T00:00:00Z' })
  const log = await books.exportLog('beancount')
  assert.deepEqual(log.map(r => r.entryId).sort(), first.entries.map(e => e.id).sort())
  assert.ok(log.every(r => r.target === 'beancount' && r.at === '2026-11-30T00:00:00.000Z' && r.adjustments === 0))
  assert.ok(log.every(r => r.postings.every(p => typeof p.amount === 'string')))
  assert.deepEqual(await books.exportLog('csv'), [])
  assert.equal((await books.export('beancount', { sinceLast: true, now: '2026-12-01T00:00:00Z' })).entries.length, 0)
  assert.ok((await books.exportLog('beancount')).every(r => r.at === '2026-11-30T00:00:00.000Z'))
  await assert.rejects(books.exportLog('gnucash'), e => e.code === 'INVALID_ARGUMENT')
})

test('stripeBalanceStatement: CSV and camt.053 a bank reconciliation reads', async () => {
  const books = await sampleBooks()
  const cur = (await books.balanceTransactions())[0].currency
  const [from, to] = ['2000-01-01T00:00:00Z', '2100-01-01T00:00:00Z']
  const s = await books.stripeBalance(cur, from, to)
  const csv = await books.stripeBalanceStatement(cur, from, to)
  assert.ok(s.lines.every(l => csv.includes(l.transactionId)))
  const xml = await books.stripeBalanceStatement(cur, from, to, 'camt053', 'STRIPE-MAIN')
  assert.ok(xml.startsWith('<?xml') && xml.includes('STRIPE-MAIN'))
  const other = await Books.open(path.join(tmpdir(), 'other.db'))
  assert.equal((await other.importBankCamt053(xml)).length, s.lines.length)
  await assert.rejects(books.stripeBalanceStatement(cur, from, to, 'ofx'), e => e.code === 'INVALID_ARGUMENT')
})

test('a deferred_revenue mapping yields the recognition entries, up to asOf', async () => {
  const books = await sampleBooks()
  const mapping = { deferred_revenue: 'Liabilities:DeferredRevenue' }
  const plain = await books.journalEntries()
  const deferred = await books.journalEntries({ mapping })
  assert.equal(plain.entries.filter(e => e.category === 'recognized').length, 0)
  const rec = deferred.entries.filter(e => e.category === 'recognized')
  assert.ok(rec.length > 0, 'the sample has a line serving past its issue day')
  assert.equal(deferred.entries.length, plain.entries.length + rec.length)
  // The deferred line is recognised in full, slice by slice.
  const invoices = await books.invoices()
  const lines = invoices.flatMap(inv => inv.lines
    .filter(l => l.periodEnd && l.periodEnd.slice(0, 10) > inv.issuedAt.slice(0, 10))
    .map(l => [inv.source.externalId, l.amount]))
  assert.equal(lines.length, 1)
  const [[invoice, amount]] = lines
  assert.ok(rec.every(e => e.id.startsWith(`inv:${invoice}:recognized:`)))
  const moved = rec.flatMap(e => e.postings).filter(p => p.account === 'Liabilities:DeferredRevenue').map(p => p.amount)
  assertDecEq(decSum(moved), amount)
  // As of the first slice's day: that slice only; an export up to it likewise.
  const first = await books.journalEntries({ mapping, asOf: rec[0].date })
  assert.deepEqual(first.entries.filter(e => e.category === 'recognized').map(e => e.id), [rec[0].id])
  const next = new Date(Date.parse(rec[0].date) + 86_400_000).toISOString().slice(0, 10)
  const bc = await books.export('beancount', { mapping, to: next, now: '2026-11-30T00:00:00Z' })
  assert.deepEqual(bc.entries.filter(e => e.category === 'recognized').map(e => e.id), [rec[0].id])
  assert.match(bc.text, / balance Liabilities:DeferredRevenue {2}-/)
})

// Reconcile: the report, policy matching, manual allocations, bank statements, payouts to deposits.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { test } from 'node:test'

import { SAMPLE, assertDecEq, rejectsWithCode, stripeDir, tieout, tmpdir } from './helpers.mjs'

const { Books, StripeFiles } = tieout

const CAMT = `<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">
  <BkToCstmrStmt><Stmt><Id>STMT-1</Id>
    <Acct><Id><IBAN>DE89370400440532013000</IBAN></Id><Ccy>EUR</Ccy></Acct>
    <Ntry><Amt Ccy="EUR">1234.56</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>
      <BookgDt><Dt>2025-01-06</Dt></BookgDt><AcctSvcrRef>BANKREF-1</AcctSvcrRef>
      <NtryDtls><TxDtls><RmtInf><Ustrd>STRIPE po_1</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>
    <Ntry><Amt Ccy="EUR">12.00</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts>BOOK</Sts>
      <BookgDt><Dt>2025-01-07</Dt></BookgDt><AddtlNtryInf>Account fee</AddtlNtryInf></Ntry>
  </Stmt></BkToCstmrStmt>
</Document>`

test('sample: bank CSV, payouts matched to the deposit, and a report that adds up', async () => {
  const books = await Books.open(path.join(tmpdir(), 'books.db'))
  await books.import(new StripeFiles(SAMPLE))
  const csv = fs.readFileSync(path.join(SAMPLE, 'bank_statement.csv'), 'utf8')
  const lines = await books.importBankCsv(csv)
  assert.equal(lines.length, 2)
  assert.equal(lines[0].date, '2025-04-22')
  assert.equal(lines[0].amount, '591.41')
  assert.equal(lines[1].amount, '-1200.00')
  assert.equal((await books.importBankCsv(csv)).length, 2)
  assert.equal((await books.bankLines()).length, 2, 're-importing a statement changes nothing')

  const matched = await books.matchPayouts()
  assert.equal(matched.pairs.length, 1)
  assert.equal(matched.newPairs, 1)
  assert.equal(matched.pairs[0].payoutExternalId, 'po_SPayoutApr22001')
  assert.equal(matched.pairs[0].amount, '591.41')
  assert.equal(matched.pairs[0].bankDate, '2025-04-22')
  const [payout] = await books.payouts()
  assert.equal(payout.depositId, matched.pairs[0].bankLineId)
  assert.equal((await books.bankLines()).find((l) => l.id === payout.depositId).payoutId, payout.id)
  for (const c of matched.checks) assert.equal(typeof c.difference, 'string')

  const report = await books.reconcile()
  assert.equal(report.addsUp, true)
  assert.ok(report.totals.length >= 2)
  for (const t of report.totals) {
    assert.equal(t.addsUp, true, `${t.currency} adds up`)
    assertDecEq(t.paymentsBalance, '0')
    assertDecEq(t.invoicesBalance, '0')
  }
  assert.ok(report.allocations.every((a) => typeof a.amount === 'string' && a.reason.length > 0))
  const open = report.openInvoices.map((i) => i.externalId)
  assert.ok(open.includes('in_SBlueOpen00002') && open.includes('in_SCoraPart00003'))
  assert.ok(report.unapplied.some((u) => u.currency === 'JPY' && u.unapplied === '5000'))
  assert.ok(report.fees.length > 0)
  assert.ok(report.feeTotals.some((f) => f.currency === 'USD'))
  assert.equal(report.payouts.pairs.length, 1)
  assert.ok(report.csvRows.length > 0 && report.csvRows.every((r) => typeof r.section === 'string'))

  const same = await books.report()
  assert.deepEqual(same.allocations, report.allocations, 'report() changes nothing')
})

test('camt.053 statements import booked entries', async () => {
  const books = Books.inMemory()
  const lines = await books.importBankCamt053(CAMT)
  assert.equal(lines.length, 2)
  assert.equal(lines[0].amount, '1234.56')
  assert.equal(lines[0].currency, 'EUR')
  assert.equal(lines[0].account, 'DE89370400440532013000')
  assertDecEq(lines[1].amount, '-12')
  await rejectsWithCode(books.importBankCamt053('<nope'), 'INVALID_ARGUMENT')
})

test('CSV mappings: semicolons, decimal commas, custom headers and date formats', async () => {
  const books = Books.inMemory()
  const csv = 'Buchungstag;Betrag;Text\n22.04.2025;1.234,56;STRIPE po_1\n'
  const lines = await books.importBankCsv(csv, {
    date: 'Buchungstag', amount: 'Betrag', description: 'Text', currency: null, reference: null,
    dateFormat: '%d.%m.%Y', defaultCurrency: 'EUR', delimiter: ';', decimalComma: true, account: 'DE-1',
  })
  assert.equal(lines[0].amount, '1234.56')
  assert.equal(lines[0].date, '2025-04-22')
  assert.equal(lines[0].currency, 'EUR')
  assert.equal(lines[0].account, 'DE-1')
  await rejectsWithCode(books.importBankCsv(csv, { delimiter: ';;' }), 'INVALID_ARGUMENT', /delimiter/)
  await rejectsWithCode(books.importBankCsv(csv, { defaultCurrency: 'XYZ' }), 'UNKNOWN_CURRENCY')
})

function unlinked() {
  return stripeDir({
    'data.json': [
      { id: 'cus_U', object: 'customer', name: 'U Ltd', created: 1700000000 },
      { id: 'in_U1', object: 'invoice', customer: 'cus_U', currency: 'usd', status: 'open', created: 1700000100, due_date: 1700500000, subtotal: 10000, total: 10000, amount_due: 10000, amount_paid: 0, amount_remaining: 10000, lines: { object: 'list', data: [] } },
      { id: 'ch_U1', object: 'charge', amount: 6000, currency: 'usd', customer: 'cus_U', status: 'succeeded', paid: true, captured: true, created: 1700000200, amount_refunded: 0 },
    ],
  })
}

test('allocate and unallocate by hand; over-allocation and unknown ids are coded errors', async () => {
  const books = Books.inMemory()
  await books.import(new StripeFiles(unlinked()), { policy: { order: 'leave_unapplied' } })
  const [payment] = await books.payments()
  const [invoice] = await books.invoices()
  assert.equal(payment.unapplied, '60.00')
  assert.equal(invoice.status, 'open')

  const a = await books.allocate(payment.id, invoice.id, '60.00', { note: 'remittance advice 42' })
  assert.equal(a.amount, '60.00')
  assert.equal(a.reason.strategy, 'manual')
  assert.match(a.reason.detail, /remittance advice 42/)
  const after = (await books.invoices())[0]
  assert.equal(after.status, 'partially_paid')
  assert.equal(after.amountPaid, '60.00')
  assert.equal(after.amountRemaining, '40.00')
  assert.equal((await books.payments())[0].unapplied, '0.00')
  assert.ok((await books.history()).length >= 2, 'manual allocations are in the history')

  await rejectsWithCode(books.allocate(payment.id, invoice.id, '0.01'), 'ALLOCATION_REJECTED')
  await rejectsWithCode(books.allocate(payment.id, invoice.id, 'ten'), 'INVALID_ARGUMENT')
  await rejectsWithCode(books.allocate('pay_nope', invoice.id, '1.00'), 'NOT_FOUND')

  await books.unallocate(a.id)
  assert.equal((await books.invoices())[0].status, 'open')
  assert.equal((await books.payments())[0].unapplied, '60.00')
  assert.deepEqual(await books.allocations(), [])
  await rejectsWithCode(books.unallocate('alloc_nope'), 'NOT_FOUND')
})

test('reconcile applies the policy to unapplied payments', async () => {
  const books = Books.inMemory()
  await books.import(new StripeFiles(unlinked()), { policy: { order: 'leave_unapplied' } })
  const untouched = await books.reconcile({ order: 'leave_unapplied' })
  assert.equal(untouched.allocations.length, 0)
  assert.equal(untouched.unapplied.length, 1)
  const report = await books.reconcile({ order: 'oldest_first', fxRates: [{ from: 'EUR', to: 'USD', date: '2025-01-01', rate: '1.08' }] })
  assert.equal(report.allocations.length, 1)
  assert.equal(report.allocations[0].strategy, 'oldest_first')
  assert.equal(report.allocations[0].amount, '60.00')
  assert.equal(report.allocations[0].invoiceExternalId, 'in_U1')
  assert.equal((await books.invoices())[0].amountPaid, '60.00')
  await rejectsWithCode(books.reconcile({ fxRates: [{ from: 'EUR', to: 'USD', date: 'soon', rate: '1' }] }), 'INVALID_ARGUMENT')
})

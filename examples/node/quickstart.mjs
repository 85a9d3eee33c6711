// Quickstart in Node: import the shipped Stripe sample into SQLite books, review
// the plan, apply it, tie payments to invoices, show that a re-run changes
// nothing, and end with the sample's journal entries and its Stripe balance
// statement. Offline; no Stripe account needed.
//
//   node examples/node/quickstart.mjs             # fresh books in a temp dir
//   node examples/node/quickstart.mjs books.db    # keep the books in books.db
//   STRIPE_API_KEY=sk_test_... node examples/node/quickstart.mjs   # from the Stripe API instead
//
// Build the package first: `cd bindings-node && npm ci && npx napi build --platform`.
// Amounts are exact decimal strings ("374.10"), times ISO-8601 strings.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'

const require = createRequire(import.meta.url)
// The installed package (`npm install tieout-0.1.0.tgz`), else the repository's build.
const tieout = (() => {
  try {
    return require('tieout')
  } catch {
    return require('../../bindings-node')
  }
})()
const { Books, StripeFiles, StripeSource } = tieout

const here = path.dirname(fileURLToPath(import.meta.url))
const db = process.argv[2] ?? path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tieout-quickstart-')), 'books.db')

const books = await Books.open(db)
const source = process.env.STRIPE_API_KEY
  ? new StripeSource(process.env.STRIPE_API_KEY)
  : new StripeFiles(path.join(here, '..', 'data'))
const account = await source.verify()
const plan = { allowLive: account.livemode } // every option: see ImportPlanOptions in index.d.ts

// 1. Review: the whole import, nothing written.
const review = await books.review(source, plan, {
  onProgress: (done, total) => process.stderr.write(`\r  read ${done}${total === null ? '' : ` of ${total}`} records`),
})
process.stderr.write('\n')
console.log(`Review of ${review.account.account} (${account.livemode ? 'live' : 'test'} mode), plan ${review.planHash.slice(0, 12)}`)
for (const [object, c] of Object.entries(review.counts).sort()) {
  console.log(`  ${object.padEnd(20)} create ${pad(c.created, 3)}  update ${pad(c.updated, 3)}  unchanged ${pad(c.unchanged, 3)}  skipped ${pad(c.skipped, 3)}  failed ${pad(c.failed, 3)}`)
}
for (const t of review.totals) {
  console.log(`  total ${t.object.padEnd(14)} ${t.currency} ${pad(t.amount, 12)} over ${t.count} record(s)`)
}
console.log(`  allocations it would make: ${review.allocations.length}`)
for (const f of review.failures) console.log(`  would fail: ${f.object} ${f.externalId}: ${f.error}`)

// 2. Apply with the review's approval (required for live accounts).
const run = await books.import(source, plan, { approval: review.approval })
console.log(`\nImport ${run.status}: ${run.created} created, ${run.updated} updated, ${run.unchanged} unchanged, ${run.skipped} skipped, ${run.failed} failed`)

// 3. What the books hold now.
console.log('\nInvoices:')
for (const inv of await books.invoices()) {
  console.log(`  ${(inv.number ?? inv.source.externalId).padEnd(24)} ${inv.status.padEnd(15)} ${inv.currency} ${pad(inv.total, 10)} paid ${pad(inv.amountPaid, 10)} open ${pad(inv.amountRemaining, 10)}`)
}
console.log('\nPayments:')
for (const p of await books.payments()) {
  // Fee and net are in the settlement currency, which may differ from the charge's.
  const sc = p.settlementCurrency ?? p.currency
  console.log(`  ${p.source.externalId.padEnd(28)} ${p.currency} ${pad(p.amount, 10)} fee ${pad(p.fee, 6)} ${sc} net ${pad(p.net ?? '-', 10)} ${sc} refunded ${pad(p.refunded, 8)} ${p.currency} unapplied ${pad(p.unapplied, 8)} ${p.currency}`)
}
console.log('\nAllocations:')
for (const a of await books.allocations()) {
  // kind: 'payment' (money of the payment) or 'write_off' (forgiven; both name the payment)
  console.log(`  ${a.kind.padEnd(9)} ${a.currency} ${pad(a.amount, 10)} -> ${a.invoiceId}  (${a.reason.strategy}: ${a.reason.detail})`)
}

// 4. Re-running the same import changes nothing.
const again = await books.review(source, plan)
const changed = again.entries.filter((e) => e.action === 'create' || e.action === 'update').length
console.log(`\nRe-review: ${changed} change(s); books at ${db}`)

// 5. Into the general ledger: the sample's journal entries (default chart of accounts) ...
const journal = await books.journalEntries()
console.log(`\nJournal entries (${journal.entries.length}):`)
for (const e of journal.entries) {
  console.log(`  ${e.date} ${e.id.padEnd(34)} ${e.narration}`)
  for (const p of e.postings) console.log(`      ${p.account.padEnd(32)} ${pad(p.amount, 12)} ${p.currency}`)
}
if (journal.suspense.length) console.log(`  in suspense, to review: ${journal.suspense.join(', ')}`)
// ... and its Stripe balance as a bank statement, per settlement currency.
const currencies = [...new Set((await books.balanceTransactions()).map((t) => t.currency))].sort()
for (const cur of currencies) {
  const s = await books.stripeBalance(cur, '1970-01-01T00:00:00Z', '9999-01-01T00:00:00Z')
  console.log(`\nStripe balance ${cur}: opening ${s.opening} (available ${s.openingAvailable}, pending ${s.openingPending})`)
  for (const l of s.lines) {
    console.log(`  ${l.date.slice(0, 10)} ${l.transactionId.padEnd(28)} ${l.part.padEnd(5)} ${l.category.padEnd(10)} ${pad(l.amount, 12)} ${pad(l.balance, 12)}`)
  }
  console.log(`  closing ${s.closing} (available ${s.closingAvailable}, pending ${s.closingPending}); tied: ${tied(s)}`)
}

// Whether a statement ties to the balance Stripe reported.
function tied(s) {
  if (s.unexplainedAvailable == null && s.unexplainedPending == null) return 'not checked (no balance reported by Stripe)'
  if (s.ties) return 'yes, to the balance Stripe reported'
  return `no, unexplained available ${s.unexplainedAvailable ?? 0}, pending ${s.unexplainedPending ?? 0}`
}

function pad(value, width) {
  return String(value).padStart(width)
}

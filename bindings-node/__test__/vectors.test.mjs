// The shared test vectors (tests/vectors/*), also run by the Rust and Python suites.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { test } from 'node:test'

import { ROOT, tieout } from './helpers.mjs'

const { Books, StripeFiles } = tieout
const VECTORS = path.join(ROOT, 'tests', 'vectors')

const camel = (k) => k.replace(/_([a-z])/g, (_, c) => c.toUpperCase())

/** ImportPlan overrides in snake_case (as in expected.json) to the Node options object. */
function planOptions(snake = {}) {
  const out = {}
  for (const [k, v] of Object.entries(snake)) {
    if (k === 'policy' && v && typeof v === 'object') {
      out.policy = Object.fromEntries(Object.entries(v).map(([pk, pv]) => [camel(pk), typeof pv === 'number' && pk.startsWith('write_off') ? String(pv) : pv]))
    } else if (k === 'customer_resolution' && v && typeof v === 'object') {
      // serde form: {"mode": "fixed", "customer_id": "..."} | {"mode": "from_source"}
      if (v.mode === 'fixed') Object.assign(out, { customerResolution: 'fixed', fixedCustomer: v.customer_id })
      else out.customerResolution = 'stripe'
    } else if (k === 'customer_resolution') {
      out.customerResolution = v === 'from_source' ? 'stripe' : v
    } else if (k === 'customer_filter' && v && typeof v === 'object' && 'mode' in v) {
      // serde form: {"mode": "allow", "customers": [{"by": "id", "value": "cus_1"}]}
      if (v.mode !== 'all') out.customerFilter = { [v.mode]: v.customers.map((c) => c.value) }
    } else {
      out[camel(k)] = v
    }
  }
  return out
}

function vectorDirs() {
  if (!fs.existsSync(VECTORS)) return []
  return fs
    .readdirSync(VECTORS)
    .map((d) => path.join(VECTORS, d))
    .filter((d) => fs.existsSync(path.join(d, 'expected.json')))
    .sort()
}

const dirs = vectorDirs()

test('shared test vectors exist', () => {
  assert.ok(dirs.length > 0, `no vector directories with expected.json under ${VECTORS}`)
})

for (const dir of dirs) {
  const name = path.basename(dir)
  test(`vector ${name}`, async () => {
    const expected = JSON.parse(fs.readFileSync(path.join(dir, 'expected.json'), 'utf8'))
    const input = fs.existsSync(path.join(dir, 'input')) ? path.join(dir, 'input') : dir
    const books = Books.inMemory()
    const source = new StripeFiles(input)
    const plan = planOptions(expected.plan)
    const run = await books.import(source, plan)
    assert.equal(run.failed, 0, JSON.stringify(run.failures))

    const invoices = await books.invoices()
    const payments = await books.payments()
    const allocations = await books.allocations()

    const invoiceFields = { status: 'status', total: 'total', amount_paid: 'amountPaid', amount_remaining: 'amountRemaining', currency: 'currency' }
    for (const e of expected.invoices ?? []) {
      const inv = invoices.find((i) => i.source.externalId === e.external_id)
      assert.ok(inv, `${name}: no invoice ${e.external_id}`)
      for (const [k, v] of Object.entries(e)) {
        if (k === 'external_id') continue
        assert.ok(k in invoiceFields, `${name}: unknown invoice field ${k}`)
        const got = inv[invoiceFields[k]]
        // Amounts compare as exact strings: every language shows the currency's scale.
        assert.equal(got, v, `${name} ${e.external_id} ${k}: ${got} != ${v}`)
      }
    }

    const paymentFields = { amount: 'amount', fee: 'fee', net: 'net', refunded: 'refunded', unapplied: 'unapplied' }
    for (const e of expected.payments ?? []) {
      const [first] = e.external_ids
      const p = payments.find((x) => x.externalIds.includes(first))
      assert.ok(p, `${name}: no payment named ${first}`)
      for (const id of e.external_ids) assert.ok(p.externalIds.includes(id), `${name}: payment ${p.externalIds} lacks ${id}`)
      for (const [k, v] of Object.entries(e)) {
        if (k === 'external_ids') continue
        if (k === 'currency') {
          assert.equal(p.currency, v, `${name} payment ${first} currency`)
          continue
        }
        assert.ok(k in paymentFields, `${name}: unknown payment field ${k}`)
        const got = p[paymentFields[k]] ?? (k === 'net' ? '0.00' : undefined)
        assert.equal(got, v, `${name} payment ${first} ${k}: ${got} != ${v}`)
      }
    }

    for (const e of expected.allocations ?? []) {
      const inv = invoices.find((i) => i.source.externalId === e.invoice)
      const pay = payments.find((p) => p.externalIds.includes(e.payment))
      assert.ok(inv && pay, `${name}: allocation ends ${e.payment} -> ${e.invoice}`)
      const a = allocations.find((x) => x.invoiceId === inv.id && x.paymentId === pay.id)
      assert.ok(a, `${name}: no allocation ${e.payment} -> ${e.invoice}`)
      assert.equal(a.amount, e.amount, `${name} allocation ${e.payment} -> ${e.invoice} amount`)
      assert.equal(a.reason.strategy, e.strategy, `${name} allocation strategy`)
    }

    const counts = expected.counts ?? {}
    const actual = { customers: (await books.customers()).length, invoices: invoices.length, payments: payments.length, allocations: allocations.length }
    for (const [k, n] of Object.entries(counts)) {
      assert.ok(k in actual, `${name}: unknown count ${k}`)
      assert.equal(actual[k], n, `${name}: ${k}`)
    }

    const again = await books.import(source, plan)
    assert.deepEqual([again.created, again.updated], [0, 0], `${name}: re-import changes nothing`)
  })
}

// The HTML tie-out report in a real browser: Debian's chromium, headless, driven by
// playwright-core. No console errors, the charts are there, and every figure in
// the DOM equals the JSON report. The screenshot stays in target/report-html/.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { test } from 'node:test'
import { pathToFileURL } from 'node:url'

import { chromium } from 'playwright-core'

import { ROOT, SAMPLE, assertDecEq, decSum, tieout, tmpdir } from './helpers.mjs'

const { Books, StripeFiles } = tieout
const CHROMIUM = process.env.TIEOUT_CHROMIUM || '/usr/bin/chromium'
const BUCKETS = ['current', '1-30', '31-60', '61-90', '90+']
const AS_OF = '2025-06-30'

const snake = (k) => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)

test('the HTML report renders in headless Chromium and its figures equal the JSON report', async () => {
  assert.ok(fs.existsSync(CHROMIUM), `${CHROMIUM} is missing (scripts/test-node.sh installs Debian's chromium)`)
  const books = Books.inMemory()
  const files = new StripeFiles(SAMPLE)
  const review = await books.review(files, {})
  await books.import(files, {}, { approval: review.approval })
  await books.importBankCsv(fs.readFileSync(path.join(SAMPLE, 'bank_statement.csv'), 'utf8'))
  await books.matchPayouts()

  const html = await books.reportHtml(AS_OF)
  assert.doesNotMatch(html, /<script|<link|@import|url\(/i, 'self-contained: no scripts, links or external CSS')
  assert.deepEqual(html.match(/https?:\/\/[^"' ]+/g).filter((u) => u !== 'http://www.w3.org/2000/svg'), [])
  const out = path.join(ROOT, 'target', 'report-html')
  fs.mkdirSync(out, { recursive: true })
  const file = path.join(out, 'report.html')
  fs.writeFileSync(file, html)
  const report = await books.report()
  const history = await books.history()
  const aging = await books.aging(`${AS_OF}T00:00:00Z`)
  assert.ok(aging.totals.length > 0)

  const context = await chromium.launchPersistentContext(tmpdir('tieout-chromium-'), {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
  })
  try {
    const page = context.pages()[0] ?? await context.newPage()
    const problems = []
    page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`) })
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`))
    page.on('request', (r) => { if (!r.url().startsWith('file:')) problems.push(`request: ${r.url()}`) })
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' })
    await page.screenshot({ path: path.join(out, 'report.png'), fullPage: true })
    assert.deepEqual(problems, [])

    const figures = await page.$$eval('[data-figure]', (els) => Object.fromEntries(els.map((e) => [e.dataset.figure, e.textContent])))
    const currencies = report.totals.map((t) => t.currency)
    assert.deepEqual(await page.$$eval('section.currency', (els) => els.map((e) => e.dataset.currency)), currencies)
    // Four charts per currency, each an inline SVG with one bar per row.
    assert.equal(await page.locator('svg.chart').count(), 4 * currencies.length)
    for (const cur of currencies) {
      assert.equal(await page.locator(`#aging-${cur} rect.bar`).count(), BUCKETS.length)
      assert.equal(await page.locator(`#payments-${cur} rect.bar`).count(), 4)
      assert.equal(await page.locator(`#invoices-${cur} rect.bar`).count(), 4) // paid, open, written off, credited
      assert.equal(await page.locator(`#payouts-${cur} rect.bar`).count(), 2)
      const box = await page.locator(`#payments-${cur}`).boundingBox()
      assert.ok(box && box.width > 100 && box.height > 50, `chart ${cur} is drawn: ${JSON.stringify(box)}`)
    }
    let checked = 0
    let balances = 0
    for (const t of report.totals) {
      for (const [k, v] of Object.entries(t)) {
        if (k === 'currency' || k === 'addsUp') continue
        const key = `${t.currency}.totals.${snake(k)}`
        assert.ok(key in figures, `missing figure ${key}`)
        assertDecEq(figures[key], v, key)
        checked++
      }
      // The aging is books.aging()'s at the start of AS_OF, and with what it
      // leaves out (uncollectible) adds up to the report's open.
      const row = aging.totals.find((r) => r.currency === t.currency)
      const want = row ? [row.current, row.days1To30, row.days31To60, row.days61To90, row.daysOver90] : BUCKETS.map(() => '0')
      BUCKETS.forEach((b, i) => assertDecEq(figures[`${t.currency}.aging.${b}`], want[i], `${t.currency} aging ${b}`))
      checked += BUCKETS.length
      const aged = decSum('0', ...BUCKETS.map((b) => figures[`${t.currency}.aging.${b}`]))
      assertDecEq(figures[`${t.currency}.aging.total`], row ? row.total : '0', `${t.currency} aging total`)
      assertDecEq(aged, row ? row.total : '0')
      assertDecEq(decSum(aged, figures[`${t.currency}.aging.not_aged`]), t.open, `${t.currency} aging and not aged`)
      checked += 2
      // The Stripe balance statement summary is stripeBalance's, through the end of AS_OF.
      const s = await books.stripeBalance(t.currency, '1970-01-01T00:00:00Z', '2025-07-01T00:00:00Z')
      if (s.lines.length === 0) {
        assert.ok(!(`${t.currency}.balance.closing` in figures))
      } else {
        balances++
        const part = (p) => decSum('0', ...s.lines.filter((l) => l.part === p).map((l) => l.amount))
        assertDecEq(figures[`${t.currency}.balance.opening`], decSum(s.openingAvailable, s.openingPending))
        assertDecEq(figures[`${t.currency}.balance.gross`], part('gross'))
        assertDecEq(figures[`${t.currency}.balance.fees`], part('fee'))
        assertDecEq(figures[`${t.currency}.balance.closing_available`], s.closingAvailable)
        assertDecEq(figures[`${t.currency}.balance.closing_pending`], s.closingPending)
        assertDecEq(figures[`${t.currency}.balance.closing`], decSum(s.closingAvailable, s.closingPending))
        assert.equal(Number(figures[`${t.currency}.balance.lines`]), s.lines.length)
        assert.equal(await page.locator(`section[data-currency="${t.currency}"] .balance table`).count(), 1)
        checked += 7
      }
      const pairs = report.payouts.pairs.filter((p) => p.currency === t.currency)
      const unmatched = report.payouts.unmatchedPayouts.filter((p) => p.currency === t.currency)
      assert.equal(Number(figures[`${t.currency}.payouts.matched_count`]), pairs.length)
      assertDecEq(figures[`${t.currency}.payouts.matched`], decSum('0', ...pairs.map((p) => p.amount)))
      assert.equal(Number(figures[`${t.currency}.payouts.unmatched_count`]), unmatched.length)
      assertDecEq(figures[`${t.currency}.payouts.unmatched`], decSum('0', ...unmatched.map((p) => p.amount)))
      checked += 4
    }
    assert.ok(balances > 0, 'the sample has balance transactions')
    assert.equal(Number(figures['USD.payouts.matched_count']), 1, 'the sample payout matches its deposit')
    const run = history[0]
    assert.equal(Number(figures[`run.${run.id}.created`]), run.created)
    assert.equal(Number(figures[`run.${run.id}.failed`]), run.failed)
    assert.ok(checked > 30, `checked ${checked} figures`)
    const plan = await page.locator('#plan').innerText()
    assert.match(plan, /Paid invoices/)
    assert.match(plan, /acct_files/)
  } finally {
    await context.close()
  }
})

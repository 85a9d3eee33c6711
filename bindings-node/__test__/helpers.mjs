// Shared helpers for the node --test suite (not a test file itself).
import assert from 'node:assert/strict'
import crypto from 'node:crypto'
import fs from 'node:fs'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'

const require = createRequire(import.meta.url)

/** The package, as `require('tieout')` gives it. */
export const tieout = require('../index.js')

export const HERE = path.dirname(fileURLToPath(import.meta.url))
export const ROOT = path.resolve(HERE, '..', '..')
export const SAMPLE = path.join(ROOT, 'examples', 'data')

// Every directory tmpdir made, removed by one exit listener (one listener per
// directory tripped Node's MaxListeners warning in longer test files).
const madeDirs = []
process.on('exit', () => {
  for (const dir of madeDirs) fs.rmSync(dir, { recursive: true, force: true })
})

/** A fresh temporary directory, removed when the process exits. */
export function tmpdir(prefix = 'tieout-node-') {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix))
  madeDirs.push(dir)
  return dir
}

/** Writes Stripe objects (one JSON file per entry of `files`) into a new directory. */
export function stripeDir(files) {
  const dir = tmpdir('tieout-stripe-')
  for (const [name, value] of Object.entries(files)) {
    fs.writeFileSync(path.join(dir, name), typeof value === 'string' ? value : JSON.stringify(value))
  }
  return dir
}

const DEC = /^([+-]?)(\d*)(?:\.(\d*))?$/

/** Canonical form of a decimal string: no leading/trailing zeros, no "-0". Never via floats. */
export function normDec(text) {
  assert.equal(typeof text, 'string', `expected a decimal string, got ${typeof text} ${text}`)
  const m = DEC.exec(text.trim())
  assert.ok(m && (m[2] || m[3]), `not a decimal string: ${JSON.stringify(text)}`)
  const int = (m[2] || '0').replace(/^0+(?=\d)/, '')
  const frac = (m[3] || '').replace(/0+$/, '')
  const body = frac ? `${int}.${frac}` : int
  const zero = /^0(\.0*)?$/.test(body)
  return (m[1] === '-' && !zero ? '-' : '') + body
}

/** Asserts two decimal strings are numerically equal (exactly, as decimals). */
export function assertDecEq(actual, expected, message) {
  assert.equal(normDec(actual), normDec(String(expected)), message ?? `${actual} != ${expected}`)
}

function toScaled(text, scale) {
  const m = DEC.exec(text.trim())
  const frac = (m[3] || '').padEnd(scale, '0')
  const v = BigInt((m[2] || '0') + frac)
  return m[1] === '-' ? -v : v
}

/** Exact sum of decimal strings (BigInt arithmetic), as a canonical decimal string. */
export function decSum(...values) {
  const list = values.flat()
  const scale = Math.max(0, ...list.map((v) => (DEC.exec(v.trim())[3] || '').length))
  let total = 0n
  for (const v of list) total += toScaled(v, scale)
  const neg = total < 0n
  let digits = (neg ? -total : total).toString().padStart(scale + 1, '0')
  const text = scale ? `${digits.slice(0, -scale)}.${digits.slice(-scale)}` : digits
  return normDec((neg ? '-' : '') + text)
}

/** Asserts `promise` rejects with a JS Error whose `code` is `code`. */
export async function rejectsWithCode(promise, code, messagePart) {
  await assert.rejects(promise, (err) => {
    assert.ok(err instanceof Error, `not an Error: ${err}`)
    assert.equal(err.code, code, `code ${err.code} (${err.message})`)
    if (messagePart) assert.match(err.message, messagePart)
    return true
  })
}

/** Asserts `fn()` throws a JS Error whose `code` is `code`. */
export function throwsWithCode(fn, code, messagePart) {
  assert.throws(fn, (err) => {
    assert.ok(err instanceof Error, `not an Error: ${err}`)
    assert.equal(err.code, code, `code ${err.code} (${err.message})`)
    if (messagePart) assert.match(err.message, messagePart)
    return true
  })
}

/** A `Stripe-Signature` header computed here with node:crypto (independent of the binding). */
export function stripeSignature(rawBody, secret, t = Math.floor(Date.now() / 1000)) {
  const mac = crypto.createHmac('sha256', secret).update(`${t}.`).update(rawBody).digest('hex')
  return `t=${t},v1=${mac}`
}

/**
 * A local HTTP server standing in for Stripe: `handler(req, url)` returns
 * `{ status, body, headers }`. Returns `{ url, requests, close }`.
 */
export async function mockStripe(handler) {
  const requests = []
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1')
    requests.push({ method: req.method, path: url.pathname, auth: req.headers.authorization })
    const { status = 200, body = {}, headers = {} } = handler(req, url) ?? {}
    res.writeHead(status, { 'content-type': 'application/json', ...headers })
    res.end(JSON.stringify(body))
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address()
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    // Also drops the client's idle keep-alive connections: the native client
    // pools them for 90 s, and close() alone waits for them.
    close: () => new Promise((resolve) => { server.close(resolve); server.closeAllConnections() }),
  }
}

/** Stripe's empty list page. */
export const emptyList = (url) => ({ object: 'list', url, has_more: false, data: [] })

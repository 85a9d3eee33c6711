// A minimal Stripe webhook endpoint on plain node:http (the same shape works in
// Express with `express.raw({ type: 'application/json' })`): read the raw body,
// verify its Stripe-Signature, apply the event to the books, answer 2xx.
//
//   STRIPE_WEBHOOK_SECRET=whsec_... node examples/node/webhook_server.mjs [books.db] [port]
//
// Listens on 127.0.0.1 only. Stripe retries deliveries: applying is idempotent
// (a repeated event id is reported as `duplicate`), so answering 200 to a
// duplicate is right. A bad signature gets 400; a books failure 500, so Stripe retries.
import http from 'node:http'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'

const require = createRequire(import.meta.url)
// In an application: `import { Books, verifyWebhook } from 'tieout'`.
const { Books, verifyWebhook } = require('../../bindings-node')

/**
 * Builds the server (not yet listening). `books` is a tieout `Books`, `secret`
 * the endpoint's signing secret.
 */
export function createWebhookServer({ books, secret, path = '/stripe/webhook', log = console.log }) {
  return http.createServer(async (req, res) => {
    const reply = (status, body) => {
      res.writeHead(status, { 'content-type': 'application/json' })
      res.end(JSON.stringify(body))
    }
    if (req.method !== 'POST' || req.url !== path) return reply(404, { error: 'not found' })
    const chunks = []
    for await (const chunk of req) chunks.push(chunk)
    const rawBody = Buffer.concat(chunks) // the exact bytes Stripe signed: never re-serialise

    let event
    try {
      event = verifyWebhook(rawBody, req.headers['stripe-signature'] ?? '', secret)
    } catch (err) {
      log(`rejected delivery: ${err.code}: ${err.message}`)
      return reply(400, { error: err.code })
    }
    try {
      const outcome = await books.applyEvent(event)
      log(`${event.id} ${event.type}: ${outcome.status}`)
      return reply(200, { received: true, status: outcome.status })
    } catch (err) {
      log(`failed to apply ${event.id}: ${err.code}: ${err.message}`)
      return reply(500, { error: err.code })
    }
  })
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const secret = process.env.STRIPE_WEBHOOK_SECRET
  if (!secret) {
    console.error('set STRIPE_WEBHOOK_SECRET (whsec_...)')
    process.exit(2)
  }
  const books = await Books.open(process.argv[2] ?? 'books.db')
  const port = Number(process.argv[3] ?? 4242)
  const server = createWebhookServer({ books, secret })
  server.listen(port, '127.0.0.1', () => {
    console.log(`listening on http://127.0.0.1:${server.address().port}/stripe/webhook`)
  })
}

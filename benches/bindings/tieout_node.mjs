// tieout through Node, as a user's script: StripeFiles -> review -> import into
// SQLite books.
//
//   node tieout_node.mjs DIR DB [ADDON_DIR]
import path from 'node:path'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'

const require = createRequire(import.meta.url)
const here = path.dirname(fileURLToPath(import.meta.url))
const [src, db, addon] = process.argv.slice(2)
const { Books, StripeFiles } = require(addon ?? path.join(here, '..', '..', 'bindings-node'))

const books = await Books.open(db)
const source = new StripeFiles(src)
const plan = {}
const review = await books.review(source, plan)
const run = await books.import(source, plan, { approval: review.approval })
if (run.status !== 'succeeded' || run.failed) {
  console.error(`import ${run.id}: ${run.status}, ${run.failed} failed`)
  process.exit(1)
}

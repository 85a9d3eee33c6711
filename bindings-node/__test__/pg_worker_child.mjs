// A separate process for pg_worker_processes.test.mjs (not a test file): opens
// the shared PostgreSQL books named by the environment and plays one part,
// then prints its outcome as one JSON line.
//   worker  Books#backfillWorker over the Stripe files in T_DIR
//   hold    a slow import of the same files (every page waits T_PAUSE_MS),
//           so its stream stays held
import { tieout } from './helpers.mjs'

const { Books, StripeFiles } = tieout
const env = (name) => {
  const v = process.env[name]
  if (v === undefined) throw new Error(`${name} not set for the child`)
  return v
}

const BASE = 1_700_000_000
const plan = {
  createdFrom: new Date((BASE - 10) * 1000).toISOString(),
  createdTo: new Date((BASE + 60 * 20_000) * 1000).toISOString(),
}

const part = process.argv[2]
const books = await Books.open(env('T_URL'), {
  schema: env('T_SCHEMA'),
  commitRecords: 0,
  commitSeconds: 0,
  leaseSeconds: Number(env('T_LEASE_SECONDS')),
})
const source = new StripeFiles(env('T_DIR'))
try {
  if (part === 'worker') {
    const report = await books.backfillWorker(source, plan, { shards: Number(env('T_SHARDS')) })
    console.log(JSON.stringify({ holder: books.holder, report }))
  } else if (part === 'hold') {
    const pause = new Int32Array(new SharedArrayBuffer(4))
    const run = await books.import(source, plan, {
      onProgress: () => {
        Atomics.wait(pause, 0, 0, Number(env('T_PAUSE_MS')))
        return true
      },
    })
    console.log(JSON.stringify({ holder: books.holder, run }))
  } else {
    throw new Error(`unknown part ${part}`)
  }
} catch (e) {
  console.log(JSON.stringify({ error: e.code ?? 'UNKNOWN', message: e.message }))
  process.exitCode = 3
}

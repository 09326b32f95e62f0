/**
 * What a pipeline run must end with, whatever was killed or stopped on the way, checked against the rows of an
 * uninterrupted reference run: every image, event and alert exactly once with the reference's values, each image
 * object's bytes matching its row's `content_sha256`, each difference image present, and no orphan objects.
 *
 * Orphans are objects under `image/` and `difference_image/` that no row references. `thumbnail/` objects are not
 * counted: the web viewer derives them from an image's bytes on demand (keyed by content hash), a cache it may
 * rebuild at any time, so no row is expected to name them.
 *
 * Free of vitest, so `npm run chaos` (bench/chaos.ts) uses it as the fault tests do.
 */
import { createHash } from 'node:crypto'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { openSqliteCatalog } from '../../src/adapters/sqlite/sqlite-catalog.js'
import type { Catalog } from '../../src/core/ports/catalog.js'
import type { ObjectStore } from '../../src/core/ports/object-store.js'
import { allRows, catalogRows } from './catalog-rows.js'
import { cleanEnv, runCli } from './cli.js'
import { uniqueName } from './integration.js'

type Rows = Awaited<ReturnType<typeof catalogRows>>

let scratch: Promise<string> | undefined
function scratchDir(): Promise<string> {
  scratch ??= mkdtemp(path.join(tmpdir(), 'imgpipe-e2e-'))
  return scratch
}

/** The rows of the embedded run with the same arguments, computed once per argument list. */
const references = new Map<string, Promise<Rows>>()
export function embeddedRows(args: string[]): Promise<Rows> {
  const key = args.join(' ')
  let rows = references.get(key)
  if (rows === undefined) {
    rows = (async () => {
      const dir = await scratchDir()
      const name = uniqueName('ref')
      const dbPath = path.join(dir, `${name}.db`)
      const result = await runCli(
        ['run', ...args],
        cleanEnv({ IMGPIPE_DATABASE_URL: `sqlite:${dbPath}`, IMGPIPE_OBJECT_STORE_URL: `file:${path.join(dir, name)}` }),
      )
      if (result.code !== 0) throw new Error(`the reference run imgpipe run ${key} failed: ${result.stderr.slice(-2000)}`)
      const catalog = openSqliteCatalog({ path: dbPath })
      try {
        return await catalogRows(catalog)
      } finally {
        await catalog.close()
      }
    })()
    references.set(key, rows)
  }
  return rows
}

/** Rows keyed by what two correct runs agree on, whatever ids auto-increment gaps or kills gave them. */
export interface ComparableRows {
  /** `stream#image_num` → the row without its id, its predecessor named the same way. */
  images: Map<string, string[]>
  events: Map<string, string[]>
  alerts: Map<string, string[]>
}

export interface Outcome {
  /** Reference rows absent here, plus rows whose object is missing. */
  lost: number
  /** Rows beyond the first for one key, plus rows the reference does not have. */
  duplicated: number
  /** Rows present once whose values differ from the reference's (status, hash, metrics, ...). */
  mismatched: number
  /** Image objects whose bytes do not hash to their row's content_sha256. */
  corrupt: number
  /** Objects under image/ or difference_image/ that no row references. */
  orphans: number
  /** One line per problem found, for the report (at most 20). */
  problems: string[]
}

/** A killed process's half-done row can only differ in ids, which `comparable` leaves out. */
export function comparable(rows: Rows): ComparableRows {
  const nameById = new Map(
    rows.images.map((image) => [Number(image['image_id']), `${String(image['stream'])}#${String(image['image_num'])}`]),
  )
  const images = new Map<string, string[]>()
  const add = (map: Map<string, string[]>, key: string, value: unknown) => map.set(key, [...(map.get(key) ?? []), JSON.stringify(value)])
  for (const image of rows.images) {
    const { image_id: _id, previous_image_id: previous, ...rest } = image
    add(images, `${String(image['stream'])}#${String(image['image_num'])}`, {
      ...rest,
      previous: previous === null ? null : (nameById.get(Number(previous)) ?? 'unknown'),
    })
  }
  const events = new Map<string, string[]>()
  for (const event of rows.events) {
    add(events, event.image, event)
  }
  const alerts = new Map<string, string[]>()
  for (const alert of rows.alerts) add(alerts, alert.image, alert)
  return { images, events, alerts }
}

/** Compares a catalog and its store with the reference rows; every count is 0 for a correct run. */
export async function checkOutcome(catalog: Catalog, store: ObjectStore, reference: ComparableRows): Promise<Outcome> {
  const rows = await catalogRows(catalog)
  const actual = comparable(rows)
  const outcome: Outcome = { lost: 0, duplicated: 0, mismatched: 0, corrupt: 0, orphans: 0, problems: [] }
  const problem = (field: Exclude<keyof Outcome, 'problems'>, text: string) => {
    outcome[field] += 1
    if (outcome.problems.length < 20) outcome.problems.push(`${field}: ${text}`)
  }
  for (const table of ['images', 'events', 'alerts'] as const) {
    for (const [key, expected] of reference[table]) {
      const found = actual[table].get(key) ?? []
      if (found.length === 0) problem('lost', `${table} ${key}`)
      else if (found[0] !== expected[0]) problem('mismatched', `${table} ${key}: ${found[0]} ≠ reference ${expected[0]}`)
      for (let extra = 1; extra < found.length; extra += 1) problem('duplicated', `${table} ${key}`)
    }
    for (const [key, found] of actual[table]) {
      if (!reference[table].has(key)) for (const _row of found) problem('duplicated', `${table} ${key} is not in the reference`)
    }
  }

  const referenced = new Set<string>()
  for (const image of rows.images) {
    const key = String(image['image_object_key'])
    referenced.add(key)
    const bytes = await store.get(key).catch(() => null)
    if (bytes === null) problem('lost', `object ${key} of image ${String(image['stream'])}#${String(image['image_num'])}`)
    else if (createHash('sha256').update(bytes).digest('hex') !== image['content_sha256']) problem('corrupt', `object ${key}`)
  }
  // The stored keys, not catalogRows' comparable form of them.
  for (const event of await allRows(catalog, 'image_event')) {
    const key = String(event['difference_image_object_key'])
    referenced.add(key)
    if ((await store.stat(key)) === null) problem('lost', `difference image ${key} of event ${String(event['image_event_id'])}`)
  }
  for (const prefix of ['image/', 'difference_image/']) {
    for await (const object of store.list(prefix)) if (!referenced.has(object.key)) problem('orphans', object.key)
  }
  return outcome
}

/**
 * F1 of issue 9: two writers into one stream must never put bytes under a number the other one owns.
 * Two `imgpipe ingest` processes, and separate ReceiveStage writers on connections of their own, each
 * with distinct pictures, into one stream at once; afterwards every row's content_sha256 must be the
 * sha256 of the object its row names, on SQLite, MariaDB and PostgreSQL.
 */
import { createHash } from 'node:crypto'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FsObjectStore } from '../../../src/adapters/fs/fs-object-store.js'
import { MemoryBus } from '../../../src/adapters/memory/memory-bus.js'
import { loadConfig } from '../../../src/config/load-config.js'
import { silentLogger } from '../../../src/core/logger.js'
import type { Catalog } from '../../../src/core/ports/catalog.js'
import { ReceiveStage } from '../../../src/stages/receive/receive-stage.js'
import { topicsFor } from '../../../src/stages/stage-context.js'
import { freshDatabaseUrl, type FreshDatabase } from '../../support/catalog-backends.js'
import { cleanEnv, runCli } from '../../support/cli.js'
import { inCi } from '../../support/integration.js'

const PER_WRITER = 25
let dir: string
/** Distinct pictures (random noise, so no two share bytes), one folder per writer. */
const folders: string[] = []

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'imgpipe-concurrent-'))
  for (const writer of ['a', 'b']) {
    const folder = path.join(dir, writer)
    await mkdir(folder)
    for (let index = 0; index < PER_WRITER; index += 1) {
      const noise = Buffer.from(Array.from({ length: 24 * 24 * 3 }, () => Math.floor(Math.random() * 256)))
      const png = await sharp(noise, { raw: { width: 24, height: 24, channels: 3 } })
        .png()
        .toBuffer()
      await writeFile(path.join(folder, `${writer}-${String(index).padStart(3, '0')}.png`), png)
    }
    folders.push(folder)
  }
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex')

/** Every row of the stream names an object holding exactly its bytes; numbers 1..n, each once. */
async function expectBytesMatchRows(catalog: Catalog, objectsDir: string, expected: number): Promise<void> {
  const store = new FsObjectStore(objectsDir)
  const rows = await catalog.tableRows('image_metadata', { limit: 1000 })
  expect(rows).toHaveLength(expected)
  expect(rows.map((row) => Number(row['image_num'])).sort((a, b) => a - b)).toEqual(Array.from({ length: expected }, (_, i) => i + 1))
  const mismatched: string[] = []
  for (const row of rows) {
    const bytes = await store.get(String(row['image_object_key']))
    if (sha256(bytes) !== row['content_sha256']) mismatched.push(`${String(row['image_filename'])} -> ${String(row['image_object_key'])}`)
  }
  expect(mismatched).toEqual([])
  expect(new Set(rows.map((row) => row['status']))).toEqual(new Set(['analyzed']))
}

for (const kind of ['sqlite', 'mysql', 'postgres'] as const) {
  describe(`concurrent writers into one stream (${kind})`, () => {
    let database: FreshDatabase | null = null
    beforeAll(async () => {
      database = await freshDatabaseUrl(kind)
      if (database === null && inCi) throw new Error(`CI=true but no ${kind} test server`)
    })
    afterAll(async () => {
      await database?.cleanup()
    })

    it('two ingest processes at once: every row points at its own bytes', async (context) => {
      if (database === null) return context.skip()
      const objects = path.join(dir, `${kind}-ingest-objects`)
      const env = cleanEnv({
        IMGPIPE_DATABASE_URL: database.url,
        IMGPIPE_DATABASE_PASSWORD: database.password,
        IMGPIPE_OBJECT_STORE_URL: `file:${objects}`,
      })
      await runCli(['db', 'create'], env)
      const results = await Promise.all(folders.map((folder) => runCli(['ingest', folder, '--stream', 'cam'], env)))
      expect(results.map((result) => [result.code, result.stderr.split('\n').filter((line) => line.includes('error'))])).toEqual([
        [0, []],
        [0, []],
      ])
      const catalog = database.openCatalog()
      try {
        await expectBytesMatchRows(catalog, objects, 2 * PER_WRITER)
      } finally {
        await catalog.close()
      }
    }, 240_000)

    it('receive stages on separate connections at once: every row points at its own bytes', async (context) => {
      if (database === null) return context.skip()
      const objects = path.join(dir, `${kind}-receive-objects`)
      const { readFile, readdir } = await import('node:fs/promises')
      const catalogs = [database.openCatalog(), database.openCatalog(), database.openCatalog()]
      try {
        await catalogs[0]!.migrate()
        const writers = catalogs.map((catalog) => {
          const store = new FsObjectStore(objects)
          const abort = new AbortController()
          return new ReceiveStage({
            catalog,
            store,
            bus: new MemoryBus(),
            topics: topicsFor({ topicPrefix: '' }),
            analysis: loadConfig({}).analysis,
            logger: silentLogger,
            signal: abort.signal,
          })
        })
        const files = (
          await Promise.all(folders.map(async (folder) => (await readdir(folder)).map((name) => path.join(folder, name))))
        ).flat()
        // Three writers take files round-robin, all at once, into stream "rx".
        await Promise.all(
          writers.map(async (writer, index) => {
            for (const file of files.filter((_, position) => position % writers.length === index)) {
              const bytes = await readFile(file)
              const outcome = await writer.receive({ stream: 'rx', filename: path.basename(file), bytes, byteSize: bytes.length })
              expect(outcome.kind).toBe('received')
            }
          }),
        )
        const rows = (await catalogs[0]!.tableRows('image_metadata', { limit: 1000 })).filter((row) => row['stream'] === 'rx')
        const store = new FsObjectStore(objects)
        expect(rows).toHaveLength(files.length)
        for (const row of rows) expect(sha256(await store.get(String(row['image_object_key'])))).toBe(row['content_sha256'])
        expect(new Set(rows.map((row) => row['image_num'])).size).toBe(files.length)
      } finally {
        for (const catalog of catalogs) await catalog.close()
      }
    }, 240_000)
  })
}

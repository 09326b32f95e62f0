import { existsSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MemoryObjectStore } from '../../../src/adapters/memory/memory-object-store.js'
import { CHECK_PREFIX, checkStore, DELETE_BATCH, emptyStore } from '../../../src/cli/commands/store-command.js'
import { describeObjectStore } from '../../../src/adapters/backend-options.js'
import { parseObjectStoreUrl } from '../../support/setting-parsers.js'
import { StoreUnavailableError } from '../../../src/core/errors.js'
import type { ObjectStore, StoredObject } from '../../../src/core/ports/object-store.js'
import { freshDatabaseUrl, testServerConfig } from '../../support/catalog-backends.js'
import type { FreshDatabase } from '../../support/catalog-backends.js'
import { cleanEnv, repoRoot, runCli } from '../../support/cli.js'
import type { CliResult } from '../../support/cli.js'
import { freshStoreUrl, s3TestUrl } from '../../support/store-backends.js'
import type { FreshStoreUrl } from '../../support/store-backends.js'

/** The built CLI, run as a user would. */
const imgpipe = (args: readonly string[], env: Record<string, string>): Promise<CliResult> => runCli(args, env)

/** The lines the CLI itself wrote on stderr (Node may add its own warnings). */
function reasonLines(stderr: string): string[] {
  return stderr.split('\n').filter((line) => line.startsWith('imgpipe:') || line.startsWith('error:'))
}

async function keysIn(store: ObjectStore, prefix = ''): Promise<string[]> {
  const keys: string[] = []
  for await (const object of store.list(prefix)) keys.push(object.key)
  return keys
}

const IMAGE_KEYS = Array.from({ length: 10 }, (_, index) => `image/image_${String(index + 1).padStart(5, '0')}.jpg`)
const DIFFERENCE_KEYS = ['difference_image/image_event_00001.jpg', 'difference_image/image_event_00002.jpg']
const ALL_KEYS = [...DIFFERENCE_KEYS, ...IMAGE_KEYS]

const backends = [
  { name: 'SQLite + directory', database: 'sqlite' as const, store: 'directory' as const, available: true },
  {
    name: 'MariaDB + S3',
    database: 'mysql' as const,
    store: 's3' as const,
    available: testServerConfig('mysql') !== null && s3TestUrl() !== null,
  },
]

for (const backend of backends) {
  // One store per backend, filled by a run, then listed, refused, emptied in two steps and checked.
  describe.skipIf(!backend.available)(`imgpipe store on ${backend.name}`, () => {
    let db: FreshDatabase
    let storeUrl: FreshStoreUrl
    let store: ObjectStore
    let env: Record<string, string>
    let where: string
    beforeAll(async () => {
      db = (await freshDatabaseUrl(backend.database))!
      storeUrl = (await freshStoreUrl(backend.store))!
      store = storeUrl.openStore()
      where = describeObjectStore(parseObjectStoreUrl(storeUrl.url, repoRoot))
      // Node 20's AWS SDK prints a support notice on stderr; the reason line is what these tests read.
      env = cleanEnv({
        IMGPIPE_DATABASE_URL: db.url,
        IMGPIPE_DATABASE_PASSWORD: db.password,
        IMGPIPE_OBJECT_STORE_URL: storeUrl.url,
        NODE_NO_WARNINGS: '1',
      })
      const run = await runCli(['run'], env)
      expect(run.code).toBe(0)
    })
    afterAll(async () => {
      await store?.close()
      await Promise.allSettled([db?.cleanup(), storeUrl?.cleanup()])
    })

    it('store list --json shows the 10 images and 2 difference images with their sizes and times', async () => {
      const result = await imgpipe(['store', 'list', '--json'], env)
      expect(result.code).toBe(0)
      const listing = JSON.parse(result.stdout) as {
        store: string
        prefix: string
        count: number
        totalBytes: number
        objects: { key: string; size: number; lastModified: string | null }[]
      }
      expect(listing.store).toBe(where)
      expect(listing.objects.map((object) => object.key)).toEqual(ALL_KEYS)
      expect(listing.count).toBe(12)
      for (const object of listing.objects) {
        const stat = await store.stat(object.key)
        expect(object.size).toBe(stat?.size)
        expect(object.size).toBeGreaterThan(1000)
        expect(new Date(object.lastModified ?? '').getTime()).toBe(stat?.lastModified?.getTime())
      }
      expect(listing.totalBytes).toBe(listing.objects.reduce((sum, object) => sum + object.size, 0))
    })

    it('store list prints aligned keys, sizes and times, and a total line; --prefix narrows it', async () => {
      const result = await imgpipe(['store', 'list'], env)
      expect(result.code).toBe(0)
      const lines = result.stdout.trimEnd().split('\n')
      expect(lines[0]).toMatch(/^key +size {2}last_modified$/)
      expect(lines).toHaveLength(2 + 12 + 1)
      const sizeEnd = lines[0]!.indexOf('size') + 'size'.length
      for (const line of lines.slice(2, 14)) {
        expect(line).toMatch(/^\S+ +\d+ {2}\d{4}-\d\d-\d\dT/)
        // Sizes are right-aligned under their header.
        expect(line.slice(0, sizeEnd)).toMatch(/\d$/)
      }
      expect(lines.at(-1)).toMatch(
        new RegExp(`^12 objects, \\d+ bytes \\(\\d+\\.\\d KiB\\) in ${where.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`),
      )

      const differences = await imgpipe(['store', 'list', '--prefix', 'difference_image/', '--json'], env)
      expect((JSON.parse(differences.stdout) as { objects: { key: string }[] }).objects.map((object) => object.key)).toEqual(
        DIFFERENCE_KEYS,
      )
    })

    it('store empty refuses without --yes and deletes nothing', async () => {
      const result = await imgpipe(['store', 'empty'], env)
      expect(result.code).toBe(2)
      const lines = reasonLines(result.stderr)
      expect(lines).toEqual([
        `imgpipe: store empty would delete every object in ${where}; run it again with --yes to do so [IMGPIPE_USAGE]`,
      ])
      expect(await keysIn(store)).toEqual(ALL_KEYS)
    })

    it('store empty --yes --prefix deletes only the objects under the prefix', async () => {
      const result = await imgpipe(['store', 'empty', '--yes', '--prefix', 'difference_image/'], env)
      expect(result.code).toBe(0)
      expect(result.stdout).toBe(`deleted 2 objects under "difference_image/" from ${where}\n`)
      expect(await keysIn(store)).toEqual(IMAGE_KEYS)
    })

    it('store empty --yes deletes every object', async () => {
      const result = await imgpipe(['store', 'empty', '--yes', '--json'], env)
      expect(result.code).toBe(0)
      expect(JSON.parse(result.stdout)).toEqual({ store: where, prefix: '', deleted: 10, found: 10, stopped: false })
      expect(await keysIn(store)).toEqual([])
      const listing = await imgpipe(['store', 'list'], env)
      expect(listing.stdout).toBe(`no objects in ${where}\n`)
    })

    it('store check passes and leaves no probe behind', async () => {
      const result = await imgpipe(['store', 'check'], env)
      expect(result.stderr).toBe('')
      expect(result.code).toBe(0)
      expect(result.stdout).toBe(`store check passed (put, list, get, delete) on ${where}\n`)
      expect(await keysIn(store)).toEqual([])
      if (backend.store === 'directory') {
        // Nor the probe's directory.
        expect(existsSync(path.join(storeUrl.url.slice('file:'.length), CHECK_PREFIX))).toBe(false)
      }
    })
  })
}

describe('imgpipe store failures', () => {
  const unreachable = 's3://imgpipe-test?endpoint=http://127.0.0.1:1&region=us-east-1&forcePathStyle=true'
  // No credential lookups beyond the environment: never the instance-metadata address.
  const env = (extra: Record<string, string> = {}): Record<string, string> =>
    cleanEnv({ IMGPIPE_OBJECT_STORE_URL: unreachable, AWS_EC2_METADATA_DISABLED: 'true', NODE_NO_WARNINGS: '1', ...extra })

  it('store check names the step that failed against an unreachable S3 endpoint, in one line, exit code 1', async () => {
    const result = await imgpipe(['store', 'check'], env())
    expect(result.code).toBe(1)
    const lines = reasonLines(result.stderr)
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(
      /^imgpipe: store check failed at put on s3:\/\/imgpipe-test\/ \(endpoint http:\/\/127\.0\.0\.1:1\): .*\[IMGPIPE_STORE_UNAVAILABLE\]$/,
    )
    expect(result.stdout).toBe('')
  })

  it('store list says in one line that the store does not answer', async () => {
    const result = await imgpipe(['store', 'list'], env())
    expect(result.code).toBe(1)
    expect(reasonLines(result.stderr)).toHaveLength(1)
    expect(result.stderr).toContain('[IMGPIPE_STORE_UNAVAILABLE]')
  })

  it('rejects a prefix that could never name a key with exit code 2, before opening the store', async () => {
    const result = await imgpipe(['store', 'list', '--prefix', '../etc'], env())
    expect(result.code).toBe(2)
    expect(reasonLines(result.stderr)).toEqual([expect.stringContaining('--prefix "../etc" is not a valid key prefix')])
  })

  it('has help for store and every subcommand', async () => {
    const help = await imgpipe(['store', '--help'], cleanEnv())
    expect(help.code).toBe(0)
    for (const command of ['list', 'empty', 'check']) {
      expect(help.stdout).toContain(command)
      const sub = await imgpipe(['store', command, '--help'], cleanEnv())
      expect(sub.code).toBe(0)
      expect(sub.stdout).toContain(`Usage: imgpipe store ${command}`)
    }
  })
})

/** A memory store whose operations can be made to misbehave, and which records its delete calls. */
class FaultyStore extends MemoryObjectStore {
  deleteCalls: number[] = []
  failDeleteAfter = Number.POSITIVE_INFINITY
  corruptGet = false
  hideFromList = false
  stallPut = false
  failDelete = false

  /** Back to a plain memory store, to look at what is left. */
  heal(): void {
    this.corruptGet = false
    this.hideFromList = false
    this.stallPut = false
    this.failDelete = false
  }

  override async put(key: string, bytes: Uint8Array): Promise<void> {
    if (this.stallPut) {
      await super.put(key, bytes)
      return new Promise<never>(() => undefined)
    }
    return super.put(key, bytes)
  }

  override async get(key: string): Promise<Buffer> {
    const bytes = await super.get(key)
    if (this.corruptGet) bytes[0] = (bytes[0] ?? 0) ^ 0xff
    return bytes
  }

  override async *list(prefix = ''): AsyncIterable<StoredObject> {
    if (this.hideFromList) return
    yield* super.list(prefix)
  }

  override async delete(keys: readonly string[]): Promise<void> {
    this.deleteCalls.push(keys.length)
    if (this.failDelete || this.deleteCalls.length > this.failDeleteAfter) throw new StoreUnavailableError('the server said no')
    return super.delete(keys)
  }
}

async function filled(count: number): Promise<FaultyStore> {
  const store = new FaultyStore()
  for (let index = 0; index < count; index += 1)
    await store.put(`image/s/image_${String(index).padStart(5, '0')}.jpg`, Buffer.from([index % 256]))
  await store.put('other/x.bin', Buffer.from('x'))
  return store
}

describe('emptyStore', () => {
  it(`deletes in batches of ${DELETE_BATCH}, only under the prefix`, async () => {
    const store = await filled(2500)
    expect(await emptyStore(store, 'image/')).toEqual({ found: 2500, deleted: 2500, stopped: false })
    expect(store.deleteCalls).toEqual([1000, 1000, 500])
    expect(await keysIn(store)).toEqual(['other/x.bin'])
  })

  it('says how far it got when a batch fails, keeping the error code', async () => {
    const store = await filled(2500)
    store.failDeleteAfter = 1
    const failure = emptyStore(store, '')
    await expect(failure).rejects.toThrow('store empty stopped after deleting 1000 of 2501 objects: the server said no')
    await expect(failure).rejects.toMatchObject({ code: 'IMGPIPE_STORE_UNAVAILABLE' })
    expect(await keysIn(store)).toHaveLength(1501)
  })

  it('stops between batches once the stop signal is raised', async () => {
    const store = await filled(10)
    const stop = new AbortController()
    stop.abort()
    expect(await emptyStore(store, '', stop.signal)).toEqual({ found: 11, deleted: 0, stopped: true })
    expect(await keysIn(store)).toHaveLength(11)
  })
})

describe('checkStore', () => {
  it('passes on a working store and leaves nothing behind', async () => {
    const store = new FaultyStore()
    await checkStore(store, 'memory:', 10_000)
    expect(await keysIn(store)).toEqual([])
  })

  it.each([
    ['list', (store: FaultyStore) => (store.hideFromList = true), 'is missing from a listing of its own prefix'],
    ['get', (store: FaultyStore) => (store.corruptGet = true), 'the probe read back differs from what was written'],
    ['delete', (store: FaultyStore) => (store.failDelete = true), 'the server said no'],
  ])('names the step that failed (%s) and still tries to delete the probe', async (step, breakIt, reason) => {
    const store = new FaultyStore()
    breakIt(store)
    const failure = checkStore(store, 'memory:', 10_000)
    await expect(failure).rejects.toThrow(`store check failed at ${step} on memory:`)
    await expect(failure).rejects.toThrow(reason)
    await expect(failure).rejects.toMatchObject({ code: 'IMGPIPE_STORE_UNAVAILABLE' })
    expect(store.deleteCalls.length).toBeGreaterThan(0)
    store.heal()
    if (step !== 'delete') expect(await keysIn(store)).toEqual([])
  })

  it('gives up on a step that never answers and says so', async () => {
    const store = new FaultyStore()
    store.stallPut = true
    let timeouts = 0
    await expect(checkStore(store, 'memory:', 20, () => (timeouts += 1))).rejects.toThrow(
      'store check failed at put on memory:: no answer within 20 ms',
    )
    expect(timeouts).toBe(1)
    // The put landed before it stalled: the clean-up removed it all the same.
    store.heal()
    expect(await keysIn(store)).toEqual([])
  })
})

/**
 * Commands that only read never create a database file, a directory or a bucket, and a missing catalog is one
 * line naming `imgpipe db create` with a non-zero exit (issue 16, item 2: `db counts` on
 * `sqlite:/nonexistent/dir/x.db` made the directory and the file, and said "migrate the database first").
 */
import { existsSync } from 'node:fs'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { S3ObjectStore } from '../../src/adapters/s3/s3-object-store.js'
import { freshDatabaseUrl, testServerConfig, type FreshDatabase } from '../support/catalog-backends.js'
import { cleanEnv, runCli, type CliResult } from '../support/cli.js'
import { uniqueName } from '../support/integration.js'
import { s3StoreUrl, s3TestUrl, uniqueS3Config } from '../support/store-backends.js'

/** Every command that only reads the catalog (with the arguments it needs to get that far). */
const CATALOG_READERS: readonly (readonly string[])[] = [
  ['db', 'counts'],
  ['db', 'counts', '--json'],
  ['db', 'show'],
  ['db', 'empty', '--yes'],
  ['view', '1', '--once'],
  ['deliveries', 'list'],
  ['subscription', 'list'],
  ['subscriber', 'list'],
  ['web', '--port', '0'],
]

/** Each command line with its name, for `it.each`. */
function named(commands: readonly (readonly string[])[]): (readonly [string, readonly string[]])[] {
  return commands.map((args) => [args.join(' '), args] as const)
}

/** The lines the CLI itself wrote on stderr (Node may add its own warnings). */
function reasonLines(stderr: string): string[] {
  return stderr.split('\n').filter((line) => line.startsWith('imgpipe:'))
}

function expectOneLineNamingDbCreate(result: CliResult): void {
  expect(result.code).not.toBe(0)
  expect(result.code).not.toBeNull()
  const lines = reasonLines(result.stderr)
  expect(lines).toHaveLength(1)
  expect(lines[0]).toContain('`imgpipe db create`')
  expect(result.stderr).not.toContain('migrate the database first')
}

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'imgpipe-read-only-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('read-only commands on a SQLite path that does not exist', () => {
  // Neither the catalog's directory nor the store's exists: nothing under `missing` may appear.
  const env = (): Record<string, string> =>
    cleanEnv({
      IMGPIPE_DATABASE_URL: `sqlite:${path.join(dir, 'missing', 'dir', 'x.db')}`,
      IMGPIPE_OBJECT_STORE_URL: `file:${path.join(dir, 'missing', 'objects')}`,
      NODE_NO_WARNINGS: '1',
    })

  it.each(named(CATALOG_READERS))('%s: one line naming `imgpipe db create`, non-zero exit, nothing created', async (_name, args) => {
    const result = await runCli(args, env(), { timeoutMs: 30_000 })
    expectOneLineNamingDbCreate(result)
    expect(reasonLines(result.stderr)[0]).toContain(`no catalog at sqlite:${path.join(dir, 'missing', 'dir', 'x.db')}`)
    expect(result.stdout).toBe('')
    expect(existsSync(path.join(dir, 'missing'))).toBe(false)
  })

  it('status says which command creates the catalog and creates nothing', async () => {
    const result = await runCli(['status'], env())
    expect(result.stdout).toContain('imgpipe db create')
    expect(existsSync(path.join(dir, 'missing'))).toBe(false)
  })

  it('store list finds no objects and makes no directory', async () => {
    const result = await runCli(['store', 'list'], env())
    expect(result.code).toBe(0)
    expect(result.stdout).toContain(`no objects in file:${path.join(dir, 'missing', 'objects')}`)
    expect(existsSync(path.join(dir, 'missing'))).toBe(false)
  })

  it('store check fails in one line, saying what creates the directory, and makes none', async () => {
    const result = await runCli(['store', 'check'], env())
    expect(result.code).toBe(1)
    const lines = reasonLines(result.stderr)
    expect(lines).toHaveLength(1)
    expect(lines[0]).toContain('the directory does not exist')
    expect(lines[0]).toContain('`imgpipe run`')
    expect(existsSync(path.join(dir, 'missing'))).toBe(false)
  })

  it('db create, a command that writes, still makes the directory and the tables', async () => {
    const file = path.join(dir, 'created', 'dir', 'x.db')
    const result = await runCli(['db', 'create'], cleanEnv({ IMGPIPE_DATABASE_URL: `sqlite:${file}` }))
    expect(result.code).toBe(0)
    expect(result.stdout).toContain('applied 0001-initial')
    expect(existsSync(file)).toBe(true)
    // And the readers read it now.
    const counts = await runCli(['db', 'counts', '--json'], cleanEnv({ IMGPIPE_DATABASE_URL: `sqlite:${file}` }))
    expect(counts.code).toBe(0)
    expect(JSON.parse(counts.stdout)).toMatchObject({ tables: { image_metadata: 0, image_event: 0, image_event_alert: 0 } })
  })
})

describe('read-only commands on an existing catalog leave a directory store as they found it', () => {
  let env: Record<string, string>
  const objects = (): string => path.join(dir, 'existing', 'objects')
  beforeAll(async () => {
    env = cleanEnv({
      IMGPIPE_DATABASE_URL: `sqlite:${path.join(dir, 'existing', 'x.db')}`,
      IMGPIPE_OBJECT_STORE_URL: `file:${objects()}`,
      NODE_NO_WARNINGS: '1',
    })
    expect((await runCli(['db', 'create'], env)).code).toBe(0)
  })

  it.each(named([['view', '1', '--once'], ['store', 'list'], ['store', 'empty', '--yes'], ['status']]))(
    '%s makes no store directory',
    async (_name, args) => {
      await runCli(args, env, { timeoutMs: 30_000 })
      expect(existsSync(objects())).toBe(false)
      // The catalog's own files only (the WAL's companions come and go with a connection).
      expect((await readdir(path.join(dir, 'existing'))).filter((name) => !name.startsWith('x.db'))).toEqual([])
    },
  )
})

const s3Url = s3TestUrl()

describe.skipIf(s3Url === null)('read-only commands on an S3 bucket that does not exist', () => {
  const config = { ...uniqueS3Config(s3Url ?? 's3://unused', 'ro'), bucket: uniqueName('imgpipe-ro-') }
  let env: Record<string, string>
  beforeAll(async () => {
    env = cleanEnv({
      IMGPIPE_DATABASE_URL: `sqlite:${path.join(dir, 's3', 'x.db')}`,
      IMGPIPE_OBJECT_STORE_URL: s3StoreUrl(config),
      NODE_NO_WARNINGS: '1',
      AWS_EC2_METADATA_DISABLED: 'true',
    })
    expect((await runCli(['db', 'create'], env)).code).toBe(0)
  })

  async function expectNoBucket(): Promise<void> {
    const store = new S3ObjectStore(config)
    try {
      const listing = (async () => {
        for await (const object of store.list()) return object
        return null
      })()
      await expect(listing).rejects.toThrow(`bucket "${config.bucket}" does not exist`)
    } finally {
      await store.close()
    }
  }

  it.each(named([['store', 'list'], ['store', 'check'], ['store', 'empty', '--yes'], ['view', '1', '--once'], ['status']]))(
    '%s creates no bucket',
    async (_name, args) => {
      const result = await runCli(args, env, { timeoutMs: 30_000 })
      if (args[0] === 'store') {
        expect(result.code).toBe(1)
        expect(reasonLines(result.stderr).join('\n')).toContain(`bucket "${config.bucket}" does not exist`)
      }
      await expectNoBucket()
    },
  )
})

const servers = (['mysql', 'postgres'] as const).filter((kind) => testServerConfig(kind) !== null)

describe.each(servers)('read-only commands on a %s database without the catalog tables', (kind) => {
  let fresh: FreshDatabase
  let env: Record<string, string>
  beforeAll(async () => {
    const made = await freshDatabaseUrl(kind)
    if (made === null) throw new Error(`the ${kind} test server disappeared`)
    fresh = made
    env = cleanEnv({
      IMGPIPE_DATABASE_URL: fresh.url,
      IMGPIPE_DATABASE_PASSWORD: fresh.password,
      IMGPIPE_OBJECT_STORE_URL: `file:${path.join(dir, kind, 'objects')}`,
      NODE_NO_WARNINGS: '1',
    })
  })
  afterAll(async () => {
    await fresh.cleanup()
  })

  it.each(named(CATALOG_READERS))('%s: one line naming `imgpipe db create`, non-zero exit, no table created', async (_name, args) => {
    const result = await runCli(args, env, { timeoutMs: 30_000 })
    expectOneLineNamingDbCreate(result)
    expect(reasonLines(result.stderr)[0]).toContain('the catalog tables are missing')
    const catalog = fresh.openCatalog()
    try {
      await expect(catalog.tableCounts()).rejects.toThrow('the catalog tables are missing')
    } finally {
      await catalog.close()
    }
    expect(existsSync(path.join(dir, kind))).toBe(false)
  })
})

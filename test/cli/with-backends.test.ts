import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { withBackends, type BackendsContext } from '../../src/cli/with-backends.js'
import { ClosedError, ConfigError, NotFoundError } from '../../src/core/errors.js'
import { silentLogger } from '../../src/core/logger.js'
import type { Catalog } from '../../src/core/ports/catalog.js'

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'imgpipe-with-backends-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

function context(name: string, objectStore: BackendsContext['config']['objectStore'] = { kind: 'memory' }): BackendsContext {
  return {
    config: {
      database: { kind: 'sqlite', path: path.join(dir, `${name}.db`) },
      objectStore,
      broker: { kind: 'memory' },
      topicPartitions: 1,
    },
    logger: silentLogger,
  }
}

describe('withBackends', () => {
  it('opens only what the command needs, makes it ready when asked, and closes it after', async () => {
    let kept: Catalog | undefined
    const keys = await withBackends(context('ready'), { catalog: 'ready' }, async (backends) => {
      kept = backends.catalog
      expect(await backends.catalog.tableCounts()).toEqual({ image_metadata: 0, image_event: 0, image_event_alert: 0 })
      return Object.keys(backends)
    })
    expect(keys).toEqual(['catalog'])
    await expect(kept?.counts()).rejects.toBeInstanceOf(ClosedError)
  })

  it('ready: schema migrated and store created, all three closed together; open again finds what was written', async () => {
    const ready = context('all', { kind: 'file', dir: path.join(dir, 'objects') })
    const kept = await withBackends(ready, { catalog: 'ready', store: 'ready', bus: 'open' }, async (backends) => {
      expect(await backends.catalog.tableCounts()).toEqual({ image_metadata: 0, image_event: 0, image_event_alert: 0 })
      await backends.store.put('x/y', Buffer.from('z'))
      return backends
    })
    await expect(kept.catalog.ping()).rejects.toMatchObject({ code: 'IMGPIPE_CLOSED' })
    await expect(kept.store.get('x/y')).rejects.toMatchObject({ code: 'IMGPIPE_CLOSED' })
    const again = await withBackends(ready, { store: 'open' }, async ({ store }) => (await store.get('x/y')).toString())
    expect(again).toBe('z')
  })

  it('closes what it opened when the work fails, and reports the work’s error', async () => {
    let kept: Catalog | undefined
    const failure = new Error('work failed')
    await expect(
      withBackends(context('fails'), { catalog: 'create', store: 'open', bus: 'open' }, async ({ catalog }) => {
        kept = catalog
        throw failure
      }),
    ).rejects.toBe(failure)
    await expect(kept?.ping()).rejects.toBeInstanceOf(ClosedError)
  })

  it('reports a store that cannot be opened after the catalog was, as the command’s error', async () => {
    const bad = { kind: 's3', bucket: 'b-1', prefix: '../x/', forcePathStyle: true, checksums: 'when_supported' } as const
    await expect(withBackends(context('half', bad), { catalog: 'ready', store: 'open' }, async () => 'never')).rejects.toBeInstanceOf(
      ConfigError,
    )
  })

  it('`open`: a missing SQLite file is a NotFoundError naming `imgpipe db create` and the setting, and no file is made', async () => {
    const missing = context('missing')
    const error = await withBackends(missing, { catalog: 'open' }, async () => null).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(NotFoundError)
    expect((error as Error).message).toContain('create it with `imgpipe db create`')
    expect((error as Error).message).toContain('IMGPIPE_DATABASE_URL')
    expect(existsSync(path.join(dir, 'missing.db'))).toBe(false)
  })

  it('`open` in a directory that does not exist makes neither the directory nor the file', async () => {
    const nested = path.join(dir, 'not-there', 'deeper')
    const missing: BackendsContext = {
      ...context('unused'),
      config: { ...context('unused').config, database: { kind: 'sqlite', path: path.join(nested, 'x.db') } },
    }
    await expect(withBackends(missing, { catalog: 'open', store: 'open' }, async () => null)).rejects.toBeInstanceOf(NotFoundError)
    expect(existsSync(path.join(dir, 'not-there'))).toBe(false)
  })

  it('`create` makes the SQLite file and its directory, without the tables; `open` then finds the file', async () => {
    const file = path.join(dir, 'made', 'here', 'x.db')
    const base = context('unused')
    const made: BackendsContext = { ...base, config: { ...base.config, database: { kind: 'sqlite', path: file } } }
    const tables = await withBackends(made, { catalog: 'create' }, ({ catalog }) => catalog.tableCounts().catch((error: unknown) => error))
    expect(existsSync(file)).toBe(true)
    expect((tables as Error).message).toContain('the catalog tables are missing, create or migrate them with `imgpipe db create`')
    await withBackends(made, { catalog: 'ready' }, async () => null)
    expect(await withBackends(made, { catalog: 'open' }, ({ catalog }) => catalog.tableCounts())).toEqual({
      image_metadata: 0,
      image_event: 0,
      image_event_alert: 0,
    })
  })

  it('`open` on a directory store that does not exist lists nothing and makes no directory', async () => {
    const objects = path.join(dir, 'no-objects-here')
    const listed = await withBackends(context('store-only', { kind: 'file', dir: objects }), { store: 'open' }, async ({ store }) => {
      const keys: string[] = []
      for await (const object of store.list()) keys.push(object.key)
      return { keys, stat: await store.stat('image/a.png') }
    })
    expect(listed).toEqual({ keys: [], stat: null })
    expect(existsSync(objects)).toBe(false)
  })
})

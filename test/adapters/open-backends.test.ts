import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FsObjectStore } from '../../src/adapters/fs/fs-object-store.js'
import { KafkaBus } from '../../src/adapters/kafka/kafka-bus.js'
import { MemoryBus } from '../../src/adapters/memory/memory-bus.js'
import { MemoryObjectStore } from '../../src/adapters/memory/memory-object-store.js'
import { openBackends, openBus, openCatalog, openObjectStore, openReadyBackends } from '../../src/adapters/open-backends.js'
import { S3ObjectStore } from '../../src/adapters/s3/s3-object-store.js'
import { loadConfig, parseBrokerUrl, parseObjectStoreUrl } from '../../src/config.js'
import { silentLogger } from '../../src/core/logger.js'

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'imgpipe-open-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('open-backends', () => {
  it('picks the adapter each config names, without connecting anywhere', async () => {
    const catalog = await openCatalog({ kind: 'sqlite', path: path.join(dir, 'a.db') })
    expect(catalog.description).toBe(`sqlite:${path.join(dir, 'a.db')}`)
    await catalog.close()

    expect(await openObjectStore({ kind: 'memory' })).toBeInstanceOf(MemoryObjectStore)
    expect(await openObjectStore({ kind: 'file', dir })).toBeInstanceOf(FsObjectStore)
    const s3 = await openObjectStore(parseObjectStoreUrl('s3://bucket-name/p?region=eu-west-1', dir))
    expect(s3).toBeInstanceOf(S3ObjectStore)
    expect(s3.description).toContain('s3://bucket-name/p/')
    await s3.close()

    const memory = await openBus(parseBrokerUrl('memory:'), 2, silentLogger)
    expect([memory instanceof MemoryBus, memory.durable]).toEqual([true, false])
    const kafka = await openBus(parseBrokerUrl('kafka://127.0.0.1:1'), 2, silentLogger)
    expect([kafka instanceof KafkaBus, kafka.durable, kafka.description]).toEqual([true, true, 'kafka://127.0.0.1:1'])
    await Promise.all([memory.close(), kafka.close()])
  })

  it('opens ready backends: schema migrated and store created, closed together', async () => {
    const config = loadConfig({
      IMGPIPE_DATABASE_URL: `sqlite:${path.join(dir, 'b.db')}`,
      IMGPIPE_OBJECT_STORE_URL: `file:${path.join(dir, 'objects')}`,
    })
    const backends = await openReadyBackends(config, silentLogger)
    expect(await backends.catalog.tableCounts()).toEqual({ image_metadata: 0, image_event: 0, image_event_alert: 0 })
    await backends.store.put('x/y', Buffer.from('z'))
    await backends.close()
    await expect(backends.catalog.ping()).rejects.toMatchObject({ code: 'IMGPIPE_CLOSED' })
    await expect(backends.store.get('x/y')).rejects.toMatchObject({ code: 'IMGPIPE_CLOSED' })

    const again = await openBackends(config, silentLogger)
    expect((await again.store.get('x/y')).toString()).toBe('z')
    await again.close()
  })
})

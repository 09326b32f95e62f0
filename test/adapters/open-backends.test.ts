import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FsObjectStore } from '../../src/adapters/fs/fs-object-store.js'
import { KafkaBus } from '../../src/adapters/kafka/kafka-bus.js'
import { MemoryBus } from '../../src/adapters/memory/memory-bus.js'
import { MemoryObjectStore } from '../../src/adapters/memory/memory-object-store.js'
import { openBus, openCatalog, openObjectStore } from '../../src/adapters/open-backends.js'
import { S3ObjectStore } from '../../src/adapters/s3/s3-object-store.js'
import { parseBrokerUrl, parseObjectStoreUrl } from '../support/setting-parsers.js'
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
})

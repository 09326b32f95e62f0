import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  describeBus,
  describeCatalog,
  describeObjectStore,
  isCatalogMissing,
  isObjectStoreMissing,
  removeEmptyPrefix,
} from '../../src/adapters/backend-options.js'
import { FsObjectStore } from '../../src/adapters/fs/fs-object-store.js'
import { KafkaBus } from '../../src/adapters/kafka/kafka-bus.js'
import { MemoryBus } from '../../src/adapters/memory/memory-bus.js'
import { MemoryObjectStore } from '../../src/adapters/memory/memory-object-store.js'
import { S3ObjectStore } from '../../src/adapters/s3/s3-object-store.js'
import { openSqliteCatalog } from '../../src/adapters/sqlite/sqlite-catalog.js'
import { silentLogger } from '../../src/core/logger.js'

// Opening none of these connects anywhere: the adapters connect on first use.
describe('where the data lives is described once, by the adapter', () => {
  it('an opened adapter describes itself as the description of its options does', async () => {
    const dir = path.resolve('/srv/imgpipe-objects')
    const fs = new FsObjectStore(dir)
    expect(fs.description).toBe(describeObjectStore({ kind: 'file', dir }))
    expect(new MemoryObjectStore().description).toBe(describeObjectStore({ kind: 'memory' }))
    const s3 = {
      bucket: 'pics',
      prefix: 'night/',
      endpoint: 'http://127.0.0.1:9000',
      forcePathStyle: true,
      checksums: 'when_supported',
    } as const
    expect(new S3ObjectStore(s3).description).toBe(describeObjectStore({ kind: 's3', ...s3 }))
    const bus = new MemoryBus({ defaultPartitions: 1 })
    expect(bus.description).toBe(describeBus({ kind: 'memory' }))
    await bus.close()
    const kafka = {
      brokers: ['k1:9096', 'k2:9096'],
      clientId: 'imgpipe',
      tls: {},
      sasl: { mechanism: 'PLAIN', username: 'app', password: 'pw-9' },
    } as const
    const kafkaBus = new KafkaBus({ ...kafka, brokers: [...kafka.brokers], defaultPartitions: 1, logger: silentLogger })
    expect(kafkaBus.description).toBe(describeBus({ kind: 'kafka', ...kafka, brokers: [...kafka.brokers] }))
    expect(kafkaBus.description).toBe('kafkas://k1:9096,k2:9096 (SASL PLAIN as app)')
    await kafkaBus.close()
    const catalog = openSqliteCatalog({ path: ':memory:' })
    expect(catalog.description).toBe(describeCatalog({ kind: 'sqlite', path: ':memory:' }))
    await catalog.close()
  })

  it('names database servers without their password', () => {
    const server = { host: 'db', port: 5432, user: 'app', database: 'imgpipe', password: 'pw-7', ssl: true }
    expect(describeCatalog({ kind: 'postgres', ...server })).toBe('postgres://app@db:5432/imgpipe')
    expect(describeCatalog({ kind: 'mysql', ...server, port: 3306 })).toBe('mysql://app@db:3306/imgpipe')
  })

  it('redacts what looks like a secret in an S3 endpoint, in status and in the adapter alike', () => {
    const options = {
      bucket: 'pics',
      prefix: '',
      endpoint: 'http://h:9000/?token=tok-5',
      forcePathStyle: true,
      checksums: 'when_supported',
    } as const
    const text = describeObjectStore({ kind: 's3', ...options })
    expect(text).toBe('s3://pics/ (endpoint http://h:9000/?token=***)')
    expect(new S3ObjectStore(options).description).toBe(text)
  })
})

describe('adapter facts a command asks', () => {
  it('knows a SQLite file or store directory that is not there, and never claims so of a server', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'imgpipe-facts-'))
    try {
      expect(isCatalogMissing({ kind: 'sqlite', path: path.join(dir, 'none.db') })).toBe(true)
      expect(isCatalogMissing({ kind: 'sqlite', path: ':memory:' })).toBe(false)
      const server = { host: 'db', port: 5432, user: 'app', database: 'imgpipe', password: undefined, ssl: false }
      expect(isCatalogMissing({ kind: 'postgres', ...server })).toBe(false)
      expect(isObjectStoreMissing({ kind: 'file', dir: path.join(dir, 'objects') })).toBe(true)
      expect(isObjectStoreMissing({ kind: 'file', dir })).toBe(false)
      expect(isObjectStoreMissing({ kind: 'memory' })).toBe(false)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('removes the empty directory a deleted prefix leaves in a directory store, and keeps one that holds objects', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'imgpipe-prefix-'))
    try {
      const store = new FsObjectStore(dir)
      await store.put('probe/a', new Uint8Array([1]))
      await store.put('kept/b', new Uint8Array([2]))
      await store.delete(['probe/a'])
      await removeEmptyPrefix({ kind: 'file', dir }, 'probe/')
      await removeEmptyPrefix({ kind: 'file', dir }, 'kept/')
      expect(existsSync(path.join(dir, 'probe'))).toBe(false)
      expect(await store.get('kept/b')).toEqual(Buffer.from([2]))
      await removeEmptyPrefix({ kind: 'memory' }, 'probe/')
      await store.close()
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})

/**
 * Object stores for tests: every backend gives a fresh, empty, ready store and a cleanup that removes
 * what the test wrote. The contract suite runs against each; end-to-end suites reuse them, and use
 * `freshStoreUrl` when they spawn the CLI and need a store URL instead of an instance.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { FsObjectStore } from '../../src/adapters/fs/fs-object-store.js'
import { MemoryObjectStore } from '../../src/adapters/memory/memory-object-store.js'
import { S3ObjectStore } from '../../src/adapters/s3/s3-object-store.js'
import type { S3ObjectStoreOptions } from '../../src/adapters/s3/s3-options.js'
import { parseObjectStoreUrl } from './setting-parsers.js'
import type { ObjectStoreOptions } from '../../src/adapters/backend-options.js'
import type { ObjectStore } from '../../src/core/ports/object-store.js'
import type { OpenedStore } from '../contracts/object-store-contract.js'
import { serviceUrl, TEST_ENV, uniqueName } from './integration.js'

export type { OpenedStore }

export interface StoreBackend {
  name: 'directory' | 'memory' | 's3'
  /** A fresh, empty store on which `ensureReady` already ran. */
  open(): Promise<OpenedStore>
}

type S3Config = Extract<ObjectStoreOptions, { kind: 's3' }>

export const directoryBackend: StoreBackend = {
  name: 'directory',
  async open() {
    const dir = await mkdtemp(path.join(tmpdir(), 'imgpipe-objects-'))
    // A subdirectory that does not exist yet: ensureReady must create it.
    const store = new FsObjectStore(path.join(dir, 'objects'))
    await store.ensureReady()
    return {
      store,
      async cleanup() {
        await store.close()
        await rm(dir, { recursive: true, force: true })
      },
    }
  },
}

export const memoryBackend: StoreBackend = {
  name: 'memory',
  async open() {
    const store = new MemoryObjectStore()
    await store.ensureReady()
    return { store, cleanup: () => store.close() }
  },
}

let s3Checked = false
let s3Url: string | null = null

/**
 * IMGPIPE_TEST_S3_URL (e.g. `s3://imgpipe-test?endpoint=http://127.0.0.1:9000&forcePathStyle=true`), or
 * null with the skip reason logged; under CI=true a missing URL throws.
 */
export function s3TestUrl(): string | null {
  if (!s3Checked) {
    s3Url = serviceUrl(TEST_ENV.s3Url, 'S3')
    s3Checked = true
    // Tests only talk to loopback servers: never let the credential chain probe the instance-metadata address.
    if (s3Url !== null) process.env['AWS_EC2_METADATA_DISABLED'] ??= 'true'
  }
  return s3Url
}

/** The test S3 store's config with a prefix nobody else uses, inside the test URL's prefix. */
export function uniqueS3Config(url: string, label = 'test'): S3Config {
  const config = parseObjectStoreUrl(url, process.cwd())
  if (config.kind !== 's3') throw new Error(`${TEST_ENV.s3Url} must be an s3:// URL`)
  return { ...config, prefix: `${config.prefix}${uniqueName(`${label}-`)}/` }
}

/** Deletes every object under the config's prefix, with a store of its own (the test's may be closed). */
export async function deleteS3Prefix(config: S3ObjectStoreOptions): Promise<void> {
  const store = new S3ObjectStore(config)
  try {
    const keys: string[] = []
    for await (const item of store.list()) keys.push(item.key)
    await store.delete(keys)
  } finally {
    await store.close()
  }
}

/** Null when IMGPIPE_TEST_S3_URL is not set (the suite should skip then). */
export function s3Backend(): StoreBackend | null {
  const url = s3TestUrl()
  if (url === null) return null
  return {
    name: 's3',
    async open() {
      const config = uniqueS3Config(url)
      const store = new S3ObjectStore(config)
      await store.ensureReady()
      return {
        store,
        async cleanup() {
          await store.close()
          await deleteS3Prefix(config)
        },
      }
    },
  }
}

/** The backends that can run here: directory and memory always, S3 when its test server is configured. */
export function storeBackends(): StoreBackend[] {
  const s3 = s3Backend()
  return s3 === null ? [directoryBackend, memoryBackend] : [directoryBackend, memoryBackend, s3]
}

/** A store URL for a spawned CLI (IMGPIPE_OBJECT_STORE_URL) and how to remove what was written there. */
export interface FreshStoreUrl {
  url: string
  /** Opens a store on the same location, to check what the CLI wrote. Close it yourself. */
  openStore(): ObjectStore
  cleanup(): Promise<void>
}

/**
 * A fresh object store location for CLI tests: `directory` is a new temp dir (`file:` URL), `s3` a
 * unique prefix in the test bucket (null when IMGPIPE_TEST_S3_URL is not set).
 */
export async function freshStoreUrl(kind: 'directory' | 's3'): Promise<FreshStoreUrl | null> {
  if (kind === 'directory') {
    const dir = await mkdtemp(path.join(tmpdir(), 'imgpipe-objects-'))
    const objects = path.join(dir, 'objects')
    return {
      url: `file:${objects}`,
      openStore: () => new FsObjectStore(objects),
      cleanup: () => rm(dir, { recursive: true, force: true }),
    }
  }
  const base = s3TestUrl()
  if (base === null) return null
  const config = uniqueS3Config(base, 'cli')
  const ready = new S3ObjectStore(config)
  try {
    await ready.ensureReady()
  } finally {
    await ready.close()
  }
  return {
    url: s3StoreUrl(config),
    openStore: () => new S3ObjectStore(config),
    cleanup: () => deleteS3Prefix(config),
  }
}

/** The inverse of parseObjectStoreUrl for the s3 variant. */
export function s3StoreUrl(config: S3Config): string {
  const params = new URLSearchParams()
  if (config.endpoint !== undefined) params.set('endpoint', config.endpoint)
  if (config.region !== undefined) params.set('region', config.region)
  if (config.forcePathStyle) params.set('forcePathStyle', 'true')
  if (config.checksums !== 'when_supported') params.set('checksums', config.checksums)
  const prefix = config.prefix.split('/').map(encodeURIComponent).join('/')
  const query = params.toString()
  return `s3://${config.bucket}/${prefix}${query === '' ? '' : `?${query}`}`
}

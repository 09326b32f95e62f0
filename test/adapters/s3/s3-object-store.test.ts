import { DeleteBucketCommand, S3Client } from '@aws-sdk/client-s3'
import { afterEach, describe, expect, it } from 'vitest'
import { S3ObjectStore } from '../../../src/adapters/s3/s3-object-store.js'
import type { S3ObjectStoreOptions } from '../../../src/adapters/s3/s3-options.js'
import { parseObjectStoreUrl } from '../../support/setting-parsers.js'
import type { ObjectStore } from '../../../src/core/ports/object-store.js'
import { objectStoreContract } from '../../contracts/object-store-contract.js'
import { uniqueName } from '../../support/integration.js'
import { deleteS3Prefix, s3Backend, s3StoreUrl, s3TestUrl, uniqueS3Config } from '../../support/store-backends.js'

async function collectKeys(store: ObjectStore, prefix?: string): Promise<string[]> {
  const keys: string[] = []
  for await (const item of store.list(prefix)) keys.push(item.key)
  return keys
}

/** Runs `body` with the AWS environment changed, restoring it afterwards (the chain reads it per client). */
async function withEnv<T>(changes: Record<string, string | undefined>, body: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(changes).map((name) => [name, process.env[name]]))
  const apply = (values: Record<string, string | undefined>): void => {
    for (const [name, value] of Object.entries(values)) {
      if (value === undefined) delete process.env[name]
      else process.env[name] = value
    }
  }
  apply(changes)
  try {
    return await body()
  } finally {
    apply(saved)
  }
}

// Needs no server: what the store reveals about itself.
describe('S3ObjectStore without a server', () => {
  it('describes bucket, prefix and endpoint, never credentials', async () => {
    const store = new S3ObjectStore({
      bucket: 'photos',
      prefix: 'pipeline/',
      endpoint: 'http://user:hunter2@127.0.0.1:9',
      region: 'eu-west-1',
      forcePathStyle: true,
      checksums: 'when_required',
    })
    expect(store.description).toBe('s3://photos/pipeline/ (endpoint http://user:***@127.0.0.1:9)')
    expect(store.description).not.toContain('hunter2')
    await store.close()
  })

  it('adds the missing slash to a prefix and rejects an invalid one as a config error', async () => {
    const base = { bucket: 'photos', forcePathStyle: false, checksums: 'when_supported', region: 'us-east-1' } as const
    const store = new S3ObjectStore({ ...base, prefix: 'a/b' })
    expect(store.description).toBe('s3://photos/a/b/')
    await store.close()
    expect(() => new S3ObjectStore({ ...base, prefix: '../up/' })).toThrow(expect.objectContaining({ code: 'IMGPIPE_CONFIG_INVALID' }))
  })

  it('reports an endpoint that refuses connections as a retryable StoreUnavailableError', async () => {
    // Port 9 on loopback: nothing listens there, so the connection is refused at once.
    const store = new S3ObjectStore({
      bucket: 'photos',
      prefix: '',
      endpoint: 'http://127.0.0.1:9',
      forcePathStyle: true,
      checksums: 'when_supported',
    })
    await withEnv({ AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_EC2_METADATA_DISABLED: 'true' }, async () => {
      await expect(store.get('a.jpg')).rejects.toMatchObject({
        code: 'IMGPIPE_STORE_UNAVAILABLE',
        canRetry: true,
        message: expect.stringContaining('ECONNREFUSED'),
      })
    })
    await store.close()
  })
})

const backend = s3Backend()

describe.skipIf(backend === null)('S3ObjectStore against IMGPIPE_TEST_S3_URL', () => {
  if (backend !== null) objectStoreContract('s3', backend.open)

  const url = s3TestUrl() ?? 's3://unused'
  const opened: Array<{ options: S3ObjectStoreOptions; store: S3ObjectStore }> = []
  const open = (options: S3ObjectStoreOptions): S3ObjectStore => {
    const store = new S3ObjectStore(options)
    opened.push({ options, store })
    return store
  }

  afterEach(async () => {
    for (const { options, store } of opened.splice(0)) {
      await store.close()
      await deleteS3Prefix(options)
    }
  })

  it('gives a non-retryable StoreUnavailableError naming the credential chain for wrong credentials', async () => {
    const store = open(uniqueS3Config(url, 'creds'))
    const secret = 'definitely-not-the-secret-key-0123456789'
    await withEnv(
      { AWS_ACCESS_KEY_ID: 'wrong-key', AWS_SECRET_ACCESS_KEY: secret, AWS_SESSION_TOKEN: undefined, AWS_PROFILE: undefined },
      async () => {
        for (const attempt of [() => store.put('a.jpg', Buffer.from('a')), () => store.get('a.jpg'), () => collectKeys(store)]) {
          const error = await attempt().then(
            () => null,
            (caught: unknown) => caught as Error & { code: string; canRetry: boolean },
          )
          expect(error).toMatchObject({ name: 'StoreUnavailableError', code: 'IMGPIPE_STORE_UNAVAILABLE', canRetry: false })
          expect(error?.message).toMatch(/credentials/)
          expect(error?.message).toMatch(/AWS_ACCESS_KEY_ID/)
          // Neither the message nor the cause carries the secret or the raw signature details.
          expect(JSON.stringify({ message: error?.message, cause: String(error?.cause) })).not.toContain(secret)
          expect(Object.keys(error?.cause ?? {})).not.toContain('StringToSign')
        }
      },
    )
  })

  it('keeps prefixes apart: each store sees only its own keys, without the prefix', async () => {
    const one = open(uniqueS3Config(url, 'iso-a'))
    const two = open(uniqueS3Config(url, 'iso-b'))
    await one.put('image/s/image_00001.jpg', Buffer.from('one'))
    await two.put('image/s/image_00001.jpg', Buffer.from('two'))
    await two.put('image/s/image_00002.jpg', Buffer.from('two-2'))
    expect(await collectKeys(one)).toEqual(['image/s/image_00001.jpg'])
    expect(await collectKeys(two)).toEqual(['image/s/image_00001.jpg', 'image/s/image_00002.jpg'])
    expect((await one.get('image/s/image_00001.jpg')).toString()).toBe('one')
    expect(await one.stat('image/s/image_00002.jpg')).toBeNull()
    await one.delete(['image/s/image_00001.jpg', 'image/s/image_00002.jpg'])
    expect((await two.get('image/s/image_00002.jpg')).toString()).toBe('two-2')
    expect(await collectKeys(two)).toHaveLength(2)
    // A prefix that is a string prefix of another ("iso-a" vs "iso-ab") must not leak either.
    const options = uniqueS3Config(url, 'nest')
    const outer = open({ ...options, prefix: options.prefix.replace(/\/$/, 'x/') })
    const inner = open(options)
    await outer.put('a.bin', Buffer.from('outer'))
    expect(await collectKeys(inner)).toEqual([])
  })

  it('lists past one page and deletes in batches of 1000', async () => {
    const store = open(uniqueS3Config(url, 'pages'))
    const keys = Array.from({ length: 1010 }, (_, index) => `many/${String(index).padStart(5, '0')}.bin`)
    for (let index = 0; index < keys.length; index += 32) {
      await Promise.all(keys.slice(index, index + 32).map((key) => store.put(key, Buffer.from(key))))
    }
    const listed: Array<{ key: string; size: number }> = []
    for await (const item of store.list('many/')) listed.push({ key: item.key, size: item.size })
    expect(listed.map((item) => item.key)).toEqual(keys)
    expect(listed.every((item) => item.size === Buffer.byteLength(item.key))).toBe(true)
    await store.delete([...keys, 'many/absent.bin'])
    expect(await collectKeys(store)).toEqual([])
  })

  it('ensureReady creates a missing bucket once and tolerates it existing', async () => {
    const bucket = uniqueName('imgpipe-ready-')
    const options = { ...uniqueS3Config(url), bucket, prefix: '' }
    const store = new S3ObjectStore(options)
    const missing = await store.get('a.bin').then(
      () => null,
      (caught: unknown) => caught,
    )
    // GetObject on a missing bucket: NoSuchBucket, a configuration problem retrying cannot fix.
    expect(missing).toMatchObject({ code: 'IMGPIPE_STORE_UNAVAILABLE', canRetry: false, message: expect.stringContaining(bucket) })
    try {
      await store.ensureReady()
      await store.ensureReady()
      const second = new S3ObjectStore(options)
      await second.ensureReady()
      await second.close()
      await store.put('a.bin', Buffer.from('a'))
      expect(await collectKeys(store)).toEqual(['a.bin'])
    } finally {
      await store.delete(['a.bin'])
      await store.close()
      const client = new S3Client({
        endpoint: options.endpoint,
        region: options.region ?? 'us-east-1',
        forcePathStyle: options.forcePathStyle,
      })
      await client.send(new DeleteBucketCommand({ Bucket: bucket })).catch(() => undefined)
      client.destroy()
    }
  })

  it('works with checksums=when_required (for servers that reject the default CRC headers)', async () => {
    const store = open({ ...uniqueS3Config(url, 'crc'), checksums: 'when_required' })
    const bytes = Buffer.from('checksum options')
    await store.put('image/a.jpg', bytes)
    expect((await store.get('image/a.jpg')).equals(bytes)).toBe(true)
    await store.delete(['image/a.jpg'])
    expect(await collectKeys(store)).toEqual([])
  })

  it('falls back to us-east-1 for a custom endpoint when the chain has no region', async () => {
    const store = open({ ...uniqueS3Config(url, 'region'), region: undefined })
    await withEnv({ AWS_REGION: undefined, AWS_DEFAULT_REGION: undefined, AWS_PROFILE: undefined }, async () => {
      await store.put('a.bin', Buffer.from('a'))
      expect((await store.get('a.bin')).toString()).toBe('a')
    })
  })

  it('builds store URLs for spawned CLIs that parse back to the same config', () => {
    const config = uniqueS3Config(url, 'url')
    expect(parseObjectStoreUrl(s3StoreUrl(config), process.cwd())).toEqual(config)
  })
})

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, it, expect } from 'vitest'
import { ConfigError } from '../src/core/errors.js'
import { ENV, SETTINGS } from '../src/config/settings.js'
import { describeBus, describeCatalog, describeObjectStore } from '../src/adapters/backend-options.js'
import { loadConfig, type ConfigOverrides } from '../src/config/load-config.js'
import { parseBrokerUrl, parseDatabaseUrl, parseObjectStoreUrl } from './support/setting-parsers.js'
import { redactUrl } from '../src/core/redact-url.js'
import { topicName } from '../src/core/messages.js'

const CWD = path.resolve('/srv/imgpipe-test-cwd')
const SECRET = 'S3cr3t-pa55'

function configError(run: () => unknown): ConfigError {
  try {
    run()
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError)
    const configError = error as ConfigError
    expect(configError.code).toBe('IMGPIPE_CONFIG_INVALID')
    expect(configError.canRetry).toBe(false)
    expect(configError.message).not.toMatch(/[\r\n]/)
    return configError
  }
  throw new Error('expected a ConfigError')
}

function load(env: Record<string, string | undefined> = {}, overrides: ConfigOverrides = {}): ReturnType<typeof loadConfig> {
  return loadConfig(env, overrides, CWD)
}

describe('loadConfig defaults', () => {
  it('resolves IMGPIPE_ANALYSIS_DIR against the cwd (unset: null), the flag overriding it', () => {
    expect(loadConfig({ IMGPIPE_ANALYSIS_DIR: 'shared/analysis' }, {}, '/srv/imgpipe').analysis.analysisDir).toBe(
      '/srv/imgpipe/shared/analysis',
    )
    expect(loadConfig({ IMGPIPE_ANALYSIS_DIR: ' ' }, {}, '/srv').analysis.analysisDir).toBeNull()
    expect(loadConfig({ IMGPIPE_ANALYSIS_DIR: '/a' }, { analysisDir: '/b' }, '/srv').analysis.analysisDir).toBe('/b')
  })

  it('uses sqlite and files under the cwd and the in-memory broker', () => {
    const config = load()
    expect(config.database).toEqual({ kind: 'sqlite', path: path.join(CWD, 'data', 'imgpipe.db') })
    expect(config.objectStore).toEqual({ kind: 'file', dir: path.join(CWD, 'data', 'objects') })
    expect(config.broker).toEqual({ kind: 'memory' })
    expect(config.topicPartitions).toBe(3)
    expect(config.topicPrefix).toBe('')
    expect(config.logLevel).toBe('warn')
    expect(config.analysis).toEqual({
      eventThreshold: 0.01,
      pixelTolerance: 48,
      maxImagePixels: 50_000_000,
      maxImageBytes: 100 * 1024 * 1024,
      analysisDir: null,
      decodeCacheBytes: 256 * 1024 * 1024,
      science: { referenceFrames: 3, fakesPerImage: 20, detectionSnr: 5, realBogusMin: 0.5 },
    })
  })

  it('resolves the defaults against the cwd argument, not process.cwd()', () => {
    const other = path.resolve('/elsewhere')
    const config = loadConfig({}, {}, other)
    expect(config.database).toEqual({ kind: 'sqlite', path: path.join(other, 'data', 'imgpipe.db') })
    expect(config.objectStore).toEqual({ kind: 'file', dir: path.join(other, 'data', 'objects') })
  })

  it('treats empty and blank env values as unset', () => {
    const config = load({ IMGPIPE_DATABASE_URL: '', IMGPIPE_BROKER_URL: '   ', IMGPIPE_EVENT_THRESHOLD: ' ' })
    expect(config.database.kind).toBe('sqlite')
    expect(config.broker).toEqual({ kind: 'memory' })
    expect(config.analysis.eventThreshold).toBe(SETTINGS.eventThreshold.default)
  })

  it('trims env values', () => {
    expect(load({ IMGPIPE_BROKER_URL: '  kafka://h:1 \n' }).broker).toEqual({ kind: 'kafka', brokers: ['h:1'], clientId: 'imgpipe' })
  })

  it('reads every env variable', () => {
    const config = load({
      IMGPIPE_DATABASE_URL: 'sqlite::memory:',
      IMGPIPE_OBJECT_STORE_URL: 'memory:',
      IMGPIPE_BROKER_URL: 'kafka://k:9092',
      IMGPIPE_TOPIC_PARTITIONS: '12',
      IMGPIPE_TOPIC_PREFIX: 'test.run-1_',
      IMGPIPE_EVENT_THRESHOLD: '0.25',
      IMGPIPE_PIXEL_TOLERANCE: '10',
      IMGPIPE_MAX_IMAGE_PIXELS: '1000',
      IMGPIPE_MAX_IMAGE_BYTES: '2048',
      IMGPIPE_REFERENCE_FRAMES: '5',
      IMGPIPE_FAKES_PER_IMAGE: '10',
      IMGPIPE_DETECTION_SNR: '6',
      IMGPIPE_REAL_BOGUS_MIN: '0.7',
      IMGPIPE_CONSUMER_BATCH_SIZE: '16',
      IMGPIPE_CONSUMER_CONCURRENCY: '3',
      IMGPIPE_RECEIVE_BATCH_SIZE: '8',
      IMGPIPE_RECEIVE_BATCH_BYTES: '1048576',
      IMGPIPE_RECEIVE_LINGER_MS: '0',
      IMGPIPE_RECEIVE_CONCURRENCY: '4',
      IMGPIPE_LOG_LEVEL: 'debug',
      IMGPIPE_METRICS_PORT: '9464',
      IMGPIPE_METRICS_HOST: '0.0.0.0',
      IMGPIPE_PUBLIC_URL: 'https://viewer.example.org/imgpipe/',
      IMGPIPE_DELIVERY_ALLOW_PRIVATE: 'true',
      IMGPIPE_DELIVERY_CONCURRENCY: '8',
      IMGPIPE_DELIVERY_TIMEOUT_MS: '3000',
      IMGPIPE_DELIVERY_MAX_ATTEMPTS: '5',
      IMGPIPE_DELIVERY_BACKOFF_MS: '500',
      IMGPIPE_DELIVERY_BACKOFF_MAX_MS: '60000',
      IMGPIPE_DELIVERY_POLL_MS: '250',
      IMGPIPE_SMTP_URL: 'smtp://mail.example.org:587?requireTLS=true',
      IMGPIPE_SMTP_FROM: 'alerts@example.org',
      IMGPIPE_SMTP_USERNAME: 'alerts',
      IMGPIPE_SMTP_PASSWORD: ' pw ',
      IMGPIPE_TIME_ZONE: 'Asia/Kolkata',
      IMGPIPE_SCHEMA_REGISTRY_URL: 'https://alerts@registry.example.org/apis/ccompat/v7',
      IMGPIPE_SCHEMA_REGISTRY_PASSWORD: ' rpw ',
    })
    expect(config).toEqual({
      database: { kind: 'sqlite', path: ':memory:' },
      objectStore: { kind: 'memory' },
      broker: { kind: 'kafka', brokers: ['k:9092'], clientId: 'imgpipe' },
      schemaRegistry: { url: 'https://alerts@registry.example.org/apis/ccompat/v7', password: ' rpw ' },
      topicPartitions: 12,
      topicPrefix: 'test.run-1_',
      analysis: {
        eventThreshold: 0.25,
        pixelTolerance: 10,
        maxImagePixels: 1000,
        maxImageBytes: 2048,
        analysisDir: null,
        decodeCacheBytes: 256 * 1024 * 1024,
        science: { referenceFrames: 5, fakesPerImage: 10, detectionSnr: 6, realBogusMin: 0.7 },
      },
      consumer: { batchSize: 16, concurrency: 3 },
      receive: { batchSize: 8, batchBytes: 1048576, lingerMs: 0, putConcurrency: 4 },
      logLevel: 'debug',
      metrics: { port: 9464, host: '0.0.0.0' },
      delivery: {
        publicUrl: 'https://viewer.example.org/imgpipe/',
        allowPrivate: true,
        concurrency: 8,
        perSubscription: 4,
        timeoutMs: 3000,
        maxAttempts: 5,
        backoffBaseMs: 500,
        backoffMaxMs: 60000,
        pollMs: 250,
        smtp: {
          url: 'smtp://mail.example.org:587?requireTLS=true',
          from: 'alerts@example.org',
          username: 'alerts',
          password: ' pw ',
          timeZone: 'Asia/Kolkata',
        },
      },
    })
  })

  it('refuses delivery settings that would put credentials in a URL or that are not URLs', () => {
    expect(() => load({ IMGPIPE_SMTP_URL: 'smtp://user:pw@mail.example.org' })).toThrow(/IMGPIPE_SMTP_URL=.*user:\*\*\*@/)
    expect(() => load({ IMGPIPE_SMTP_URL: 'http://mail.example.org' })).toThrow(/IMGPIPE_SMTP_URL/)
    expect(() => load({ IMGPIPE_PUBLIC_URL: 'viewer.example.org' })).toThrow(/IMGPIPE_PUBLIC_URL/)
    expect(() => load({ IMGPIPE_DELIVERY_ALLOW_PRIVATE: 'maybe' })).toThrow(/IMGPIPE_DELIVERY_ALLOW_PRIVATE/)
    expect(() => load({ IMGPIPE_SCHEMA_REGISTRY_URL: 'http://u:secret@registry:8081' })).toThrow(
      /IMGPIPE_SCHEMA_REGISTRY_URL=.*u:\*\*\*@.*IMGPIPE_SCHEMA_REGISTRY_PASSWORD/,
    )
    expect(() => load({ IMGPIPE_SCHEMA_REGISTRY_URL: 'registry:8081' })).toThrow(/IMGPIPE_SCHEMA_REGISTRY_URL.*http/)
    expect(load({}).schemaRegistry).toBeNull()
    expect(load({}).delivery).toMatchObject({ publicUrl: undefined, allowPrivate: false, smtp: undefined, maxAttempts: 12 })
  })

  it('holds a worker to 4 sends per subscription, fewer when the whole worker has fewer', () => {
    expect(load({}).delivery).toMatchObject({ concurrency: 16, perSubscription: 4 })
    expect(load({ IMGPIPE_DELIVERY_CONCURRENCY: '2' }).delivery).toMatchObject({ concurrency: 2, perSubscription: 2 })
    expect(load({ IMGPIPE_DELIVERY_CONCURRENCY: '1' }).delivery.perSubscription).toBe(1)
  })

  it("takes e-mail times in the machine's zone unless IMGPIPE_TIME_ZONE names another, and refuses unknown zones", () => {
    const smtp = { IMGPIPE_SMTP_URL: 'smtp://mail.example.org:587' }
    expect(load(smtp).delivery.smtp?.timeZone).toBe(new Intl.DateTimeFormat().resolvedOptions().timeZone)
    expect(load({ ...smtp, IMGPIPE_TIME_ZONE: 'Europe/Berlin' }).delivery.smtp?.timeZone).toBe('Europe/Berlin')
    expect(() => load({ ...smtp, IMGPIPE_TIME_ZONE: 'Mars/Olympus_Mons' })).toThrow(/IMGPIPE_TIME_ZONE="Mars\/Olympus_Mons" is invalid/)
  })
})

describe('metrics endpoint settings', () => {
  it('has no endpoint by default, listens on loopback, and takes the flag over the env variable', () => {
    expect(load({}).metrics).toEqual({ port: null, host: '127.0.0.1' })
    expect(load({ IMGPIPE_METRICS_PORT: '9000' }, { metricsPort: '0' }).metrics.port).toBe(0)
  })

  it.each(['-1', '65536', 'http', '1.5'])('rejects port %j naming IMGPIPE_METRICS_PORT', (port) => {
    expect(configError(() => load({ IMGPIPE_METRICS_PORT: port })).message).toContain('IMGPIPE_METRICS_PORT')
  })
})

describe('flags override env', () => {
  it('takes each flag over its env variable', () => {
    const env = {
      IMGPIPE_DATABASE_URL: 'sqlite:env.db',
      IMGPIPE_OBJECT_STORE_URL: 'file:env-objects',
      IMGPIPE_BROKER_URL: 'kafka://env:1',
      IMGPIPE_TOPIC_PARTITIONS: '5',
      IMGPIPE_TOPIC_PREFIX: 'env_',
      IMGPIPE_EVENT_THRESHOLD: '0.5',
      IMGPIPE_LOG_LEVEL: 'debug',
    }
    const config = load(env, {
      databaseUrl: 'sqlite:flag.db',
      objectStoreUrl: 'memory:',
      brokerUrl: 'memory:',
      topicPartitions: '7',
      topicPrefix: 'flag_',
      eventThreshold: '0.75',
      logLevel: 'warn',
    })
    expect(config.database).toEqual({ kind: 'sqlite', path: path.join(CWD, 'flag.db') })
    expect(config.objectStore).toEqual({ kind: 'memory' })
    expect(config.broker).toEqual({ kind: 'memory' })
    expect(config.topicPartitions).toBe(7)
    expect(config.topicPrefix).toBe('flag_')
    expect(config.analysis.eventThreshold).toBe(0.75)
    expect(config.logLevel).toBe('warn')
  })

  it('falls back to env where a flag is undefined', () => {
    const config = load({ IMGPIPE_TOPIC_PARTITIONS: '5' }, { topicPartitions: undefined, logLevel: 'error' })
    expect(config.topicPartitions).toBe(5)
    expect(config.logLevel).toBe('error')
  })

  it('an empty prefix flag clears the env prefix', () => {
    expect(load({ IMGPIPE_TOPIC_PREFIX: 'env_' }, { topicPrefix: '' }).topicPrefix).toBe('')
  })

  it('a bad flag value is rejected naming the env variable it stands for', () => {
    const error = configError(() => load({ IMGPIPE_TOPIC_PARTITIONS: '5' }, { topicPartitions: 'many' }))
    expect(error.message).toContain('IMGPIPE_TOPIC_PARTITIONS')
  })

  it.each([
    ['topicPartitions', 'IMGPIPE_TOPIC_PARTITIONS'],
    ['eventThreshold', 'IMGPIPE_EVENT_THRESHOLD'],
    ['pixelTolerance', 'IMGPIPE_PIXEL_TOLERANCE'],
    ['maxImagePixels', 'IMGPIPE_MAX_IMAGE_PIXELS'],
    ['maxImageBytes', 'IMGPIPE_MAX_IMAGE_BYTES'],
  ] as const)('an empty %s flag is rejected, not read as 0', (key, variable) => {
    expect(configError(() => load({}, { [key]: '' })).message).toContain(variable)
  })
})

describe('database URL', () => {
  it.each([
    ['sqlite:/abs/x.db', path.resolve('/abs/x.db')],
    ['sqlite:///abs/x.db', path.resolve('/abs/x.db')],
    ['sqlite:rel.db', path.join(CWD, 'rel.db')],
    ['sqlite:sub/dir/rel.db', path.join(CWD, 'sub', 'dir', 'rel.db')],
    ['sqlite:../up.db', path.resolve(CWD, '..', 'up.db')],
    ['sqlite:with%20space.db', path.join(CWD, 'with space.db')],
    ['sqlite:', path.join(CWD, 'data', 'imgpipe.db')],
  ])('%s -> %s', (url, expected) => {
    expect(parseDatabaseUrl(url, CWD)).toEqual({ kind: 'sqlite', path: expected })
  })

  it('sqlite::memory: is an in-memory database', () => {
    expect(parseDatabaseUrl('sqlite::memory:', CWD)).toEqual({ kind: 'sqlite', path: ':memory:' })
    expect(load({ IMGPIPE_DATABASE_URL: 'sqlite::memory:' }).database).toEqual({ kind: 'sqlite', path: ':memory:' })
  })

  it('resolves relative sqlite paths against the cwd argument', () => {
    expect(loadConfig({ IMGPIPE_DATABASE_URL: 'sqlite:rel.db' }, {}, path.resolve('/a/b')).database).toEqual({
      kind: 'sqlite',
      path: path.resolve('/a/b/rel.db'),
    })
  })

  it.each([
    ['mysql://db.example:3307/imgpipe', { kind: 'mysql', host: 'db.example', port: 3307, user: 'root', database: 'imgpipe', ssl: false }],
    ['mysql://db.example/imgpipe', { kind: 'mysql', host: 'db.example', port: 3306, user: 'root', database: 'imgpipe', ssl: false }],
    ['mariadb://app@db/imgpipe', { kind: 'mysql', host: 'db', port: 3306, user: 'app', database: 'imgpipe', ssl: false }],
    [
      'postgres://db.example/imgpipe',
      { kind: 'postgres', host: 'db.example', port: 5432, user: 'postgres', database: 'imgpipe', ssl: false },
    ],
    ['postgresql://app@db:6543/imgpipe', { kind: 'postgres', host: 'db', port: 6543, user: 'app', database: 'imgpipe', ssl: false }],
    [
      'postgres://127.0.0.1/imgpipe',
      { kind: 'postgres', host: '127.0.0.1', port: 5432, user: 'postgres', database: 'imgpipe', ssl: false },
    ],
    ['postgres://[::1]:5433/imgpipe', { kind: 'postgres', host: '::1', port: 5433, user: 'postgres', database: 'imgpipe', ssl: false }],
    ['mysql://us%40er@db/my%20db', { kind: 'mysql', host: 'db', port: 3306, user: 'us@er', database: 'my db', ssl: false }],
    ['mysql://db/imgpipe?ssl=true', { kind: 'mysql', host: 'db', port: 3306, user: 'root', database: 'imgpipe', ssl: true }],
    ['mysql://db/imgpipe?ssl=1', { kind: 'mysql', host: 'db', port: 3306, user: 'root', database: 'imgpipe', ssl: true }],
    ['mysql://db/imgpipe?ssl=false', { kind: 'mysql', host: 'db', port: 3306, user: 'root', database: 'imgpipe', ssl: false }],
    [
      'postgres://db/imgpipe?sslmode=require',
      { kind: 'postgres', host: 'db', port: 5432, user: 'postgres', database: 'imgpipe', ssl: true },
    ],
    [
      'postgres://db/imgpipe?sslmode=verify-full',
      { kind: 'postgres', host: 'db', port: 5432, user: 'postgres', database: 'imgpipe', ssl: true },
    ],
    [
      'postgres://db/imgpipe?sslmode=verify-ca',
      { kind: 'postgres', host: 'db', port: 5432, user: 'postgres', database: 'imgpipe', ssl: true },
    ],
    [
      'postgres://db/imgpipe?sslmode=disable',
      { kind: 'postgres', host: 'db', port: 5432, user: 'postgres', database: 'imgpipe', ssl: false },
    ],
  ])('%s', (url, expected) => {
    expect(parseDatabaseUrl(url, CWD)).toEqual({ ...expected, password: undefined })
  })

  it('rejects a password in the URL without echoing it', () => {
    for (const url of [
      `mysql://app:${SECRET}@db/imgpipe`,
      `postgres://app:${SECRET}@db:5432/imgpipe`,
      `postgres://:${SECRET}@db/imgpipe`,
      `mysql://app:${SECRET}@@db/imgpipe`,
      `mysql://me@corp:${SECRET}@db/imgpipe`,
      `mysql://app:${SECRET}/x@db/imgpipe`,
      `mysql://app:pre@${SECRET}@db/imgpipe`,
      `mysql://app:${SECRET}@db:notaport/imgpipe`,
    ]) {
      const error = configError(() => load({ IMGPIPE_DATABASE_URL: url }))
      expect(error.message).toContain('IMGPIPE_DATABASE_URL')
      expect(error.message).not.toContain(SECRET)
      expect(error.message).not.toContain('S3cr3t')
    }
    expect(configError(() => parseDatabaseUrl(`mysql://app:${SECRET}@db/imgpipe`, CWD)).message).toContain('IMGPIPE_DATABASE_PASSWORD')
  })

  it('rejects a password passed as a query option without echoing it', () => {
    const error = configError(() => parseDatabaseUrl(`postgres://app@db/imgpipe?password=${SECRET}`, CWD))
    expect(error.message).toContain('IMGPIPE_DATABASE_PASSWORD')
    expect(error.message).not.toContain(SECRET)
  })

  it('takes the password from IMGPIPE_DATABASE_PASSWORD', () => {
    const config = load({ IMGPIPE_DATABASE_URL: 'postgres://app@db/imgpipe', IMGPIPE_DATABASE_PASSWORD: SECRET })
    expect(config.database).toMatchObject({ kind: 'postgres', password: SECRET })
  })

  it('falls back to MYSQL_PWD for MySQL and PGPASSWORD for PostgreSQL only', () => {
    const env = { MYSQL_PWD: 'mysql-secret', PGPASSWORD: 'pg-secret' }
    expect(load({ ...env, IMGPIPE_DATABASE_URL: 'mysql://db/imgpipe' }).database).toMatchObject({ password: 'mysql-secret' })
    expect(load({ ...env, IMGPIPE_DATABASE_URL: 'mariadb://db/imgpipe' }).database).toMatchObject({ password: 'mysql-secret' })
    expect(load({ ...env, IMGPIPE_DATABASE_URL: 'postgres://db/imgpipe' }).database).toMatchObject({ password: 'pg-secret' })
    expect(load({ PGPASSWORD: 'pg-secret', IMGPIPE_DATABASE_URL: 'mysql://db/imgpipe' }).database).toMatchObject({ password: undefined })
    expect(load({ MYSQL_PWD: 'mysql-secret', IMGPIPE_DATABASE_URL: 'postgres://db/imgpipe' }).database).toMatchObject({
      password: undefined,
    })
    expect(parseDatabaseUrl('postgres://db/imgpipe', CWD, { PGPASSWORD: 'direct' })).toMatchObject({ password: 'direct' })
  })

  it('prefers IMGPIPE_DATABASE_PASSWORD over the drivers’ variables', () => {
    const env = { IMGPIPE_DATABASE_PASSWORD: 'ours', MYSQL_PWD: 'theirs', PGPASSWORD: 'theirs' }
    expect(load({ ...env, IMGPIPE_DATABASE_URL: 'mysql://db/imgpipe' }).database).toMatchObject({ password: 'ours' })
    expect(load({ ...env, IMGPIPE_DATABASE_URL: 'postgres://db/imgpipe' }).database).toMatchObject({ password: 'ours' })
  })

  it('keeps the password exactly as given (no trimming)', () => {
    const config = load({ IMGPIPE_DATABASE_URL: 'mysql://db/imgpipe', IMGPIPE_DATABASE_PASSWORD: ' spaced ' })
    expect(config.database).toMatchObject({ password: ' spaced ' })
  })

  it('treats an empty IMGPIPE_DATABASE_PASSWORD as unset, like the other variables', () => {
    const config = load({ IMGPIPE_DATABASE_URL: 'mysql://db/imgpipe', IMGPIPE_DATABASE_PASSWORD: '', MYSQL_PWD: 'fallback' })
    expect(config.database).toMatchObject({ password: 'fallback' })
  })

  it.each([
    ['an unknown scheme', 'oracle://db/imgpipe'],
    ['not a URL', 'just words'],
    ['no database', 'mysql://db'],
    ['an empty database', 'postgres://db/'],
    ['two path segments', 'postgres://db/a/b'],
    ['no host', 'postgres:///imgpipe'],
    ['a bad port', 'mysql://db:99999/imgpipe'],
    ['a non-numeric port', 'mysql://db:abc/imgpipe'],
    ['a malformed escape in the user', 'mysql://%zz@db/imgpipe'],
    ['a malformed escape in the database', 'mysql://db/%E0%A4%A'],
    ['an unknown ssl value', 'mysql://db/imgpipe?ssl=yes'],
    ['an unknown sslmode', 'postgres://db/imgpipe?sslmode=always'],
    ['a malformed escape in a sqlite path', 'sqlite:bad%zz.db'],
    ['empty', ''],
  ])('rejects %s naming IMGPIPE_DATABASE_URL on one line', (_label, url) => {
    const error = configError(() => load({}, { databaseUrl: url }))
    expect(error.message).toContain('IMGPIPE_DATABASE_URL')
  })
})

describe('object store URL', () => {
  it.each([
    ['file:/abs/dir', { kind: 'file', dir: path.resolve('/abs/dir') }],
    ['file:///abs/dir', { kind: 'file', dir: path.resolve('/abs/dir') }],
    ['file:rel/dir', { kind: 'file', dir: path.join(CWD, 'rel', 'dir') }],
    ['file:', { kind: 'file', dir: path.join(CWD, 'data', 'objects') }],
    ['memory:', { kind: 'memory' }],
  ])('%s', (url, expected) => {
    expect(parseObjectStoreUrl(url, CWD)).toEqual(expected)
  })

  it('parses an S3 URL with endpoint, region and path style', () => {
    expect(parseObjectStoreUrl('s3://bucket/prefix?endpoint=http://127.0.0.1:9000&region=us-east-1&forcePathStyle=true', CWD)).toEqual({
      kind: 's3',
      bucket: 'bucket',
      prefix: 'prefix/',
      endpoint: 'http://127.0.0.1:9000',
      region: 'us-east-1',
      forcePathStyle: true,
      checksums: 'when_supported',
    })
  })

  it('parses checksums=when_required and defaults', () => {
    expect(parseObjectStoreUrl('s3://my-bucket.v2?checksums=when_required', CWD)).toEqual({
      kind: 's3',
      bucket: 'my-bucket.v2',
      prefix: '',
      endpoint: undefined,
      region: undefined,
      forcePathStyle: false,
      checksums: 'when_required',
    })
    expect(parseObjectStoreUrl('s3://bucket?checksums=when_supported', CWD)).toMatchObject({ checksums: 'when_supported' })
  })

  it.each([
    ['s3://bucket', ''],
    ['s3://bucket/', ''],
    ['s3://bucket/a', 'a/'],
    ['s3://bucket/a/b/', 'a/b/'],
    ['s3://bucket//a//', 'a/'],
    ['s3://bucket/with%20space', 'with space/'],
  ])('%s has prefix %j', (url, prefix) => {
    expect(parseObjectStoreUrl(url, CWD)).toMatchObject({ kind: 's3', bucket: 'bucket', prefix })
  })

  it.each([
    ['forcePathStyle=false', false],
    ['forcePathStyle=0', false],
    ['forcePathStyle=1', true],
    ['forcePathStyle', true],
  ])('%s -> %s', (query, expected) => {
    expect(parseObjectStoreUrl(`s3://bucket?${query}`, CWD)).toMatchObject({ forcePathStyle: expected })
  })

  it('accepts an https endpoint with a path', () => {
    expect(parseObjectStoreUrl('s3://bucket?endpoint=https://s3.example.com/storage', CWD)).toMatchObject({
      endpoint: 'https://s3.example.com/storage',
    })
  })

  it.each([
    ['too short', 's3://ab'],
    ['upper case', 's3://MyBucket'],
    ['an underscore', 's3://my_bucket'],
    ['a leading dash', 's3://-bucket'],
    ['a trailing dash', 's3://bucket-'],
    ['a trailing dot', 's3://bucket.'],
    ['64 characters', `s3://${'b'.repeat(64)}`],
    ['two dots in a row', 's3://my..bucket'],
    ['an IP address', 's3://192.168.1.10'],
    ['no bucket', 's3:///prefix'],
  ])('rejects a bucket name with %s', (_label, url) => {
    const error = configError(() => load({ IMGPIPE_OBJECT_STORE_URL: url }))
    expect(error.message).toContain('IMGPIPE_OBJECT_STORE_URL')
  })

  it.each(['s3://bucket/../x', 's3://bucket/a/./b', 's3://bucket/%2e%2E/x', 's3://bucket/a/..'])(
    'refuses the dot segments of %s',
    (url) => {
      expect(configError(() => load({ IMGPIPE_OBJECT_STORE_URL: url })).message).toMatch(/IMGPIPE_OBJECT_STORE_URL.*"\.\." segments/)
    },
  )

  it('accepts a 63-character and a 3-character bucket name', () => {
    expect(parseObjectStoreUrl(`s3://${'b'.repeat(63)}`, CWD)).toMatchObject({ bucket: 'b'.repeat(63) })
    expect(parseObjectStoreUrl('s3://abc', CWD)).toMatchObject({ bucket: 'abc' })
  })

  it.each([
    ['an unknown option', 's3://bucket?regoin=us-east-1'],
    ['an unknown option with a newline in its name', 's3://bucket?a%0Ab=1'],
    ['a bad forcePathStyle', 's3://bucket?forcePathStyle=yes'],
    ['a bad checksums', 's3://bucket?checksums=never'],
    ['a non-http endpoint', 's3://bucket?endpoint=ftp://host'],
    ['an endpoint that is not a URL', 's3://bucket?endpoint=localhost:9000'],
    ['an endpoint with junk after the host', 's3://bucket?endpoint=http://host:9000%20junk'],
    ['a port on the bucket', 's3://bucket:9000/prefix'],
    ['an unknown scheme', 'gs://bucket'],
    ['a bare path', '/var/data'],
    ['a prefix with a ".." segment', 's3://bucket/a%2F..%2Fb'],
    ['a prefix with a control character', 's3://bucket/a%01b'],
    ['a prefix with a backslash', 's3://bucket/a%5Cb'],
    ['a malformed escape in the prefix', 's3://bucket/%E0%A4%A'],
    ['a malformed escape in a file path', 'file:bad%zz'],
    ['empty', ''],
  ])('rejects %s naming IMGPIPE_OBJECT_STORE_URL on one line', (_label, url) => {
    const error = configError(() => load({}, { objectStoreUrl: url }))
    expect(error.message).toContain('IMGPIPE_OBJECT_STORE_URL')
  })

  it('rejects credentials in the S3 URL without echoing the secret', () => {
    for (const url of [
      `s3://AKIAEXAMPLE:${SECRET}@bucket/prefix`,
      `s3://AKIAEXAMPLE@bucket/prefix`,
      `s3://bucket?endpoint=http://minio:${SECRET}@127.0.0.1:9000`,
      `s3://bucket?endpoint=http://user@127.0.0.1:9000`,
    ]) {
      const error = configError(() => load({ IMGPIPE_OBJECT_STORE_URL: url }))
      expect(error.message).toContain('IMGPIPE_OBJECT_STORE_URL')
      expect(error.message).not.toContain(SECRET)
      expect(error.message).toMatch(/credentials/)
    }
  })
})

describe('broker URL', () => {
  it.each([
    ['memory:', { kind: 'memory' }],
    ['kafka://h:1', { kind: 'kafka', brokers: ['h:1'], clientId: 'imgpipe' }],
    ['kafka://h:1,h2:2', { kind: 'kafka', brokers: ['h:1', 'h2:2'], clientId: 'imgpipe' }],
    ['kafka://h:1, h2:2/', { kind: 'kafka', brokers: ['h:1', 'h2:2'], clientId: 'imgpipe' }],
    ['kafka://h:1?clientId=x', { kind: 'kafka', brokers: ['h:1'], clientId: 'x' }],
    ['kafka://h:1/?clientId=my-app', { kind: 'kafka', brokers: ['h:1'], clientId: 'my-app' }],
    ['kafka://kafka.internal.example:9092', { kind: 'kafka', brokers: ['kafka.internal.example:9092'], clientId: 'imgpipe' }],
    ['kafka://127.0.0.1:9092', { kind: 'kafka', brokers: ['127.0.0.1:9092'], clientId: 'imgpipe' }],
    ['kafka://[::1]:9092', { kind: 'kafka', brokers: ['[::1]:9092'], clientId: 'imgpipe' }],
    ['kafka://h:65535', { kind: 'kafka', brokers: ['h:65535'], clientId: 'imgpipe' }],
  ])('%s', (url, expected) => {
    expect(parseBrokerUrl(url)).toEqual(expected)
  })

  it.each([
    ['no port', 'kafka://h'],
    ['an empty port', 'kafka://h:'],
    ['a non-numeric port', 'kafka://h:x'],
    ['port 0', 'kafka://h:0'],
    ['a port above 65535', 'kafka://h:65536'],
    ['a six-digit port', 'kafka://h:123456'],
    ['an empty entry', 'kafka://h:1,'],
    ['an empty list', 'kafka://'],
    ['an underscore host', 'kafka://my_host:1'],
    ['a newline inside', 'kafka://h:1\nx:2'],
    ['a path', 'kafka://h:1/topic'],
    ['an unknown option', 'kafka://h:1?clientid=x'],
    ['an empty clientId', 'kafka://h:1?clientId='],
    ['another scheme', 'redis://h:1'],
    ['plain host:port', 'h:1'],
    ['empty', ''],
  ])('rejects %s naming IMGPIPE_BROKER_URL on one line', (_label, url) => {
    const error = configError(() => load({}, { brokerUrl: url }))
    expect(error.message).toContain('IMGPIPE_BROKER_URL')
  })

  it('rejects credentials without echoing them', () => {
    for (const url of [`kafka://user:${SECRET}@h:1`, `kafka://h:1,user:${SECRET}@h2:2`]) {
      const error = configError(() => parseBrokerUrl(url))
      expect(error.message).toContain('IMGPIPE_BROKER_URL')
      expect(error.message).not.toContain(SECRET)
    }
  })
})

describe('numeric and other settings', () => {
  const cases: Array<[keyof typeof ENV, string[], string[]]> = [
    ['eventThreshold', ['0', '1', '0.5', '0.01', '1e-3', '.5'], ['-0.1', '1.01', '2', 'abc', 'NaN', 'Infinity', '0x1', '1,5', '0.5.1']],
    ['pixelTolerance', ['0', '48', '254'], ['-1', '255', '1.5', 'abc', '1e2']],
    ['topicPartitions', ['1', '3', '1000'], ['0', '1001', '-1', '2.5', 'three', '+3']],
    ['maxImagePixels', ['1', '50000000', String(2 ** 32)], ['0', String(2 ** 32 + 1), '-5', '1.5', '5e7']],
    ['maxImageBytes', ['1', String(2 ** 40)], ['0', String(2 ** 40 + 1), 'big']],
  ]

  for (const [key, good, bad] of cases) {
    describe(ENV[key], () => {
      it.each(good)(`accepts %j`, (value) => {
        const config = load({ [ENV[key]]: value })
        const actual = key === 'topicPartitions' ? config.topicPartitions : config.analysis[key as 'eventThreshold']
        expect(actual).toBe(Number(value))
      })

      it.each(bad)(`rejects %j naming ${ENV[key]} and the range`, (value) => {
        const error = configError(() => load({ [ENV[key]]: value }))
        expect(error.message).toContain(ENV[key])
        expect(error.message).toMatch(/from \S+ to \S+/)
      })
    })
  }

  it.each(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])('accepts log level %s', (level) => {
    expect(load({ IMGPIPE_LOG_LEVEL: level }).logLevel).toBe(level)
  })

  it.each(['verbose', 'INFO', 'warning'])('rejects log level %s naming IMGPIPE_LOG_LEVEL', (level) => {
    expect(configError(() => load({ IMGPIPE_LOG_LEVEL: level })).message).toContain('IMGPIPE_LOG_LEVEL')
  })

  it.each(['a b', 'a/b', 'x'.repeat(101), 'é'])('rejects topic prefix %j naming IMGPIPE_TOPIC_PREFIX', (prefix) => {
    expect(configError(() => load({ IMGPIPE_TOPIC_PREFIX: prefix })).message).toContain('IMGPIPE_TOPIC_PREFIX')
  })

  it('topicName prepends the prefix', () => {
    expect(topicName({ topicPrefix: '' }, 'image_analysis')).toBe('image_analysis')
    expect(topicName({ topicPrefix: 'test_' }, 'image_analysis')).toBe('test_image_analysis')
  })
})

describe('error messages', () => {
  it.each([
    ['IMGPIPE_DATABASE_URL', 'nope\nnope'],
    ['IMGPIPE_OBJECT_STORE_URL', 'nope\r\nnope'],
    ['IMGPIPE_BROKER_URL', 'kafka://h:1\nh2:2'],
    ['IMGPIPE_TOPIC_PARTITIONS', '3\n4'],
    ['IMGPIPE_EVENT_THRESHOLD', '0.5\n0.6'],
    ['IMGPIPE_LOG_LEVEL', 'info\ndebug'],
    ['IMGPIPE_TOPIC_PREFIX', 'a\nb'],
  ])('%s: names the variable and is one line even for a value with line breaks', (variable, value) => {
    const error = configError(() => load({ [variable]: value }))
    expect(error.message.startsWith(`${variable}=`)).toBe(true)
    expect(error.message.split('\n')).toHaveLength(1)
  })
})

describe('redactUrl', () => {
  it.each([
    ['mysql://app:secret@db/imgpipe', 'mysql://app:***@db/imgpipe'],
    ['postgres://:secret@db/imgpipe', 'postgres://:***@db/imgpipe'],
    ['mysql://app:se@cret@db/imgpipe', 'mysql://app:***@db/imgpipe'],
    ['mysql://app:se/cret@db/imgpipe', 'mysql://app:***@db/imgpipe'],
    ['mysql://app:se:cret@db/imgpipe', 'mysql://app:***@db/imgpipe'],
    ['mysql://me@corp:secret@db/imgpipe', 'mysql://me@corp:***@db/imgpipe'],
    ['http://key:secret@127.0.0.1:9000', 'http://key:***@127.0.0.1:9000'],
    ['postgres://app@db/imgpipe?password=secret&sslmode=require', 'postgres://app@db/imgpipe?password=***&sslmode=require'],
  ])('%s -> %s', (url, redacted) => {
    expect(redactUrl(url)).toBe(redacted)
    expect(redactUrl(url)).not.toContain('secret')
  })

  it.each([
    'mysql://app@db:3306/imgpipe',
    'kafka://h:1,h2:2',
    's3://bucket/prefix?endpoint=http://127.0.0.1:9000&region=us-east-1',
    'sqlite:data/imgpipe.db',
    'file:/abs/dir',
    'memory:',
  ])('leaves %s unchanged', (url) => {
    expect(redactUrl(url)).toBe(url)
  })
})

describe('describe*', () => {
  it('describes a database without its password', () => {
    const config = load({ IMGPIPE_DATABASE_URL: 'postgres://app@db:6543/imgpipe?sslmode=require', IMGPIPE_DATABASE_PASSWORD: SECRET })
    const text = describeCatalog(config.database)
    expect(text).toBe('postgres://app@db:6543/imgpipe')
    expect(text).not.toContain(SECRET)
    expect(describeCatalog(load({ MYSQL_PWD: SECRET, IMGPIPE_DATABASE_URL: 'mysql://db/x' }).database)).toBe('mysql://root@db:3306/x')
    expect(describeCatalog({ kind: 'sqlite', path: '/abs/x.db' })).toBe('sqlite:/abs/x.db')
    expect(describeCatalog({ kind: 'sqlite', path: ':memory:' })).toBe('sqlite::memory:')
  })

  it('brackets an IPv6 database host', () => {
    expect(describeCatalog(parseDatabaseUrl('postgres://[::1]:5433/imgpipe', CWD))).toBe('postgres://postgres@[::1]:5433/imgpipe')
  })

  it('describes object stores', () => {
    expect(describeObjectStore({ kind: 'memory' })).toBe('memory:')
    expect(describeObjectStore(parseObjectStoreUrl('file:/abs/dir', CWD))).toBe(`file:${path.resolve('/abs/dir')}`)
    expect(describeObjectStore(parseObjectStoreUrl('s3://bucket/prefix?endpoint=http://127.0.0.1:9000', CWD))).toBe(
      's3://bucket/prefix/ (endpoint http://127.0.0.1:9000)',
    )
    expect(describeObjectStore(parseObjectStoreUrl('s3://bucket', CWD))).toBe('s3://bucket/')
  })

  it('describes brokers', () => {
    expect(describeBus({ kind: 'memory' })).toBe('memory:')
    expect(describeBus(parseBrokerUrl('kafka://h:1,h2:2?clientId=x'))).toBe('kafka://h:1,h2:2')
  })

  it('no description of a loaded configuration contains a password', () => {
    for (const env of [
      { IMGPIPE_DATABASE_URL: 'mysql://app@db/imgpipe', IMGPIPE_DATABASE_PASSWORD: SECRET },
      { IMGPIPE_DATABASE_URL: 'mysql://app@db/imgpipe', MYSQL_PWD: SECRET },
      { IMGPIPE_DATABASE_URL: 'postgres://app@db/imgpipe', PGPASSWORD: SECRET },
    ]) {
      const config = load({
        ...env,
        IMGPIPE_OBJECT_STORE_URL: 's3://bucket?endpoint=http://127.0.0.1:9000',
        IMGPIPE_BROKER_URL: 'kafka://h:1',
      })
      const text = [describeCatalog(config.database), describeObjectStore(config.objectStore), describeBus(config.broker)].join(' ')
      expect(text).not.toContain(SECRET)
      expect(config.database).toMatchObject({ password: SECRET })
    }
  })
})

describe('Kafka TLS and SASL', () => {
  const dirs: string[] = []
  const tempDir = (): string => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'imgpipe-config-'))
    dirs.push(dir)
    return dir
  }
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
  })
  const pemFile = (): string => {
    const dir = tempDir()
    const file = path.join(dir, 'ca.pem')
    writeFileSync(file, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n')
    return file
  }
  const saslEnv = { IMGPIPE_KAFKA_SASL_MECHANISM: 'SCRAM-SHA-256', IMGPIPE_KAFKA_SASL_USERNAME: 'app', IMGPIPE_KAFKA_SASL_PASSWORD: SECRET }

  it('names its variables IMGPIPE_KAFKA_*', () => {
    expect([ENV.kafkaCaFile, ENV.kafkaSaslMechanism, ENV.kafkaSaslUsername, ENV.kafkaSaslPassword]).toEqual([
      'IMGPIPE_KAFKA_CA_FILE',
      'IMGPIPE_KAFKA_SASL_MECHANISM',
      'IMGPIPE_KAFKA_SASL_USERNAME',
      'IMGPIPE_KAFKA_SASL_PASSWORD',
    ])
  })

  it('kafka:// without SASL variables is plaintext without authentication, as before', () => {
    const broker = parseBrokerUrl('kafka://h:1')
    expect(broker).toMatchObject({ kind: 'kafka', brokers: ['h:1'], clientId: 'imgpipe' })
    expect(broker.kind === 'kafka' && broker.tls === undefined && broker.sasl === undefined).toBe(true)
  })

  it.each([
    ['kafkas://h:9093', ['h:9093'], 'imgpipe'],
    [
      'kafkas://b-1.example.kafka.us-east-1.amazonaws.com:9096,b-2.example.kafka.us-east-1.amazonaws.com:9096',
      ['b-1.example.kafka.us-east-1.amazonaws.com:9096', 'b-2.example.kafka.us-east-1.amazonaws.com:9096'],
      'imgpipe',
    ],
    ['kafkas://[::1]:9093/?clientId=app', ['[::1]:9093'], 'app'],
  ])('%s is TLS with Node’s CAs', (url, brokers, clientId) => {
    expect(parseBrokerUrl(url)).toEqual({ kind: 'kafka', brokers, clientId, tls: {}, sasl: undefined })
  })

  it('reads the CA bundle of IMGPIPE_KAFKA_CA_FILE at start-up, relative to the cwd argument', () => {
    const file = pemFile()
    const absolute = load({ IMGPIPE_BROKER_URL: 'kafkas://h:9093', IMGPIPE_KAFKA_CA_FILE: file }).broker
    expect(absolute).toMatchObject({ kind: 'kafka', tls: { ca: readFileSync(file, 'utf8') } })
    const relative = loadConfig(
      { IMGPIPE_BROKER_URL: 'kafkas://h:9093', IMGPIPE_KAFKA_CA_FILE: path.basename(file) },
      {},
      path.dirname(file),
    )
    expect(relative).toMatchObject({ broker: { tls: { ca: readFileSync(file, 'utf8') } } })
  })

  it('rejects a CA file that is missing, or holds no PEM certificate, naming IMGPIPE_KAFKA_CA_FILE', () => {
    const missing = configError(() => load({ IMGPIPE_BROKER_URL: 'kafkas://h:9093', IMGPIPE_KAFKA_CA_FILE: '/nonexistent/ca.pem' }))
    expect(missing.message).toContain('IMGPIPE_KAFKA_CA_FILE="/nonexistent/ca.pem" cannot be read (ENOENT)')
    const dir = tempDir()
    writeFileSync(path.join(dir, 'key.pem'), '-----BEGIN PRIVATE KEY-----\n')
    const notCa = configError(() => loadConfig({ IMGPIPE_BROKER_URL: 'kafkas://h:9093', IMGPIPE_KAFKA_CA_FILE: 'key.pem' }, {}, dir))
    expect(notCa.message).toContain('IMGPIPE_KAFKA_CA_FILE')
    expect(notCa.message).toContain('no PEM certificate')
    expect(configError(() => loadConfig({ IMGPIPE_BROKER_URL: 'kafkas://h:9093', IMGPIPE_KAFKA_CA_FILE: '.' }, {}, dir)).message).toContain(
      'IMGPIPE_KAFKA_CA_FILE="." cannot be read (EISDIR)',
    )
  })

  it('rejects a CA file with a plaintext kafka:// URL rather than silently not using TLS', () => {
    const error = configError(() => load({ IMGPIPE_BROKER_URL: 'kafka://h:9092', IMGPIPE_KAFKA_CA_FILE: pemFile() }))
    expect(error.message).toContain('IMGPIPE_KAFKA_CA_FILE is set but IMGPIPE_BROKER_URL is kafka://')
    expect(error.message).toContain('kafkas://')
  })

  it('ignores the Kafka variables for the in-memory broker, which has no connection', () => {
    expect(load({ ...saslEnv, IMGPIPE_KAFKA_SASL_MECHANISM: 'nonsense', IMGPIPE_KAFKA_CA_FILE: '/nonexistent' }).broker).toEqual({
      kind: 'memory',
    })
  })

  it.each(['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'])('takes SASL %s from the environment, with kafka:// and kafkas://', (mechanism) => {
    const env = { ...saslEnv, IMGPIPE_KAFKA_SASL_MECHANISM: mechanism }
    expect(load({ ...env, IMGPIPE_BROKER_URL: 'kafka://h:9094' }).broker).toEqual({
      kind: 'kafka',
      brokers: ['h:9094'],
      clientId: 'imgpipe',
      tls: undefined,
      sasl: { mechanism, username: 'app', password: SECRET },
    })
    expect(parseBrokerUrl('kafkas://h:9096', env)).toMatchObject({ tls: {}, sasl: { mechanism, username: 'app', password: SECRET } })
  })

  it('accepts the mechanism in any case, trims the user name and keeps the password exactly as given', () => {
    const broker = parseBrokerUrl('kafka://h:1', {
      IMGPIPE_KAFKA_SASL_MECHANISM: ' scram-sha-512 ',
      IMGPIPE_KAFKA_SASL_USERNAME: ' app ',
      IMGPIPE_KAFKA_SASL_PASSWORD: ` ${SECRET} `,
    })
    expect(broker).toMatchObject({ sasl: { mechanism: 'SCRAM-SHA-512', username: 'app', password: ` ${SECRET} ` } })
  })

  it.each([
    [
      'no user name',
      { IMGPIPE_KAFKA_SASL_USERNAME: undefined },
      'IMGPIPE_KAFKA_SASL_MECHANISM=SCRAM-SHA-256 needs IMGPIPE_KAFKA_SASL_USERNAME too',
    ],
    ['a blank user name', { IMGPIPE_KAFKA_SASL_USERNAME: '  ' }, 'needs IMGPIPE_KAFKA_SASL_USERNAME too'],
    [
      'no password',
      { IMGPIPE_KAFKA_SASL_PASSWORD: undefined },
      'IMGPIPE_KAFKA_SASL_MECHANISM=SCRAM-SHA-256 needs IMGPIPE_KAFKA_SASL_PASSWORD too',
    ],
    ['an empty password', { IMGPIPE_KAFKA_SASL_PASSWORD: '' }, 'needs IMGPIPE_KAFKA_SASL_PASSWORD too'],
    [
      'neither',
      { IMGPIPE_KAFKA_SASL_USERNAME: undefined, IMGPIPE_KAFKA_SASL_PASSWORD: undefined },
      'needs IMGPIPE_KAFKA_SASL_USERNAME and IMGPIPE_KAFKA_SASL_PASSWORD too',
    ],
    [
      'an unknown mechanism',
      { IMGPIPE_KAFKA_SASL_MECHANISM: 'SCRAM-SHA-1' },
      'IMGPIPE_KAFKA_SASL_MECHANISM="SCRAM-SHA-1" is invalid: expected one of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512',
    ],
    [
      'OAUTHBEARER, which needs a token provider',
      { IMGPIPE_KAFKA_SASL_MECHANISM: 'OAUTHBEARER' },
      'IMGPIPE_KAFKA_SASL_MECHANISM="OAUTHBEARER" is invalid',
    ],
    ['GSSAPI (Kerberos)', { IMGPIPE_KAFKA_SASL_MECHANISM: 'GSSAPI' }, 'IMGPIPE_KAFKA_SASL_MECHANISM="GSSAPI" is invalid'],
    [
      'a user name without mechanism',
      { IMGPIPE_KAFKA_SASL_MECHANISM: undefined },
      'IMGPIPE_KAFKA_SASL_USERNAME is set but IMGPIPE_KAFKA_SASL_MECHANISM is not',
    ],
    [
      'a password without mechanism',
      { IMGPIPE_KAFKA_SASL_MECHANISM: undefined, IMGPIPE_KAFKA_SASL_USERNAME: undefined },
      'IMGPIPE_KAFKA_SASL_PASSWORD is set but IMGPIPE_KAFKA_SASL_MECHANISM is not',
    ],
  ])('rejects %s in one line naming the variable, never showing the password', (_label, change, message) => {
    const error = configError(() => load({ ...saslEnv, ...change, IMGPIPE_BROKER_URL: 'kafkas://h:9096' }))
    expect(error.message).toContain(message)
    expect(error.message).not.toContain(SECRET)
  })

  it('keeps a mechanism with a line break on one line', () => {
    const error = configError(() => load({ ...saslEnv, IMGPIPE_KAFKA_SASL_MECHANISM: 'PLAIN\nx', IMGPIPE_BROKER_URL: 'kafka://h:1' }))
    expect(error.message).toContain('IMGPIPE_KAFKA_SASL_MECHANISM')
  })

  it('still rejects credentials in a kafkas:// URL without echoing them', () => {
    for (const url of [`kafkas://user:${SECRET}@h:1`, `kafkas://h:1,user:${SECRET}@h2:2`]) {
      const error = configError(() => load({ IMGPIPE_BROKER_URL: url }))
      expect(error.message).toContain('IMGPIPE_BROKER_URL')
      expect(error.message).not.toContain(SECRET)
    }
  })

  it.each([
    ['kafkas with a path', 'kafkas://h:1/topic'],
    ['kafkas without port', 'kafkas://h'],
    ['kafkas with an unknown option', 'kafkas://h:1?ssl=true'],
    ['a kafka+ssl scheme', 'kafka+ssl://h:1'],
    ['an upper-case scheme', 'KAFKAS://h:1'],
  ])('rejects %s naming IMGPIPE_BROKER_URL', (_label, url) => {
    expect(configError(() => load({ IMGPIPE_BROKER_URL: url })).message).toContain('IMGPIPE_BROKER_URL')
  })

  it('describes TLS and the SASL user, never the password', () => {
    expect(describeBus(parseBrokerUrl('kafkas://h:1,h2:2?clientId=x'))).toBe('kafkas://h:1,h2:2')
    const text = describeBus(load({ ...saslEnv, IMGPIPE_BROKER_URL: 'kafkas://h:9096' }).broker)
    expect(text).toBe('kafkas://h:9096 (SASL SCRAM-SHA-256 as app)')
    expect(text).not.toContain(SECRET)
    expect(describeBus(parseBrokerUrl('kafka://h:9094', { ...saslEnv, IMGPIPE_KAFKA_SASL_MECHANISM: 'PLAIN' }))).toBe(
      'kafka://h:9094 (SASL PLAIN as app)',
    )
  })
})

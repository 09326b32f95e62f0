/**
 * Helpers for end-to-end tests that run the CLI's stages as separate processes on the real servers
 * (Kafka + MariaDB/PostgreSQL + S3Proxy) and compare with the embedded one-process run.
 */
import type { ChildProcess } from 'node:child_process'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { expect } from 'vitest'
import { openSqliteCatalog } from '../../src/adapters/sqlite/sqlite-catalog.js'
import { deleteKafkaNames } from './bus-backends.js'
import { freshDatabaseUrl, type FreshDatabase } from './catalog-backends.js'
import { catalogRows } from './catalog-rows.js'
import { cleanEnv, collect, runCli, spawnCli, type CliResult } from './cli.js'
import { uniqueName } from './integration.js'
import { freshStoreUrl, type FreshStoreUrl } from './store-backends.js'

let scratch: Promise<string> | undefined
function scratchDir(): Promise<string> {
  scratch ??= mkdtemp(path.join(tmpdir(), 'imgpipe-e2e-'))
  return scratch
}

/** The rows of the embedded run with the same arguments, computed once per argument list. */
const references = new Map<string, Promise<Awaited<ReturnType<typeof catalogRows>>>>()
export function embeddedRows(args: string[]): Promise<Awaited<ReturnType<typeof catalogRows>>> {
  const key = args.join(' ')
  let rows = references.get(key)
  if (rows === undefined) {
    rows = (async () => {
      const dir = await scratchDir()
      const name = uniqueName('ref')
      const dbPath = path.join(dir, `${name}.db`)
      const result = await runCli(
        ['run', ...args],
        cleanEnv({ IMGPIPE_DATABASE_URL: `sqlite:${dbPath}`, IMGPIPE_OBJECT_STORE_URL: `file:${path.join(dir, name)}` }),
      )
      expect(result.code, result.stderr).toBe(0)
      const catalog = openSqliteCatalog({ path: dbPath })
      try {
        return await catalogRows(catalog)
      } finally {
        await catalog.close()
      }
    })()
    references.set(key, rows)
  }
  return rows
}

export interface Deployment {
  env: Record<string, string>
  database: FreshDatabase
  store: FreshStoreUrl
  prefix: string
  brokers: string[]
  cleanup(): Promise<void>
}

/** A fresh database, S3 prefix and topic prefix, and the env that points the CLI at them. */
export async function deploy(kafkaUrl: string, kind: 'mysql' | 'postgres', partitions = 3): Promise<Deployment> {
  const database = await freshDatabaseUrl(kind)
  const store = await freshStoreUrl('s3')
  if (database === null || store === null) throw new Error('the database or S3 test service is not configured')
  const prefix = `${uniqueName('e2e')}_`
  const brokers = kafkaUrl.replace('kafka://', '').split(',')
  const env = cleanEnv({
    IMGPIPE_DATABASE_URL: database.url,
    IMGPIPE_DATABASE_PASSWORD: database.password,
    IMGPIPE_OBJECT_STORE_URL: store.url,
    IMGPIPE_BROKER_URL: kafkaUrl,
    IMGPIPE_TOPIC_PREFIX: prefix,
    IMGPIPE_TOPIC_PARTITIONS: String(partitions),
  })
  return {
    env,
    database,
    store,
    prefix,
    brokers,
    async cleanup() {
      await Promise.allSettled([database.cleanup(), store.cleanup(), deleteKafkaNames(brokers, prefix)])
    },
  }
}

export interface Stage {
  child: ChildProcess
  finished: Promise<CliResult>
  /** Resolves when the stage logged that it consumes. */
  consuming: Promise<void>
}

export function startStage(stage: 'analyze' | 'alert', env: Record<string, string>): Stage {
  const child = spawnCli([stage, '--json'], { ...env, IMGPIPE_LOG_LEVEL: 'info' })
  const consuming = new Promise<void>((resolve, reject) => {
    let seen = ''
    child.stderr?.on('data', (chunk: Buffer) => {
      seen += chunk.toString()
      if (seen.includes(`"${stage}: consuming"`)) resolve()
    })
    child.on('exit', () => reject(new Error(`${stage} exited before consuming: ${seen.slice(-2000)}`)))
  })
  consuming.catch(() => undefined)
  return { child, finished: collect(child, 600_000), consuming }
}

/** SIGTERM, then the stage must finish its message in hand, commit and exit 0 with its JSON summary. */
export async function stopStage(stage: Stage): Promise<{ processed: Record<string, number> }> {
  stage.child.kill('SIGTERM')
  const result = await stage.finished
  expect(result.code, result.stderr.slice(-2000)).toBe(0)
  return JSON.parse(result.stdout) as { processed: Record<string, number> }
}

import { createHash } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { cleanEnv, collect, runCli, spawnCli } from '../../support/cli.js'
import { countImagesByStatus, readRows } from '../../support/sqlite-rows.js'
import { freshStoreUrl, s3TestUrl, type FreshStoreUrl } from '../../support/store-backends.js'

/**
 * SIGKILL while a receive window is between its claim and its finish: rows of the window are `storing`, some of
 * their objects are written and some are not. The resumed run must end with exactly the rows of an uninterrupted
 * run, every row's object holding its own bytes, and no object that no row references. S3 (S3Proxy) makes the
 * window's puts slow enough (tens of ms each) to be caught reliably in that state.
 */
const s3 = s3TestUrl()

describe.skipIf(s3 === null)('receive windows killed half-way (SQLite + S3)', () => {
  let dir: string
  const stores: FreshStoreUrl[] = []
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'imgpipe-window-crash-'))
  })
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((store) => store.cleanup()))
    await rm(dir, { recursive: true, force: true })
  })

  async function envFor(name: string, store: 'directory' | 's3'): Promise<Record<string, string>> {
    const fresh = (await freshStoreUrl(store))!
    stores.push(fresh)
    return cleanEnv({
      IMGPIPE_DATABASE_URL: `sqlite:${path.join(dir, `${name}.db`)}`,
      IMGPIPE_OBJECT_STORE_URL: fresh.url,
      IMGPIPE_RECEIVE_BATCH_SIZE: '32',
    })
  }

  it('resumes a run killed with storing rows to exactly the rows of an uninterrupted run, objects whole, none orphaned', async () => {
    const args = ['run', '--count', '120', '--streams', '2', '--change-every', '4']
    const reference = await runCli(args, await envFor('reference', 'directory'))
    expect(reference.code, reference.stderr).toBe(0)
    const expected = readRows(path.join(dir, 'reference.db'))
    expect(expected.images).toHaveLength(240)

    const name = 'killed'
    const env = await envFor(name, 's3')
    const store = stores.at(-1)!
    const dbPath = path.join(dir, `${name}.db`)
    let caughtStoring = 0
    // Each kill waits for a window caught between claim and finish; the last run goes to the end.
    for (let kill = 0; kill < 3; kill += 1) {
      const child = spawnCli(args, env)
      const finished = collect(child, 120_000)
      const deadline = Date.now() + 60_000
      while (Date.now() < deadline) {
        let counts: Record<string, number>
        try {
          counts = countImagesByStatus(dbPath)
        } catch {
          await new Promise((resolve) => setTimeout(resolve, 2))
          continue // not created yet
        }
        if ((counts['storing'] ?? 0) > 0) break
        await new Promise((resolve) => setTimeout(resolve, 2))
      }
      child.kill('SIGKILL')
      expect((await finished).signal).toBe('SIGKILL')
      if ((countImagesByStatus(dbPath)['storing'] ?? 0) > 0) caughtStoring += 1
    }
    expect(caughtStoring).toBeGreaterThan(0)

    const resumed = await runCli(args, env)
    expect(resumed.code, resumed.stderr).toBe(0)
    const rows = readRows(dbPath)
    // Difference images are named by event id, which follows the order in which analyses finished.
    const withoutDifferenceKeys = ({ images, events, alerts }: typeof rows): typeof rows => ({
      images,
      events: events.map(({ difference_image_object_key: _key, ...event }) => event),
      alerts,
    })
    expect(withoutDifferenceKeys(rows)).toEqual(withoutDifferenceKeys(expected))

    const objects = store.openStore()
    try {
      const keys = new Set<string>()
      for await (const item of objects.list()) keys.add(item.key)
      const referenced = new Set([
        ...rows.images.map((image) => String(image['image_object_key'])),
        ...rows.events.map((event) => String(event['difference_image_object_key'])),
      ])
      expect([...keys].filter((key) => !referenced.has(key) && !key.startsWith('thumbnail/'))).toEqual([])
      for (const image of rows.images) {
        const bytes = await objects.get(String(image['image_object_key']))
        expect(createHash('sha256').update(bytes).digest('hex')).toBe(image['content_sha256'])
      }
    } finally {
      await objects.close()
    }
  })
})

/**
 * The viewer over MariaDB and S3 (S3Proxy): what runs in production when configured. The pipeline fills a
 * fresh database and a fresh bucket prefix; the page and the image routes then read them back.
 * Skipped with the reason printed when IMGPIPE_TEST_MYSQL_URL or IMGPIPE_TEST_S3_URL is not set.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MemoryBus } from '../../src/adapters/memory/memory-bus.js'
import { openCatalog } from '../../src/adapters/open-backends.js'
import { loadConfig } from '../../src/config/load-config.js'
import { silentLogger } from '../../src/core/logger.js'
import type { Catalog } from '../../src/core/ports/catalog.js'
import type { ObjectStore } from '../../src/core/ports/object-store.js'
import { topicsFor } from '../../src/stages/stage-context.js'
import { buildWebApp } from '../../src/web/web-app.js'
import { freshDatabaseUrl, type FreshDatabase } from '../support/catalog-backends.js'
import { runMockPipeline } from '../support/memory-context.js'
import { freshStoreUrl, type FreshStoreUrl } from '../support/store-backends.js'

const database = await freshDatabaseUrl('mysql')
const bucket = database === null ? null : await freshStoreUrl('s3')
// Half a setup is no setup: drop the database when there is no bucket to go with it.
if (database !== null && bucket === null) await database.cleanup()

describe.skipIf(database === null || bucket === null)('the viewer on MariaDB and S3', () => {
  let catalog: Catalog
  let store: ObjectStore
  let app: Awaited<ReturnType<typeof buildWebApp>>

  beforeAll(async () => {
    catalog = await openCatalog((database as FreshDatabase).config)
    store = (bucket as FreshStoreUrl).openStore()
    await catalog.migrate()
    const bus = new MemoryBus({ defaultPartitions: 1 })
    try {
      const report = await runMockPipeline(
        { catalog, store, bus, topics: topicsFor({ topicPrefix: '' }), analysis: loadConfig({}).analysis, logger: silentLogger },
        { streams: ['cam-1', 'cam-2'], count: 4 },
      )
      expect(report.counts).toMatchObject({ images: 8, events: 2, alerts: 2 })
    } finally {
      await bus.close()
    }
    app = await buildWebApp({ catalog, store })
  })

  afterAll(async () => {
    await app?.close()
    await store?.close()
    await catalog?.close()
    await bucket?.cleanup()
    await database?.cleanup()
  })

  it('renders an alert and serves its three images from the bucket', async () => {
    const views = await catalog.listAlertViews({ limit: 10 })
    expect(views).toHaveLength(2)
    for (const view of views) {
      const page = await app.inject({ method: 'GET', url: `/?alert_num=${view.alert.imageEventAlertId}` })
      expect(page.statusCode).toBe(200)
      const previous = view.previousImage
      expect(previous).toMatchObject({ stream: view.image.stream, imageNum: 2 })
      const sources = [...page.body.matchAll(/<figure data-role="[a-z]+">\s*<a class="frame" href="[^"]+"><img src="([^"]+)"/g)].map(
        (match) => match[1],
      )
      expect(sources).toEqual([`images/${previous?.imageId}`, `images/${view.image.imageId}`, `difference/${view.event.imageEventId}`])
      for (const [source, key] of [
        [sources[0], previous?.imageObjectKey],
        [sources[1], view.image.imageObjectKey],
        [sources[2], view.event.differenceImageObjectKey],
      ] as const) {
        const image = await app.inject({ method: 'GET', url: `/${source}` })
        expect(image.statusCode).toBe(200)
        expect(image.headers['content-type']).toBe('image/jpeg')
        expect(image.rawPayload.equals(await store.get(key ?? ''))).toBe(true)
      }
    }
    const health = await app.inject({ method: 'GET', url: '/health' })
    expect(health.json()).toEqual({ status: 'ok' })
  })
})

/**
 * `imgpipe db create` on tables the original pipeline created (its `create_pipeline_database.py`
 * statements, below, translated for PostgreSQL and SQLite): migrated in place, rows kept; incompatible
 * tables refused with the table and column named.
 */
import { DELIVERY_TABLES_CHILDREN_FIRST } from '../../../../src/adapters/sql/subscription-schema.js'
import { afterEach, describe, expect, it } from 'vitest'
import { freshDatabaseUrl, type FreshDatabase } from '../../../support/catalog-backends.js'
import { cleanEnv, runCli } from '../../../support/cli.js'
import { inCi } from '../../../support/integration.js'
import { insertOneImage, recordOneAnalysis } from '../../../support/catalog-writes.js'
import { objectLedgerDeps } from '../../../../src/analysis/association/ledger-deps.js'
import { detection } from '../../../contracts/object-ledger-contract.js'

type Kind = 'sqlite' | 'mysql' | 'postgres'

/** The original's CREATE TABLE statements (MySQL), and the same tables for the other two databases. */
function originalTables(kind: Kind): string[] {
  const id = { mysql: 'INT AUTO_INCREMENT PRIMARY KEY', postgres: 'SERIAL PRIMARY KEY', sqlite: 'INTEGER PRIMARY KEY AUTOINCREMENT' }[kind]
  return [
    `CREATE TABLE image_metadata (image_id ${id}, image_filename VARCHAR(255) NOT NULL UNIQUE, image_object_key VARCHAR(255) UNIQUE)`,
    `CREATE TABLE image_event (image_event_id ${id}, image_id INT NOT NULL, difference_image_object_key VARCHAR(255), FOREIGN KEY (image_id) REFERENCES image_metadata(image_id))`,
    `CREATE TABLE image_event_alert (image_event_alert_id ${id}, image_event_id INT NOT NULL UNIQUE, FOREIGN KEY (image_event_id) REFERENCES image_event(image_event_id))`,
  ]
}

/** What the original's clients write: two columns per image, event and key, the bare alert row. */
const ORIGINAL_ROWS = [
  "INSERT INTO image_metadata (image_filename, image_object_key) VALUES ('image_00001.jpg', 'image/image_00001.jpg')",
  "INSERT INTO image_metadata (image_filename, image_object_key) VALUES ('image_00002.jpg', 'image/image_00002.jpg')",
  "INSERT INTO image_metadata (image_filename, image_object_key) VALUES ('image_00003.jpg', 'image/image_00003.jpg')",
  'INSERT INTO image_event (image_id) VALUES (3)',
  "UPDATE image_event SET difference_image_object_key = 'difference_image/image_event_00001.jpg' WHERE image_event_id = 1",
  'INSERT INTO image_event_alert (image_event_id) VALUES (1)',
]

let database: FreshDatabase | null = null
afterEach(async () => {
  await database?.cleanup()
  database = null
})

async function open(kind: Kind): Promise<FreshDatabase | null> {
  database = await freshDatabaseUrl(kind)
  if (database === null && inCi) throw new Error(`CI=true but no ${kind} test server`)
  return database
}

async function run(db: FreshDatabase, statements: string[]): Promise<void> {
  const catalog = db.openCatalog()
  try {
    for (const statement of statements) await catalog.executeSql(statement)
  } finally {
    await catalog.close()
  }
}

function dbCreate(db: FreshDatabase) {
  return runCli(['db', 'create'], cleanEnv({ IMGPIPE_DATABASE_URL: db.url, IMGPIPE_DATABASE_PASSWORD: db.password }))
}

for (const kind of ['sqlite', 'mysql', 'postgres'] as const) {
  describe(`take-over of the original's tables (${kind})`, () => {
    it('imgpipe db create migrates them in place, keeps the rows, and imgpipe works on them after', async (context) => {
      const db = await open(kind)
      if (db === null) return context.skip()
      await run(db, [...originalTables(kind), ...ORIGINAL_ROWS])
      const created = await dbCreate(db)
      expect(created.stderr).toBe('')
      expect(created.code).toBe(0)
      expect(created.stdout).toMatch(/applied 0001-initial, 0002-nullable-difference-key/)
      expect(created.stdout).toMatch(/image_metadata 3, image_event 1, image_event_alert 1/)
      expect((await dbCreate(db)).stdout).toMatch(/schema up to date/)

      const catalog = db.openCatalog()
      try {
        const image = await catalog.getImage(3)
        expect(image).toMatchObject({ imageFilename: 'image_00003.jpg', imageObjectKey: 'image/image_00003.jpg', stream: 'default' })
        expect(image).toMatchObject({ imageNum: null, status: 'received' })
        expect(await catalog.getEvent(1)).toMatchObject({ imageId: 3, differenceImageObjectKey: 'difference_image/image_event_00001.jpg' })
        expect(await catalog.executeSql('SELECT image_event_id FROM image_event_alert WHERE image_event_alert_id = 1')).toEqual([
          { image_event_id: 1 },
        ])
        // imgpipe's own writes: numbered rows (unique per stream), the same file name in another stream.
        const mine = await insertOneImage(catalog, {
          stream: 'cam',
          imageNum: 1,
          imageFilename: 'image_00001.jpg',
          imageObjectKey: 'image/cam__image_00001.jpg',
          contentSha256: null,
          byteSize: 1,
          width: null,
          height: null,
          format: null,
          status: 'received',
        })
        expect(mine).toMatchObject({ image: { imageId: 4, imageFilename: 'image_00001.jpg' } })
        const same = { stream: 'cam', imageNum: 1, imageFilename: 'other.jpg', imageObjectKey: 'image/cam__image_00001.jpg' }
        const again = { ...same, contentSha256: null, byteSize: 1, width: null, height: null, format: null, status: 'received' as const }
        expect((await insertOneImage(catalog, again)).image).toEqual(mine.image)
        await catalog.assignImageNum(3, 'default', 3)
        expect(await catalog.findPreviousImage('default', 4)).toMatchObject({ imageId: 3 })
        const { event } = await recordOneAnalysis(
          catalog,
          4,
          { previousImageId: null, l2Norm: 1, changedFraction: 1, maxAbsDifference: 1, analyzedAt: new Date() },
          { imageId: 4, differenceImageObjectKey: null, eventType: 'changed', analyzer: 'x', analyzerVersion: '1' },
        )
        expect(event?.imageEventId).toBe(2)
        // Difference imaging's tables (0006) work beside the adopted ones: a reference, a run, a stamp, a detection.
        const science = catalog.scienceLedger()
        const reference = await science.claimReference({ stream: 'cam', field: 'F', filter: 'r' }, 60_000)
        await science.recordDiffimRuns([
          {
            imageId: 4,
            referenceId: reference!.referenceId,
            psfMethod: 'gaussian-kernel',
            scienceFwhm: 3,
            referenceFwhm: 2,
            noiseCorrection: 1,
            candidates: 1,
            detections: 1,
            seconds: 0.5,
            fakes: [],
          },
        ])
        await science.recordDerivatives([
          { imageEventId: 2, name: 'difference.fits', objectKey: 'd.fits', contentType: 'image/fits', sourceId: null },
        ])
        await catalog.objectLedger(objectLedgerDeps).associate([detection(10, 20, 61000, { imageId: 4, imageEventId: 2, apFlux: 5 })])
        expect(await science.getDiffimRun(4)).toMatchObject({ stream: 'cam', referenceId: reference!.referenceId })
        expect((await science.listDerivatives(2)).map((row) => row.name)).toEqual(['difference.fits'])
        expect((await catalog.objectLedger(objectLedgerDeps).detectionsOfEvents([2])).get(2)).toMatchObject([{ imageId: 4, apFlux: 5 }])
        // And the original's own statements still work on the migrated tables.
        await catalog.executeSql(
          "INSERT INTO image_metadata (image_filename, image_object_key) VALUES ('image_00004.jpg', 'image/image_00004.jpg')",
        )
        expect((await catalog.tableCounts()).image_metadata).toBe(5)
      } finally {
        await catalog.close()
      }
    }, 60_000)

    it("takes over tables the original's script re-created after imgpipe's migrations", async (context) => {
      const db = await open(kind)
      if (db === null) return context.skip()
      expect((await dbCreate(db)).code).toBe(0)
      await run(db, [
        // imgpipe's delivery tables refer to the alerts: the original's drops can only come after theirs.
        ...DELIVERY_TABLES_CHILDREN_FIRST.map((table) => `DROP TABLE ${table}`),
        'DROP TABLE image_event_alert',
        'DROP TABLE image_event',
        'DROP TABLE image_metadata',
        ...originalTables(kind),
        ...ORIGINAL_ROWS,
      ])
      const again = await dbCreate(db)
      expect(again.code).toBe(0)
      expect(again.stdout).toMatch(/take-over-original-tables/)
      const catalog = db.openCatalog()
      try {
        expect(await catalog.counts()).toMatchObject({ images: 3, events: 1, alerts: 1 })
        expect(Object.keys(await catalog.tableCounts())).toContain('image_event')
        // The original's script touches none of 0006's tables: the event types are still there.
        expect(await catalog.scienceLedger().eventTypes()).toHaveLength(5)
      } finally {
        await catalog.close()
      }
    }, 60_000)

    it('refuses an incompatible table, naming the table and the column', async (context) => {
      const db = await open(kind)
      if (db === null) return context.skip()
      const tables = originalTables(kind)
      tables[1] = tables[1]!.replace(
        'difference_image_object_key VARCHAR(255)',
        'difference_image_object_key VARCHAR(255), priority VARCHAR(8)',
      )
      await run(db, tables)
      const created = await dbCreate(db)
      expect(created.code).not.toBe(0)
      expect(created.stderr).toMatch(/image_event.*priority/)
      const typedTables = originalTables(kind)
      typedTables[0] = typedTables[0]!.replace('image_object_key VARCHAR(255)', 'image_object_key INT')
      await run(db, ['DROP TABLE image_event_alert', 'DROP TABLE image_event', 'DROP TABLE image_metadata', ...typedTables])
      const typed = await dbCreate(db)
      expect(typed.code).not.toBe(0)
      expect(typed.stderr).toMatch(/image_metadata: column image_object_key is/)
    }, 60_000)
  })
}

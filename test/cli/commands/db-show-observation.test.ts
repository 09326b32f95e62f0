import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { textRows } from '../../../src/cli/commands/db-command.js'
import { freshDatabaseUrl } from '../../support/catalog-backends.js'
import type { FreshDatabase } from '../../support/catalog-backends.js'
import { cleanEnv, runCli } from '../../support/cli.js'
import { newImage } from '../../contracts/catalog-fixtures.js'
import { scienceObservation } from '../../contracts/catalog-observation-contract.js'
import { insertOneImage } from '../../support/catalog-writes.js'

/** `imgpipe db show` of a catalog holding a FITS image (with its observation columns) and a picture. */
describe('imgpipe db show of science images (SQLite)', () => {
  let db: FreshDatabase
  let env: Record<string, string>
  const observation = scienceObservation()

  beforeAll(async () => {
    const fresh = await freshDatabaseUrl('sqlite')
    if (fresh === null) throw new Error('no SQLite test database')
    db = fresh
    env = cleanEnv({ IMGPIPE_DATABASE_URL: db.url })
    expect((await runCli(['db', 'create'], env)).code).toBe(0)
    const catalog = db.openCatalog()
    try {
      await insertOneImage(catalog, newImage('sky', 1, { imageFilename: 'ztf_r.fits', format: 'fits', observation }))
      await insertOneImage(catalog, newImage('cam', 1))
    } finally {
      await catalog.close()
    }
  })
  afterAll(async () => {
    await db?.cleanup()
  })

  it('prints the observation of a FITS image: time, filter, exposure, field, centre in degrees and sexagesimal, scale', async () => {
    const result = await runCli(['db', 'show', '--table', 'image_metadata', '--limit', '1', '--vertical'], env)
    expect(result.code).toBe(0)
    const lines = result.stdout.split('\n')
    const value = (column: string): string | undefined =>
      lines
        .find((line) => line.startsWith(`${column} `))
        ?.slice(column.length)
        .trim()
    expect(value('image_filename')).toBe('ztf_r.fits')
    expect(value('obs_time')).toBe('2024-01-02T02:57:46.666Z')
    expect(value('obs_mjd')).toBe('60310.123457')
    expect(value('filter')).toBe('ZTF_r')
    expect(value('exposure_s')).toBe('30')
    expect(value('field')).toBe('ZTF field 0700 / ccd 12')
    expect(value('center_ra')).toBe('150.119167')
    expect(value('center_dec')).toBe('-2.205833')
    expect(value('center')).toBe('10h00m28.600s -02°12′21.00″') // as the viewer writes it (core/sexagesimal.ts)
    expect(value('pixel_scale_arcsec')).toBe('1.01235')
    expect(value('fits_header')).toBe('300 cards (--json prints them)')
    expect(result.stdout).not.toContain('SIMPLE  =')
  })

  it('--json carries every observation column with its full value, the header included', async () => {
    const result = await runCli(['db', 'show', '--table', 'image_metadata', '--json'], env)
    expect(result.code).toBe(0)
    const rows = (JSON.parse(result.stdout) as { tables: { image_metadata: { rows: Record<string, unknown>[] } } }).tables.image_metadata
      .rows
    expect(rows[0]).toMatchObject({
      fits_hdu: 1,
      obs_mjd: observation.obsMjd,
      obs_time: observation.obsTime,
      exposure_s: observation.exposureS,
      filter: observation.filter,
      field: observation.field,
      center_ra: observation.centerRa,
      center_dec: observation.centerDec,
      pixel_scale_arcsec: observation.pixelScaleArcsec,
      fits_header: observation.header,
    })
    expect(JSON.parse(String(rows[0]!['footprint']))).toEqual(observation.footprint)
    expect(rows[1]).toMatchObject({ image_filename: 'image_00001.jpg', filter: null, fits_header: null })
  })

  it('leaves the observation columns out of a page of pictures only, where they are all NULL', async () => {
    const result = await runCli(['db', 'show', '--table', 'image_metadata', '--after', '1'], env)
    expect(result.code).toBe(0)
    expect(result.stdout).toContain('image_00001.jpg')
    for (const column of ['obs_time', 'filter', 'fits_header', 'center']) expect(result.stdout).not.toMatch(new RegExp(`\\b${column}\\b`))
  })
})

describe('db show text rows', () => {
  it('keeps the other tables as they are', () => {
    const rows = [{ image_event_id: 1, filter: 'x' }]
    expect(textRows('image_event', rows)).toEqual(rows)
  })

  it('shows no sexagesimal centre when the image has no sky position', () => {
    const [row] = textRows('image_metadata', [{ image_id: 1, center_ra: null, center_dec: null, fits_header: 'SIMPLE  =    T' }])
    expect(row).toEqual({ image_id: 1, center_ra: null, center_dec: null, center: null, fits_header: '1 card (--json prints them)' })
  })
})

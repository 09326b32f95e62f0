import { describe, expect, it } from 'vitest'
import type { ImageObservation } from '../../src/core/types.js'
import type { OpenedCatalog } from '../support/catalog-backends.js'
import { migratedCatalogPerTest, newImage } from './catalog-fixtures.js'
import { insertOneImage } from '../support/catalog-writes.js'

/** One 80-character card. */
function card(keyword: string, value: string, comment = ''): string {
  const text = `${keyword.padEnd(8)}= ${value.padStart(20)}${comment === '' ? '' : ` / ${comment}`}`
  return text.padEnd(80).slice(0, 80)
}

/** A header of `count` cards, joined by '\n' as ImageObservation.header is (trailing blanks kept). */
export function headerOfCards(count: number): string {
  const cards = [card('SIMPLE', 'T'), card('BITPIX', '-32'), card('NAXIS', '2'), card('FILTER', "'r       '")]
  for (let index = cards.length; index < count; index += 1)
    cards.push(card(`HIERARCH${index}`.slice(0, 8), String(index * 0.1), `card ${index}`))
  return cards.join('\n')
}

/** Values that lose digits if a driver or column rounds: 17 significant digits, tiny and negative ones. */
export function scienceObservation(overrides: Partial<ImageObservation> = {}): ImageObservation {
  return {
    hdu: 1,
    obsMjd: 60_310.123_456_789_01,
    obsTime: '2024-01-02T02:57:46.666Z',
    exposureS: 29.999_999_999_999_996,
    filter: 'ZTF_r',
    field: 'ZTF field 0700 / ccd 12',
    centerRa: 150.119_166_666_666_67,
    centerDec: -2.205_833_333_333_333,
    pixelScaleArcsec: 1.012_345_678_901_234_4,
    footprint: [
      [150.469_166_666_666_67, -2.555_833_333_333_333],
      [150.469_166_666_666_67, -1.855_833_333_333_333_2],
      [359.999_999_999_999_94, -1.855_833_333_333_333_2],
      [1e-12, -2.555_833_333_333_333],
    ],
    header: headerOfCards(300),
    ...overrides,
  }
}

/** The observation columns (migration 0005): every field round-trips on every dialect, pictures read null. */
export function catalogObservationContract(name: string, open: () => Promise<OpenedCatalog>): void {
  describe(`Catalog observation columns: ${name}`, () => {
    const fresh = migratedCatalogPerTest(open)

    it('round-trips every observation field of a science image, doubles to the last bit and a 300-card header', async () => {
      const { catalog } = fresh
      const observation = scienceObservation()
      expect(observation.header.split('\n')).toHaveLength(300)
      expect(observation.header.length).toBe(300 * 81 - 1)
      const { image } = await insertOneImage(catalog, newImage('sky', 1, { format: 'fits', observation }))
      expect(image.observation).toEqual(observation)
      // Read back through other queries too: by id, and in a batch with a picture.
      expect((await catalog.getImage(image.imageId))?.observation).toEqual(observation)
      const [batchScience, batchPicture] = await catalog.insertImages([
        newImage('sky', 2, { format: 'fits', observation: scienceObservation({ hdu: 0, obsMjd: 0.1 + 0.2 }) }),
        newImage('sky', 3),
      ])
      expect(batchScience?.observation).toEqual(scienceObservation({ hdu: 0, obsMjd: 0.1 + 0.2 }))
      expect((await catalog.getImage(batchScience!.imageId))?.observation?.obsMjd).toBe(0.1 + 0.2)
      expect(batchPicture?.observation).toBeNull()
      // The raw rows `db show --json` prints: the same values, the time as ISO text on every dialect.
      const [row] = await catalog.tableRows('image_metadata', { limit: 1 })
      expect(row).toMatchObject({
        fits_hdu: 1,
        obs_mjd: observation.obsMjd,
        obs_time: '2024-01-02T02:57:46.666Z',
        exposure_s: observation.exposureS,
        filter: 'ZTF_r',
        center_ra: observation.centerRa,
        fits_header: observation.header,
      })
      expect(JSON.parse(String(row?.['footprint']))).toEqual(observation.footprint)
    })

    it('keeps a header of 1000 FITS blocks (36 000 cards, 2.9 MB), beyond what a 64 KiB TEXT column holds', async () => {
      const { catalog } = fresh
      const header = headerOfCards(36_000)
      expect(header.length).toBeGreaterThan(2_900_000)
      const { image } = await insertOneImage(catalog, newImage('sky', 1, { format: 'fits', observation: scienceObservation({ header }) }))
      const stored = (await catalog.getImage(image.imageId))?.observation?.header
      expect(stored?.length).toBe(header.length)
      expect(stored === header).toBe(true) // not toEqual: a 2.9 MB diff is no help
    })

    it('stores a window of images whose headers together pass 16 MiB (MariaDB max_allowed_packet), each in order', async () => {
      const { catalog } = fresh
      const header = headerOfCards(36_000)
      const images = Array.from({ length: 7 }, (_, index) =>
        newImage('sky', index + 1, { format: 'fits', observation: scienceObservation({ hdu: index, header }) }),
      )
      const stored = await catalog.insertImages(images)
      expect(stored.map((image) => [image.imageNum, image.observation?.hdu])).toEqual(images.map((_, index) => [index + 1, index]))
      expect(stored.every((image) => image.observation?.header === header)).toBe(true)
      // Again, all numbers taken: the same rows come back.
      expect((await catalog.insertImages(images)).map((image) => image.imageId)).toEqual(stored.map((image) => image.imageId))
    })

    it('reads null for an image without an observation, and for the original-style row written by hand', async () => {
      const { catalog, executeSql } = fresh.opened
      const { image } = await insertOneImage(catalog, newImage('cam', 1))
      expect(image.observation).toBeNull()
      expect((await catalog.getImage(image.imageId))?.observation).toBeNull()
      // The original's programs insert only their own columns: the new ones default to NULL.
      await executeSql("INSERT INTO image_metadata (image_filename, image_object_key) VALUES ('old.jpg', 'image/old.jpg')")
      const rows = await executeSql("SELECT image_id, filter, obs_mjd, fits_header FROM image_metadata WHERE image_filename = 'old.jpg'")
      expect(rows).toEqual([{ image_id: expect.anything(), filter: null, obs_mjd: null, fits_header: null }])
      expect((await catalog.getImage(Number(rows[0]!.image_id)))?.observation).toBeNull()
    })

    it('keeps optional fields null and stores a footprint-less, time-less observation', async () => {
      const { catalog } = fresh
      const sparse = scienceObservation({
        obsMjd: null,
        obsTime: null,
        exposureS: null,
        filter: null,
        field: null,
        centerRa: null,
        centerDec: null,
        pixelScaleArcsec: null,
        footprint: null,
        header: headerOfCards(5),
      })
      const { image } = await insertOneImage(catalog, newImage('sky', 1, { format: 'fits', observation: sparse }))
      expect(image.observation).toEqual(sparse)
    })

    it('cuts a filter or field longer than its 68-character column, keeping the full value in the header', async () => {
      const { catalog } = fresh
      const long = 'f'.repeat(100)
      const observation = scienceObservation({ filter: long, field: `${long}x`, header: `${headerOfCards(4)}\n${long}` })
      const { image } = await insertOneImage(catalog, newImage('sky', 1, { format: 'fits', observation }))
      expect(image.observation?.filter).toBe('f'.repeat(68))
      expect(image.observation?.field).toBe('f'.repeat(68))
      expect(image.observation?.header).toBe(observation.header)
    })

    it('stores a non-finite number as null on every dialect rather than failing the write', async () => {
      const { catalog } = fresh
      const observation = scienceObservation({ exposureS: Number.NaN, centerRa: Number.POSITIVE_INFINITY })
      const { image } = await insertOneImage(catalog, newImage('sky', 1, { format: 'fits', observation }))
      expect(image.observation).toMatchObject({ exposureS: null, centerRa: null, centerDec: observation.centerDec })
    })

    it('orders and filters images by observation time and by filter in plain SQL, as a user queries them', async () => {
      const { catalog, executeSql } = fresh.opened
      const times = ['2025-01-01T00:00:00.001Z', '2024-12-31T23:59:59.999Z', '2024-06-15T12:00:00.000Z', '2023-01-01T00:00:00.000Z']
      const filters = ['r', 'g', 'r', 'r']
      await catalog.insertImages(
        times.map((obsTime, index) =>
          newImage('sky', index + 1, {
            format: 'fits',
            observation: scienceObservation({ obsTime, obsMjd: Date.parse(obsTime) / 86_400_000 + 40_587, filter: filters[index]! }),
          }),
        ),
      )
      await insertOneImage(catalog, newImage('cam', 1))
      const byTime = await executeSql('SELECT image_num FROM image_metadata WHERE obs_time IS NOT NULL ORDER BY obs_time')
      expect(byTime.map((row) => Number(row.image_num))).toEqual([4, 3, 2, 1])
      // Later than image 3's time, compared as time (not as text of another format).
      const later = await executeSql(
        `SELECT image_num FROM image_metadata WHERE obs_time > (SELECT obs_time FROM image_metadata WHERE stream = 'sky' AND image_num = 3) ORDER BY image_num`,
      )
      expect(later.map((row) => Number(row.image_num))).toEqual([1, 2])
      const rBand = await executeSql(`SELECT image_num FROM image_metadata WHERE filter = 'r' AND obs_mjd > 60000 ORDER BY obs_mjd`)
      expect(rBand.map((row) => Number(row.image_num))).toEqual([3, 1])
    })
  })
}

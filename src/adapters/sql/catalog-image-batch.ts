import { sql } from 'kysely'
import type { Insertable, Kysely } from 'kysely'
import { CatalogUnavailableError, NotFoundError } from '../../core/errors.js'
import type { IngestedLookup } from '../../core/ports/catalog.js'
import type { ImageRecord, NewImage } from '../../core/types.js'
import type { CatalogDatabase, ImageMetadataRow } from './catalog-schema.js'
import { MAX_ERROR_CODE, MAX_ERROR_MESSAGE, truncate } from './column-limits.js'
import { headerChars, toObservationValues } from './observation-columns.js'
import { toImageRecord } from './row-mappers.js'
import { toDbTimestamp } from './sql-dialect.js'
import type { SqlDialectKind } from './sql-dialect.js'

/**
 * The receive stage's writes for a window of images, each one statement whatever the window's size: the
 * duplicate look-up, the claim of the rows (multi-row insert, idempotent on (stream, image_num)) and the end
 * of their `storing` state. One round trip per step instead of one per image is what lets receive keep up
 * with an object store that takes tens of milliseconds per put.
 */

type ImageValues = Insertable<CatalogDatabase['image_metadata']> & { stream: string; image_num: number }

export function toImageValues(kind: SqlDialectKind, image: NewImage, receivedAt: Date): ImageValues {
  return {
    stream: image.stream,
    image_num: image.imageNum,
    image_filename: image.imageFilename,
    image_object_key: image.imageObjectKey,
    content_sha256: image.contentSha256,
    byte_size: image.byteSize,
    width: image.width,
    height: image.height,
    format: image.format,
    status: image.status,
    error_code: truncate(image.errorCode, MAX_ERROR_CODE),
    error_message: truncate(image.errorMessage, MAX_ERROR_MESSAGE),
    received_at: toDbTimestamp(kind, receivedAt),
    ...toObservationValues(kind, image.observation),
  }
}

/**
 * Header text per INSERT: a window of science images with big headers is split so that no statement nears
 * MariaDB's 16 MiB max_allowed_packet (and no server parses one huge statement); pictures have none.
 */
const MAX_HEADER_CHARS_PER_STATEMENT = 4 * 1024 * 1024

function byHeaderSize(values: readonly ImageValues[]): ImageValues[][] {
  const chunks: ImageValues[][] = []
  let chunk: ImageValues[] = []
  let chars = 0
  for (const value of values) {
    const size = headerChars(value)
    if (chunk.length > 0 && chars + size > MAX_HEADER_CHARS_PER_STATEMENT) {
      chunks.push(chunk)
      chunk = []
      chars = 0
    }
    chunk.push(value)
    chars += size
  }
  if (chunk.length > 0) chunks.push(chunk)
  return chunks
}

/**
 * Inserts every image whose (stream, image_num) is free, in the given order (so ids follow it, as they would
 * one by one), and returns the stored row of each number: the new one, or the one that was already there.
 * MySQL: `ON DUPLICATE KEY UPDATE id = id` rather than INSERT IGNORE, which would swallow data errors too.
 */
export async function insertImages(db: Kysely<CatalogDatabase>, kind: SqlDialectKind, images: readonly NewImage[]): Promise<ImageRecord[]> {
  if (images.length === 0) return []
  const receivedAt = new Date()
  const chunks = byHeaderSize(images.map((image) => toImageValues(kind, image, receivedAt)))
  let stored: ImageMetadataRow[] = []
  if (kind === 'mysql') {
    for (const values of chunks)
      await db
        .insertInto('image_metadata')
        .values(values)
        .onDuplicateKeyUpdate({ image_id: sql.ref('image_id') })
        .execute()
    stored = await selectByNumbers(db, images)
  } else {
    for (const values of chunks)
      stored.push(
        ...(await db
          .insertInto('image_metadata')
          .values(values)
          .onConflict((conflict) => conflict.columns(['stream', 'image_num']).doNothing())
          .returningAll()
          .execute()),
      )
    // Some numbers were taken already: read those rows back.
    if (stored.length < images.length) stored = await selectByNumbers(db, images)
  }
  const byNumber = new Map(stored.map((row) => [numberKey(row.stream, row.image_num ?? 0), row]))
  return images.map((image) => {
    const row = byNumber.get(numberKey(image.stream, image.imageNum))
    // Only a concurrent `db empty`/`reset` between insert and read-back gets here.
    if (row === undefined)
      throw new CatalogUnavailableError(`image ${image.stream}#${image.imageNum} disappeared while it was being written; retry`)
    return toImageRecord(row)
  })
}

function selectByNumbers(db: Kysely<CatalogDatabase>, images: readonly NewImage[]): Promise<ImageMetadataRow[]> {
  const numbersByStream = new Map<string, number[]>()
  for (const image of images) numbersByStream.set(image.stream, [...(numbersByStream.get(image.stream) ?? []), image.imageNum])
  return db
    .selectFrom('image_metadata')
    .selectAll()
    .where((eb) =>
      eb.or([...numbersByStream].map(([stream, numbers]) => eb.and([eb('stream', '=', stream), eb('image_num', 'in', numbers)]))),
    )
    .execute()
}

function numberKey(stream: string, imageNum: number): string {
  return `${imageNum}\u0000${stream}`
}

/** `storing` → status for every given image still storing; returns the rows (in the given order). */
export async function finishStoringImages(
  db: Kysely<CatalogDatabase>,
  imageIds: readonly number[],
  status: 'received' | 'failed',
): Promise<ImageRecord[]> {
  if (imageIds.length === 0) return []
  await db.updateTable('image_metadata').set({ status }).where('image_id', 'in', imageIds).where('status', '=', 'storing').execute()
  const rows = await db.selectFrom('image_metadata').selectAll().where('image_id', 'in', imageIds).execute()
  const byId = new Map(rows.map((row) => [Number(row.image_id), row]))
  return imageIds.map((imageId) => {
    const row = byId.get(imageId)
    if (row === undefined) throw new NotFoundError(`no image_metadata row with image_id ${imageId}`)
    return toImageRecord(row)
  })
}

/** Every image matching one of the look-ups exactly (stream, bytes and file name), ascending by id. */
export async function findIngestedImages(db: Kysely<CatalogDatabase>, lookups: readonly IngestedLookup[]): Promise<ImageRecord[]> {
  if (lookups.length === 0) return []
  const rows = await db
    .selectFrom('image_metadata')
    .selectAll()
    .where((eb) =>
      eb.or(
        lookups.map((lookup) =>
          eb.and([
            eb('stream', '=', lookup.stream),
            eb('content_sha256', '=', lookup.contentSha256),
            eb('image_filename', '=', lookup.imageFilename),
          ]),
        ),
      ),
    )
    .orderBy('image_id')
    .execute()
  // Exact in JS too: MySQL's PAD SPACE collation would match 'bear.jpg ' to 'bear.jpg'.
  const wanted = new Set(lookups.map((lookup) => lookupKey(lookup.stream, lookup.contentSha256, lookup.imageFilename)))
  return rows
    .filter((row) => row.content_sha256 !== null && wanted.has(lookupKey(row.stream, row.content_sha256, row.image_filename)))
    .map(toImageRecord)
}

function lookupKey(stream: string, contentSha256: string, imageFilename: string): string {
  return `${stream}\u0000${contentSha256}\u0000${imageFilename}`
}

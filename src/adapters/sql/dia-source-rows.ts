import { sql } from 'kysely'
import type { Kysely, Selectable } from 'kysely'
import type { DetectionInput, DiaSourceRecord } from '../../core/ports/object-ledger.js'
import type { DiaSourceTable, ObjectDatabase } from './object-schema.js'
import { toNumber, toNumberOrNull } from './row-mappers.js'
import { toDbTimestamp } from './sql-dialect.js'
import type { SqlDialectKind } from './sql-dialect.js'

/** `dia_source` rows: written by the association, read back as detections (history, per image, per event). */

const ROWS_PER_INSERT = 400
/**
 * Ids bound in one `in (…)` read: under SQLite's oldest limit of 999 parameters (MariaDB and PostgreSQL allow
 * 65,535), and a batch of the alert stage (500 events) still reads in one statement.
 */
export const IDS_PER_QUERY = 900

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = []
  for (let at = 0; at < items.length; at += size) out.push(items.slice(at, at + size))
  return out
}

/** A measurement column: absent from the record when the detection had none (0004's rows, pixel-only callers). */
function optional(value: number | string | null): number | undefined {
  return value === null ? undefined : Number(value)
}

export function toSource(row: Selectable<DiaSourceTable>): DiaSourceRecord {
  const measured = {
    apFlux: optional(row.ap_flux),
    apFluxErr: optional(row.ap_flux_err),
    fwhm: optional(row.fwhm),
    elongation: optional(row.elongation),
    nbad: optional(row.nbad),
    nneg: optional(row.nneg),
    edgeDistance: optional(row.edge_distance),
  }
  return {
    sourceId: toNumber(row.source_id),
    objectId: toNumber(row.object_id),
    imageId: toNumberOrNull(row.image_id),
    imageEventId: toNumberOrNull(row.image_event_id),
    stream: row.stream,
    ra: Number(row.ra_deg),
    dec: Number(row.dec_deg),
    mjd: Number(row.mjd),
    filter: row.filter,
    psfFlux: Number(row.psf_flux),
    psfFluxErr: Number(row.psf_flux_err),
    snr: Number(row.snr),
    realBogus: Number(row.real_bogus),
    kind: row.kind,
    x: Number(row.x),
    y: Number(row.y),
    ...Object.fromEntries(Object.entries(measured).filter(([, value]) => value !== undefined)),
  }
}

/** Per image of the batch that has rows already, their object ids in source-id order: what a retry replays. */
export async function selectRecordedObjects(
  trx: Kysely<ObjectDatabase>,
  detections: readonly DetectionInput[],
): Promise<Map<number, number[]>> {
  const imageIds = [...new Set(detections.map((detection) => detection.imageId).filter((id): id is number => id !== null))]
  const recorded = new Map<number, number[]>()
  for (const group of chunks(imageIds, ROWS_PER_INSERT)) {
    const rows = await trx
      .selectFrom('dia_source')
      .select(['image_id', 'object_id'])
      .where('image_id', 'in', group)
      .orderBy('source_id')
      .execute()
    for (const row of rows) {
      const imageId = toNumber(row.image_id!)
      const ids = recorded.get(imageId)
      if (ids === undefined) recorded.set(imageId, [toNumber(row.object_id)])
      else ids.push(toNumber(row.object_id))
    }
  }
  return recorded
}

/** Every event's detections in source-id order, one statement per IDS_PER_QUERY events; every id given is a key. */
export async function selectSourcesOfEvents(
  db: Kysely<ObjectDatabase>,
  imageEventIds: readonly number[],
): Promise<Map<number, DiaSourceRecord[]>> {
  const found = new Map<number, DiaSourceRecord[]>(imageEventIds.map((id) => [id, []]))
  for (const group of chunks([...found.keys()], IDS_PER_QUERY)) {
    const rows = await db.selectFrom('dia_source').selectAll().where('image_event_id', 'in', group).orderBy('source_id').execute()
    for (const row of rows) found.get(toNumber(row.image_event_id!))!.push(toSource(row))
  }
  return found
}

export async function insertSources(
  trx: Kysely<ObjectDatabase>,
  kind: SqlDialectKind,
  detections: readonly DetectionInput[],
  objectIds: readonly number[],
): Promise<void> {
  if (detections.length === 0) return
  const now = toDbTimestamp(kind, new Date())
  if (kind === 'postgres') {
    // One statement of column arrays: a few bind parameters instead of 23 per row, which PostgreSQL parses much faster.
    const column = <T>(pick: (detection: DetectionInput) => T): T[] => detections.map(pick)
    await sql`insert into dia_source (object_id, image_id, stream, ra_deg, dec_deg, mjd, filter, psf_flux, psf_flux_err, snr,
        real_bogus, kind, x, y, image_event_id, ap_flux, ap_flux_err, fwhm, elongation, nbad, nneg, edge_distance, created_at)
      select t.*, ${now}::timestamptz from unnest(${objectIds}::integer[], ${column((d) => d.imageId)}::integer[],
        ${column((d) => d.stream)}::varchar[], ${column((d) => d.ra)}::float8[], ${column((d) => d.dec)}::float8[],
        ${column((d) => d.mjd)}::float8[], ${column((d) => d.filter)}::varchar[], ${column((d) => d.psfFlux)}::float8[],
        ${column((d) => d.psfFluxErr)}::float8[], ${column((d) => d.snr)}::float8[], ${column((d) => d.realBogus)}::float8[],
        ${column((d) => d.kind)}::varchar[], ${column((d) => d.x)}::float8[], ${column((d) => d.y)}::float8[],
        ${column((d) => d.imageEventId ?? null)}::integer[], ${column((d) => d.apFlux ?? null)}::float8[],
        ${column((d) => d.apFluxErr ?? null)}::float8[], ${column((d) => d.fwhm ?? null)}::float8[],
        ${column((d) => d.elongation ?? null)}::float8[], ${column((d) => d.nbad ?? null)}::integer[],
        ${column((d) => d.nneg ?? null)}::integer[], ${column((d) => d.edgeDistance ?? null)}::float8[]) as t`.execute(trx)
    return
  }
  for (const group of chunks(
    detections.map((detection, index) => ({ detection, objectId: objectIds[index]! })),
    ROWS_PER_INSERT,
  )) {
    await trx
      .insertInto('dia_source')
      .values(
        group.map(({ detection, objectId }) => ({
          object_id: objectId,
          image_id: detection.imageId,
          stream: detection.stream,
          ra_deg: detection.ra,
          dec_deg: detection.dec,
          mjd: detection.mjd,
          filter: detection.filter,
          psf_flux: detection.psfFlux,
          psf_flux_err: detection.psfFluxErr,
          snr: detection.snr,
          real_bogus: detection.realBogus,
          kind: detection.kind,
          x: detection.x,
          y: detection.y,
          image_event_id: detection.imageEventId ?? null,
          ap_flux: detection.apFlux ?? null,
          ap_flux_err: detection.apFluxErr ?? null,
          fwhm: detection.fwhm ?? null,
          elongation: detection.elongation ?? null,
          nbad: detection.nbad ?? null,
          nneg: detection.nneg ?? null,
          edge_distance: detection.edgeDistance ?? null,
          created_at: now,
        })),
      )
      .execute()
  }
}

import { UsageError } from '../../core/errors.js'
import type { FakeRecord, ReferenceKey, ReferenceRecord } from '../../core/ports/science-ledger.js'
import { MAX_OBSERVATION_TEXT } from './column-limits.js'
import { toDate, toNumber } from './row-mappers.js'

/** Rows of migration 0006's tables → the ScienceLedger's records, and the checks made before writing them. */

/** Column widths of migration 0006 (`stream` as everywhere in the catalog). */
const MAX_STREAM = 255
export const MAX_PSF_METHOD = 64

/** Code-unit order, whatever the database's collation (PostgreSQL's follows the locale): as the memory ledger. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

export interface ReferenceRow {
  reference_id: number | string
  stream: string
  field: string
  filter: string
  version: number | string
  status: string
  object_key: string | null
  frames: number | string
  fwhm: number | null
  image_ids: string
  created_at: Date | string
}

export const REFERENCE_COLUMNS = [
  'reference_id',
  'stream',
  'field',
  'filter',
  'version',
  'status',
  'object_key',
  'frames',
  'fwhm',
  'image_ids',
  'created_at',
] as const

export function toReference(row: ReferenceRow): ReferenceRecord {
  return {
    referenceId: toNumber(row.reference_id),
    stream: row.stream,
    field: row.field,
    filter: row.filter,
    version: toNumber(row.version),
    status: row.status === 'ready' ? 'ready' : 'building',
    objectKey: row.object_key,
    frames: toNumber(row.frames),
    fwhm: row.fwhm === null ? null : Number(row.fwhm),
    imageIds: JSON.parse(row.image_ids) as number[],
    createdAt: toDate(row.created_at),
  }
}

/** Over-long text is refused before the insert: MySQL's INSERT IGNORE would cut it silently. */
export function checkLength(what: string, value: string, max: number): void {
  if (value.length > max) throw new UsageError(`${what} is longer than ${max} characters: ${value.slice(0, 40)}…`)
}

export function checkKey(key: ReferenceKey): void {
  checkLength('reference stream', key.stream, MAX_STREAM)
  checkLength('reference field', key.field, MAX_OBSERVATION_TEXT)
  checkLength('reference filter', key.filter, MAX_OBSERVATION_TEXT)
}

export function byField(a: ReferenceRecord, b: ReferenceRecord): number {
  return compareText(a.stream, b.stream) || compareText(a.field, b.field) || compareText(a.filter, b.filter) || a.version - b.version
}

export interface FakeRow {
  image_id: number | string
  x: number
  y: number
  flux: number
  mag: number
  expected_snr: number
  recovered: number | string
  measured_flux: number | null
}

export function toFake(row: FakeRow): FakeRecord {
  return {
    x: Number(row.x),
    y: Number(row.y),
    flux: Number(row.flux),
    mag: Number(row.mag),
    expectedSnr: Number(row.expected_snr),
    recovered: toNumber(row.recovered) !== 0,
    measuredFlux: row.measured_flux === null ? null : Number(row.measured_flux),
  }
}

export const FAKE_COLUMNS = ['f.image_id', 'f.x', 'f.y', 'f.flux', 'f.mag', 'f.expected_snr', 'f.recovered', 'f.measured_flux'] as const

import type { ColumnType, Generated, Kysely } from 'kysely'
import type { CatalogDatabase } from './catalog-schema.js'

/** The tables of migration 0004 (and 0006's columns of dia_source) as Kysely sees them. PostgreSQL may return integers as strings. */
type Int = ColumnType<number | string, number, number>
type DefaultedTimestamp = ColumnType<Date | string, Date | string | undefined, Date | string>
type Nullable<T> = ColumnType<T | null, T | null | undefined, T | null>

export interface DiaObjectTable {
  object_id: Generated<number>
  ra_deg: number
  dec_deg: number
  sky_key: Int
  n_detections: Int
  first_mjd: number
  last_mjd: number
  stream: string
  flux_sums: string
  created_at: DefaultedTimestamp
}

export interface DiaSourceTable {
  source_id: Generated<number>
  object_id: number
  image_id: number | null
  stream: string
  ra_deg: number
  dec_deg: number
  mjd: number
  filter: string
  psf_flux: number
  psf_flux_err: number
  snr: number
  real_bogus: number
  kind: string
  x: number
  y: number
  created_at: DefaultedTimestamp
  // Migration 0006: the event and the rest of difference imaging's measurement, null for 0004's rows.
  image_event_id: Nullable<number>
  ap_flux: Nullable<number>
  ap_flux_err: Nullable<number>
  fwhm: Nullable<number>
  elongation: Nullable<number>
  nbad: Nullable<number>
  nneg: Nullable<number>
  edge_distance: Nullable<number>
}

export interface ZoneLockTable {
  zone: number
  version: Int
}

export interface WatchlistTable {
  watchlist_id: Generated<number>
  name: string
  created_at: DefaultedTimestamp
}

export interface WatchlistConeTable {
  cone_id: Generated<number>
  watchlist_id: number
  name: string
  ra_deg: number
  dec_deg: number
  radius_arcsec: number
  sky_key: number
}

export interface ObjectDatabase extends CatalogDatabase {
  dia_object: DiaObjectTable
  dia_source: DiaSourceTable
  dia_zone_lock: ZoneLockTable
  watchlist: WatchlistTable
  watchlist_cone: WatchlistConeTable
}

/** Height of a lock band, degrees: a batch locks the bands its cones touch (about 4 for one image). */
export const LOCK_ZONE_DEG = 0.1
export const LOCK_ZONE_COUNT = Math.round(180 / LOCK_ZONE_DEG)

export function lockZoneOf(dec: number): number {
  return Math.min(LOCK_ZONE_COUNT - 1, Math.max(0, Math.floor((dec + 90) / LOCK_ZONE_DEG)))
}

/** Children first: the order for drops. */
export const OBJECT_TABLES_CHILDREN_FIRST = ['dia_source', 'dia_object', 'dia_zone_lock', 'watchlist_cone', 'watchlist'] as const

export function objectDb(db: Kysely<CatalogDatabase>): Kysely<ObjectDatabase> {
  return db as unknown as Kysely<ObjectDatabase>
}

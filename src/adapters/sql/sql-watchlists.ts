import type { Kysely } from 'kysely'
import type { NewWatchlistCone, ObjectLedgerDeps, WatchlistCone, WatchlistRecord } from '../../core/ports/object-ledger.js'
import type { ObjectDatabase } from './object-schema.js'
import { toNumber } from './row-mappers.js'
import { toDbTimestamp } from './sql-dialect.js'
import type { SqlDialectKind } from './sql-dialect.js'

/** The ObjectLedger's watchlists: cone lists matched through the same sky index as the objects. */

type Db = Kysely<ObjectDatabase>

const ROWS_PER_INSERT = 400

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = []
  for (let at = 0; at < items.length; at += size) out.push(items.slice(at, at + size))
  return out
}

/** Creates a watchlist with its cones in one transaction (a taken name fails on the unique key). */
export function insertWatchlist(
  db: Db,
  kind: SqlDialectKind,
  deps: Pick<ObjectLedgerDeps, 'skyKey'>,
  name: string,
  cones: readonly NewWatchlistCone[],
): Promise<WatchlistRecord> {
  return db.transaction().execute(async (trx) => {
    const createdAt = new Date()
    const [result] = await trx
      .insertInto('watchlist')
      .values({ name, created_at: toDbTimestamp(kind, createdAt) })
      .$if(kind === 'postgres', (query) => query.returning('watchlist_id'))
      .execute()
    const row = result as { watchlist_id?: number | string; insertId?: bigint }
    const watchlistId = toNumber(row.watchlist_id ?? row.insertId!)
    for (const group of chunks(cones, ROWS_PER_INSERT)) {
      await trx
        .insertInto('watchlist_cone')
        .values(
          group.map((cone) => ({
            watchlist_id: watchlistId,
            name: cone.name,
            ra_deg: cone.ra,
            dec_deg: cone.dec,
            radius_arcsec: cone.radiusArcsec,
            sky_key: deps.skyKey(cone.ra, cone.dec),
          })),
        )
        .execute()
    }
    return { watchlistId, name, cones: cones.length, createdAt }
  })
}

export async function selectWatchlists(db: Db): Promise<WatchlistRecord[]> {
  const rows = await db
    .selectFrom('watchlist')
    .leftJoin('watchlist_cone', 'watchlist_cone.watchlist_id', 'watchlist.watchlist_id')
    .select((eb) => ['watchlist.watchlist_id', 'watchlist.name', 'watchlist.created_at', eb.fn.count('watchlist_cone.cone_id').as('cones')])
    .groupBy(['watchlist.watchlist_id', 'watchlist.name', 'watchlist.created_at'])
    .orderBy('watchlist.name')
    .execute()
  return rows.map((row) => ({
    watchlistId: toNumber(row.watchlist_id),
    name: row.name,
    cones: toNumber(row.cones as number | string),
    createdAt: new Date(row.created_at),
  }))
}

export async function deleteWatchlist(db: Db, which: number | string): Promise<boolean> {
  const found = await db
    .selectFrom('watchlist')
    .select('watchlist_id')
    .where(typeof which === 'number' ? 'watchlist_id' : 'name', '=', which)
    .executeTakeFirst()
  if (found === undefined) return false
  // Cones first: the cascade needs foreign keys on, which a SQLite connection may not have.
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom('watchlist_cone').where('watchlist_id', '=', found.watchlist_id).execute()
    await trx.deleteFrom('watchlist').where('watchlist_id', '=', found.watchlist_id).execute()
  })
  return true
}

export async function selectCones(db: Db): Promise<WatchlistCone[]> {
  const rows = await coneQuery(db).orderBy('watchlist_cone.cone_id').execute()
  return rows.map(toCone)
}

/** The cones that contain a position: those within the widest cone's radius through the sky index, then exactly. */
export async function selectMatchingCones(
  db: Db,
  deps: Pick<ObjectLedgerDeps, 'coneRanges'>,
  ra: number,
  dec: number,
): Promise<WatchlistCone[]> {
  const widest = await db
    .selectFrom('watchlist_cone')
    .select((eb) => eb.fn.max('radius_arcsec').as('widest'))
    .executeTakeFirst()
  const radius = Number(widest?.widest ?? 0)
  if (!(radius > 0)) return []
  const ranges = deps.coneRanges(ra, dec, radius / 3600)
  const rows = await coneQuery(db)
    .where((eb) => eb.or(ranges.map((range) => eb.between('watchlist_cone.sky_key', range.lo, range.hi))))
    .orderBy('watchlist_cone.cone_id')
    .execute()
  return rows.map(toCone).filter((cone) => distanceArcsec(ra, dec, cone.ra, cone.dec) <= cone.radiusArcsec)
}

function coneQuery(db: Db) {
  return db
    .selectFrom('watchlist_cone')
    .innerJoin('watchlist', 'watchlist.watchlist_id', 'watchlist_cone.watchlist_id')
    .select([
      'watchlist_cone.cone_id',
      'watchlist_cone.watchlist_id',
      'watchlist.name as watchlist',
      'watchlist_cone.name',
      'watchlist_cone.ra_deg',
      'watchlist_cone.dec_deg',
      'watchlist_cone.radius_arcsec',
    ])
}

function toCone(row: {
  cone_id: number
  watchlist_id: number
  watchlist: string
  name: string
  ra_deg: number
  dec_deg: number
  radius_arcsec: number
}): WatchlistCone {
  return {
    coneId: toNumber(row.cone_id),
    watchlistId: toNumber(row.watchlist_id),
    watchlist: row.watchlist,
    name: row.name,
    ra: Number(row.ra_deg),
    dec: Number(row.dec_deg),
    radiusArcsec: Number(row.radius_arcsec),
  }
}

const RAD = Math.PI / 180

/** Vincenty great-circle distance in arcseconds (adapters cannot import the sky index's own). */
export function distanceArcsec(ra1: number, dec1: number, ra2: number, dec2: number): number {
  const dra = (ra2 - ra1) * RAD
  const [s1, c1, s2, c2] = [Math.sin(dec1 * RAD), Math.cos(dec1 * RAD), Math.sin(dec2 * RAD), Math.cos(dec2 * RAD)]
  const a = c2 * Math.sin(dra)
  const b = c1 * s2 - s1 * c2 * Math.cos(dra)
  return (Math.atan2(Math.hypot(a, b), s1 * s2 + c1 * c2 * Math.cos(dra)) / RAD) * 3600
}

import Database from 'better-sqlite3'
import { Kysely, SqliteDialect } from 'kysely'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { initialMigration } from '../../../../src/adapters/sql/migrations/0001-initial.js'

interface ColumnInfo {
  name: string
  type: string
  notnull: number
  dflt_value: string | null
  pk: number
}

describe('0001-initial migration', () => {
  let raw: Database.Database
  let db: Kysely<unknown>

  beforeEach(async () => {
    raw = new Database(':memory:')
    raw.pragma('foreign_keys = ON')
    db = new Kysely<unknown>({ dialect: new SqliteDialect({ database: raw }) })
    await initialMigration('sqlite').up(db)
  })

  afterEach(async () => {
    await db.destroy()
  })

  const columns = (table: string): Record<string, ColumnInfo> =>
    Object.fromEntries((raw.pragma(`table_info(${table})`) as ColumnInfo[]).map((column) => [column.name, column]))

  /** Index name → [unique, columns]. */
  const indexes = (table: string): Record<string, [boolean, string[]]> => {
    const list = raw.pragma(`index_list(${table})`) as { name: string; unique: number }[]
    return Object.fromEntries(
      list.map((index) => [
        index.name,
        [index.unique === 1, (raw.pragma(`index_info(${index.name})`) as { name: string }[]).map((column) => column.name)],
      ]),
    )
  }

  const uniqueColumnSets = (table: string): string[][] =>
    Object.values(indexes(table))
      .filter(([unique]) => unique)
      .map(([, names]) => names)

  it("keeps the original's columns and makes every added one nullable or defaulted", () => {
    const image = columns('image_metadata')
    expect(Object.keys(image)).toEqual([
      'image_id',
      'image_filename',
      'image_object_key',
      'stream',
      'image_num',
      'content_sha256',
      'byte_size',
      'width',
      'height',
      'format',
      'status',
      'error_code',
      'error_message',
      'received_at',
      'analyzed_at',
      'previous_image_id',
      'l2_norm',
      'changed_fraction',
      'max_abs_difference',
    ])
    expect(image['image_id']).toMatchObject({ type: 'INTEGER', pk: 1 })
    expect(image['image_filename']).toMatchObject({ type: 'varchar(255)', notnull: 1 })
    expect(image['image_object_key']).toMatchObject({ type: 'varchar(512)', notnull: 1 })
    expect(image['stream']).toMatchObject({ notnull: 1, dflt_value: "'default'" })
    expect(image['status']).toMatchObject({ notnull: 1, dflt_value: "'received'" })
    expect(image['received_at']?.notnull).toBe(1)
    expect(image['received_at']?.dflt_value).toContain('strftime')
    for (const column of Object.values(image)) {
      if (column.notnull === 1 && column.pk === 0) {
        expect(['image_filename', 'image_object_key'].includes(column.name) || column.dflt_value !== null).toBe(true)
      }
    }
    expect(Object.keys(columns('image_event'))).toEqual([
      'image_event_id',
      'image_id',
      'difference_image_object_key',
      'event_type',
      'detected_at',
      'analyzer',
      'analyzer_version',
    ])
    expect(columns('image_event')['event_type']).toMatchObject({ notnull: 1, dflt_value: "'changed'" })
    expect(Object.keys(columns('image_event_alert'))).toEqual([
      'image_event_alert_id',
      'image_event_id',
      'created_at',
      'delivered_at',
      'delivery_channels',
    ])
  })

  it('creates the natural-key unique constraints and the lookup indexes', () => {
    expect(uniqueColumnSets('image_metadata')).toEqual([['stream', 'image_num']])
    expect(indexes('image_metadata')).toMatchObject({
      image_metadata_status_idx: [false, ['status']],
      image_metadata_object_key_idx: [false, ['image_object_key']],
      image_metadata_stream_sha256_idx: [false, ['stream', 'content_sha256']],
    })
    expect(uniqueColumnSets('image_event')).toEqual([['image_id']])
    expect(indexes('image_event')).toMatchObject({ image_event_difference_key_idx: [false, ['difference_image_object_key']] })
    expect(uniqueColumnSets('image_event_alert')).toEqual([['image_event_id']])
  })

  it('links the tables with foreign keys; deleting a previous image clears the reference', () => {
    const keys = (table: string): unknown[] =>
      (raw.pragma(`foreign_key_list(${table})`) as { table: string; from: string; to: string; on_delete: string }[]).map(
        ({ table: target, from, to, on_delete }) => ({ target, from, to, on_delete }),
      )
    expect(keys('image_metadata')).toEqual([{ target: 'image_metadata', from: 'previous_image_id', to: 'image_id', on_delete: 'SET NULL' }])
    expect(keys('image_event')).toEqual([{ target: 'image_metadata', from: 'image_id', to: 'image_id', on_delete: 'NO ACTION' }])
    expect(keys('image_event_alert')).toEqual([
      { target: 'image_event', from: 'image_event_id', to: 'image_event_id', on_delete: 'NO ACTION' },
    ])

    raw.exec("INSERT INTO image_metadata (image_filename, image_object_key) VALUES ('a.jpg', 'image/a.jpg')")
    raw.exec("INSERT INTO image_metadata (image_filename, image_object_key, previous_image_id) VALUES ('b.jpg', 'image/b.jpg', 1)")
    raw.exec('DELETE FROM image_metadata WHERE image_id = 1')
    expect(raw.prepare('SELECT previous_image_id FROM image_metadata').all()).toEqual([{ previous_image_id: null }])
  })

  it('allows many hand-written rows without image_num in one stream', () => {
    for (let count = 0; count < 3; count += 1) {
      raw.exec("INSERT INTO image_metadata (image_filename, image_object_key) VALUES ('a.jpg', 'image/a.jpg')")
    }
    expect(() => raw.exec("INSERT INTO image_metadata (image_filename, image_object_key, image_num) VALUES ('a', 'k', 1)")).not.toThrow()
    expect(() => raw.exec("INSERT INTO image_metadata (image_filename, image_object_key, image_num) VALUES ('b', 'k', 1)")).toThrow(
      /UNIQUE/,
    )
  })
})

import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { sql } from 'kysely'
import { ID_COLUMNS, INTEGER_COLUMNS, TABLES_CHILDREN_FIRST, TIMESTAMP_COLUMNS } from '../../../src/adapters/sql/catalog-schema.js'
import { CATALOG_TABLES } from '../../../src/core/ports/catalog.js'
import type { RecordingKysely } from '../../support/catalog-backends.js'
import { recordingMemoryKysely } from '../../support/catalog-backends.js'

describe('catalog schema constants', () => {
  let recording: RecordingKysely

  beforeEach(async () => {
    recording = await recordingMemoryKysely()
  })

  afterEach(async () => {
    await recording.close()
  })

  async function columns(table: string): Promise<{ name: string; type: string; pk: number }[]> {
    const result = await sql<{ name: string; type: string; pk: number }>`select name, type, pk from pragma_table_info(${table})`.execute(
      recording.db,
    )
    return result.rows
  }

  it('names the primary key of each table', async () => {
    for (const table of CATALOG_TABLES) {
      const primary = (await columns(table)).filter((column) => column.pk === 1).map((column) => column.name)
      expect(primary).toEqual([ID_COLUMNS[table]])
    }
  })

  it('lists exactly the timestamp and integer columns the migration creates', async () => {
    const timestamps = new Set<string>()
    const integers = new Set<string>()
    for (const table of CATALOG_TABLES) {
      for (const column of await columns(table)) {
        // On SQLite timestamps are text; the FITS footprint (JSON) and header are the only other text columns.
        if (column.type.toLowerCase() === 'text' && !['footprint', 'fits_header'].includes(column.name)) timestamps.add(column.name)
        if (/^(integer|bigint)$/i.test(column.type)) integers.add(column.name)
      }
    }
    expect([...timestamps].sort()).toEqual([...TIMESTAMP_COLUMNS].sort())
    expect([...integers].sort()).toEqual([...INTEGER_COLUMNS].sort())
  })

  it('orders tables children first, the reverse of the dependency order', () => {
    expect([...TABLES_CHILDREN_FIRST]).toEqual([...CATALOG_TABLES].reverse())
  })
})

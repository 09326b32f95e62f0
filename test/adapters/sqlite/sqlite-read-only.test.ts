import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openSqliteCatalog } from '../../../src/adapters/sqlite/sqlite-catalog.js'
import { NotFoundError } from '../../../src/core/errors.js'

describe('openSqliteCatalog with create: false (commands that only read)', () => {
  let dir: string

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'imgpipe-sqlite-ro-'))
  })

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('refuses a file that is not there, naming `imgpipe db create`, and makes neither file nor directory', () => {
    const file = path.join(dir, 'not-there', 'x.db')
    let caught: unknown
    try {
      openSqliteCatalog({ path: file, create: false })
    } catch (error) {
      caught = error
    }
    expect(caught).toBeInstanceOf(NotFoundError)
    expect((caught as Error).message).toBe(`no catalog at sqlite:${file}: create it with \`imgpipe db create\``)
    expect(existsSync(path.join(dir, 'not-there'))).toBe(false)
  })

  it('reads an existing catalog', async () => {
    const file = path.join(dir, 'x.db')
    const writer = openSqliteCatalog({ path: file })
    await writer.migrate()
    await writer.close()
    const reader = openSqliteCatalog({ path: file, create: false })
    try {
      expect(await reader.tableCounts()).toEqual({ image_metadata: 0, image_event: 0, image_event_alert: 0 })
    } finally {
      await reader.close()
    }
  })

  it('does not create the file again when it vanished between opening and the first query', async () => {
    const file = path.join(dir, 'x.db')
    const writer = openSqliteCatalog({ path: file })
    await writer.migrate()
    await writer.close()
    const reader = openSqliteCatalog({ path: file, create: false })
    try {
      await rm(file)
      await expect(reader.tableCounts()).rejects.toThrow('create it with `imgpipe db create`')
      expect(existsSync(file)).toBe(false)
    } finally {
      await reader.close()
    }
  })

  it('a writer sharing the connection still creates the file', async () => {
    const file = path.join(dir, 'new', 'x.db')
    const writer = openSqliteCatalog({ path: file })
    try {
      await writer.migrate()
      const reader = openSqliteCatalog({ path: file, create: false })
      try {
        expect((await reader.tableCounts()).image_metadata).toBe(0)
      } finally {
        await reader.close()
      }
    } finally {
      await writer.close()
    }
    expect(existsSync(file)).toBe(true)
  })
})

import { createHash } from 'node:crypto'
import { afterEach, beforeEach } from 'vitest'
import type { SqlCatalog } from '../../src/adapters/sql/sql-catalog.js'
import type { NewImage } from '../../src/core/types.js'
import type { OpenedCatalog } from '../support/catalog-backends.js'

/** Rows the catalog contract suites write. */

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex')
}

export function newImage(stream: string, imageNum: number, overrides: Partial<NewImage> = {}): NewImage {
  const filename = `image_${String(imageNum).padStart(5, '0')}.jpg`
  return {
    stream,
    imageNum,
    imageFilename: filename,
    imageObjectKey: `image/${stream}/${filename}`,
    contentSha256: sha256(`${stream}/${imageNum}`),
    byteSize: 1000 + imageNum,
    width: 640,
    height: 480,
    format: 'jpeg',
    status: 'received',
    ...overrides,
  }
}

/**
 * Registers the hooks that give each test of a contract suite a fresh, migrated catalog and remove it afterwards;
 * the test reads it as `fresh.catalog` (and raw SQL through `fresh.opened`).
 */
export function migratedCatalogPerTest(open: () => Promise<OpenedCatalog>): { catalog: SqlCatalog; opened: OpenedCatalog } {
  const fresh = {} as { catalog: SqlCatalog; opened: OpenedCatalog }
  beforeEach(async () => {
    fresh.opened = await open()
    fresh.catalog = fresh.opened.catalog
    await fresh.catalog.migrate()
  })
  afterEach(async () => {
    await fresh.opened.cleanup()
  })
  return fresh
}

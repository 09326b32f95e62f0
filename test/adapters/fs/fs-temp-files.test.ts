import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { FS_TEMP_FILE_PREFIX, FsObjectStore } from '../../../src/adapters/fs/fs-object-store.js'
import { emptyStore } from '../../../src/cli/commands/store-command.js'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'imgpipe-fs-temp-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

/** A temporary file as a put killed before its rename leaves it, `ageMs` old. */
async function leftover(relativeDir: string, ageMs: number): Promise<string> {
  await mkdir(path.join(dir, relativeDir), { recursive: true })
  const file = path.join(dir, relativeDir, `${FS_TEMP_FILE_PREFIX}${Math.random().toString(16).slice(2)}`)
  await writeFile(file, 'half an image')
  const when = new Date(Date.now() - ageMs)
  await utimes(file, when, when)
  return file
}

async function allFiles(): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true })
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)))
    .sort()
}

describe('temporary files of killed puts', () => {
  it('are swept at start-up when over an hour old; a younger one may belong to a live put and stays', async () => {
    const old = await leftover('image/cam', 2 * 60 * 60 * 1000)
    const young = await leftover('image/cam', 60 * 1000)
    const store = new FsObjectStore(dir, { fsync: false })
    await store.put('image/cam/image_00001.jpg', new Uint8Array([1, 2, 3]))
    await store.ensureReady()
    const files = await allFiles()
    expect(files).not.toContain(path.relative(dir, old))
    expect(files).toContain(path.relative(dir, young))
    expect(files).toContain('image/cam/image_00001.jpg')
  })

  it('are removed by store empty under its prefix, whatever their age, and only there', async () => {
    const store = new FsObjectStore(dir, { fsync: false })
    await store.put('image/cam/image_00001.jpg', new Uint8Array([1]))
    await store.put('image/other/image_00001.jpg', new Uint8Array([2]))
    await leftover('image/cam', 1000)
    await leftover('image/cam/deeper', 1000)
    const elsewhere = await leftover('image/other', 1000)
    expect(await emptyStore(store, 'image/cam/')).toMatchObject({ found: 1, deleted: 1 })
    expect(await allFiles()).toEqual(['image/other/image_00001.jpg', path.relative(dir, elsewhere)].sort())
    await emptyStore(store, '')
    expect(await allFiles()).toEqual([])
  })
})

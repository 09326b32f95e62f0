import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fileSource, listImageFiles } from '../../../src/stages/receive/file-source.js'

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'imgpipe-files-'))
  await mkdir(path.join(dir, 'sub'))
  await writeFile(path.join(dir, 'b.jpg'), 'bbb')
  await writeFile(path.join(dir, 'a.png'), 'a')
  await writeFile(path.join(dir, '.hidden'), 'x')
  await writeFile(path.join(dir, 'sub', 'c.tiff'), 'cccc')
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('fileSource', () => {
  it('lists directory entries by name, skipping hidden files, and descends only when asked', async () => {
    expect((await listImageFiles([dir], false)).map((file) => path.relative(dir, file))).toEqual(['a.png', 'b.jpg'])
    expect((await listImageFiles([dir], true)).map((file) => path.relative(dir, file))).toEqual(['a.png', 'b.jpg', 'sub/c.tiff'])
  })

  it('reads the bytes, and refuses to read a file over the limit while still hashing it', async () => {
    const images = []
    const files = await listImageFiles([dir], true)
    for await (const image of fileSource({ files, stream: 's', maxImageBytes: 3 })) images.push(image)
    expect(images.map((image) => [image.filename, image.bytes?.toString() ?? null, image.byteSize])).toEqual([
      ['a.png', 'a', 1],
      ['b.jpg', 'bbb', 3],
      ['c.tiff', null, 4],
    ])
    expect(images[2]).toMatchObject({ readError: { code: 'IMGPIPE_IMAGE_TOO_LARGE' } })
    expect(images[2]!.contentSha256).toMatch(/^[0-9a-f]{64}$/)
  })

  it('names a missing path in a usage error', async () => {
    await expect(listImageFiles([path.join(dir, 'missing')], false)).rejects.toMatchObject({ code: 'IMGPIPE_USAGE' })
  })
})

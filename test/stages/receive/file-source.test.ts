import { execFileSync } from 'node:child_process'
import { mkdir, mkdtemp, rm, symlink, unlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fileSource, listImageFiles } from '../../../src/stages/receive/file-source.js'
import type { IncomingImage } from '../../../src/stages/receive/image-source.js'

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

const relative = (files: readonly string[], base = dir) => files.map((file) => path.relative(base, file))

async function collect(files: readonly string[], maxImageBytes = 1000): Promise<IncomingImage[]> {
  const images = []
  for await (const image of fileSource({ files, stream: 's', maxImageBytes })) images.push(image)
  return images
}

describe('listImageFiles', () => {
  it('lists directory entries by name, reports hidden files, and descends only when asked', async () => {
    const flat = await listImageFiles([dir], false)
    expect(relative(flat.files)).toEqual(['a.png', 'b.jpg'])
    expect(flat.skipped).toEqual([{ path: path.join(dir, '.hidden'), reason: 'hidden' }])
    expect(relative((await listImageFiles([dir], true)).files)).toEqual(['a.png', 'b.jpg', 'sub/c.tiff'])
  })

  it('names a missing path in a usage error', async () => {
    await expect(listImageFiles([path.join(dir, 'missing')], false)).rejects.toMatchObject({ code: 'IMGPIPE_USAGE' })
  })

  it('refuses an argument that is a FIFO or a device instead of ignoring it', async () => {
    const fifo = path.join(dir, 'arg.fifo')
    execFileSync('mkfifo', [fifo])
    try {
      await expect(listImageFiles([fifo], false)).rejects.toMatchObject({
        code: 'IMGPIPE_USAGE',
        message: expect.stringContaining('a FIFO'),
      })
      await expect(listImageFiles(['/dev/null'], false)).rejects.toMatchObject({ message: expect.stringContaining('a device') })
    } finally {
      await unlink(fifo)
    }
  })

  it('follows symlinks to files and directories, lists a looping directory once, and reports FIFOs and broken links', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'imgpipe-links-'))
    try {
      await writeFile(path.join(root, 'real.png'), 'p')
      await symlink(path.join(root, 'real.png'), path.join(root, 'link.png'))
      await symlink(path.join(root, 'nowhere.png'), path.join(root, 'broken.png'))
      await mkdir(path.join(root, 'sub'))
      await writeFile(path.join(root, 'sub', 'deep.png'), 'd')
      await symlink(root, path.join(root, 'sub', 'loop'))
      execFileSync('mkfifo', [path.join(root, 'pipe.png')])
      const listing = await listImageFiles([root], true)
      expect(relative(listing.files, root)).toEqual(['link.png', 'real.png', 'sub/deep.png'])
      expect(listing.skipped.map((entry) => [path.relative(root, entry.path), entry.reason])).toEqual([
        ['broken.png', 'broken symlink'],
        ['pipe.png', 'not a regular file'],
        ['sub/loop', 'symlink loop'],
      ])
    } finally {
      await rm(root, { recursive: true, force: true })
    }
  })
})

describe('listImageFiles with skipNonImages (ingest without --strict)', () => {
  it('skips files whose content is not an image, whatever their names, and keeps every image candidate', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'imgpipe-sniff-'))
    try {
      const files: Record<string, Buffer | string> = {
        'a-notes.txt': 'observing log: clear skies\n',
        'b-fake.jpg': 'plain text with a .jpg name',
        'c-empty.png': '',
        'd-truncated.jpg': Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00]),
        'e-photo.dat': Buffer.concat([Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'), Buffer.alloc(20)]),
        'f-heic-like.bin': Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypmif1heic')]),
        'g-big.tif': Buffer.from('II+\x00\x08\x00\x00\x00', 'latin1'),
        'h-m31.fits': 'SIMPLE  =                    T / conforms to FITS standard',
        README: '# read me\n',
      }
      for (const [name, content] of Object.entries(files)) await writeFile(path.join(root, name), content)
      const listing = await listImageFiles([root], false, { skipNonImages: true })
      expect(relative(listing.files, root)).toEqual(['d-truncated.jpg', 'e-photo.dat', 'f-heic-like.bin', 'g-big.tif', 'h-m31.fits'])
      expect(listing.skipped.map((entry) => [path.relative(root, entry.path), entry.reason, entry.detail])).toEqual([
        ['README', 'not an image', 'no image signature'],
        ['a-notes.txt', 'not an image', 'no image signature'],
        ['b-fake.jpg', 'not an image', 'no image signature'],
        ['c-empty.png', 'not an image', 'empty file'],
      ])
      // A file named on the command line is judged by its content too (a shell glob names a README as well).
      const named = await listImageFiles([path.join(root, 'a-notes.txt'), path.join(root, 'd-truncated.jpg')], false, {
        skipNonImages: true,
      })
      expect(relative(named.files, root)).toEqual(['d-truncated.jpg'])
      expect(named.skipped).toEqual([{ path: path.join(root, 'a-notes.txt'), reason: 'not an image', detail: 'no image signature' }])
      // Without the option (ingest --strict) every regular file is listed, to be recorded as failed if bad.
      expect((await listImageFiles([root], false)).files).toHaveLength(Object.keys(files).length)
    } finally {
      await rm(root, { recursive: true, force: true })
    }
  })
})

describe('fileSource', () => {
  it('reads the bytes, and neither reads nor hashes a file over the limit', async () => {
    const images = await collect((await listImageFiles([dir], true)).files, 3)
    expect(images.map((image) => [image.filename, image.bytes?.toString() ?? null, image.byteSize])).toEqual([
      ['a.png', 'a', 1],
      ['b.jpg', 'bbb', 3],
      ['c.tiff', null, 4],
    ])
    expect(images[2]).toMatchObject({ readError: { code: 'IMGPIPE_IMAGE_TOO_LARGE' } })
    expect(images[2]!.contentSha256).toBeUndefined()
  })

  it('does not block on a file replaced by a FIFO after listing: it is reported as not a regular file', async () => {
    const file = path.join(dir, 'swapped.png')
    await writeFile(file, 'x')
    const { files } = await listImageFiles([file], false)
    await unlink(file)
    execFileSync('mkfifo', [file])
    try {
      // Without a writer, a blocking open of a FIFO never returns: this would time out.
      const images = await collect(files)
      expect(images).toHaveLength(1)
      expect(images[0]).toMatchObject({
        bytes: null,
        readError: { code: 'IMGPIPE_IMAGE_INVALID', message: expect.stringContaining('a FIFO') },
      })
    } finally {
      await unlink(file)
    }
  }, 10_000)

  it('reads the next files ahead while the stage works, in order', async () => {
    const folder = await mkdtemp(path.join(tmpdir(), 'imgpipe-ahead-'))
    try {
      const names = Array.from({ length: 40 }, (_, index) => `f${String(index).padStart(3, '0')}.jpg`)
      await Promise.all(names.map((name, index) => writeFile(path.join(folder, name), `bytes ${index}`)))
      const { files } = await listImageFiles([folder], false)
      const iterator = fileSource({ files, stream: 's', maxImageBytes: 1000 })[Symbol.asyncIterator]()
      const seen = [(await iterator.next()).value as IncomingImage]
      // The stage's work on that image: reads go on meanwhile.
      await new Promise((resolve) => setTimeout(resolve, 100))
      // What is ready without another trip through the thread pool (the receive window waits one turn for more).
      let ready = 0
      for (;;) {
        const turn = new Promise<'turn'>((resolve) => setImmediate(() => resolve('turn')))
        const next = iterator.next()
        const first = await Promise.race([next, turn])
        seen.push((await next).value as IncomingImage)
        if (first === 'turn') break
        ready += 1
      }
      // Without read-ahead no read had started during the work: 0 ready.
      expect(ready).toBe(16)
      for (let result = await iterator.next(); result.done !== true; result = await iterator.next()) seen.push(result.value)
      expect(seen.map((image) => image.bytes!.toString())).toEqual(names.map((_, index) => `bytes ${index}`))
    } finally {
      await rm(folder, { recursive: true, force: true })
    }
  })
})

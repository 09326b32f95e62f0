import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { renderTeddyBear } from '../../../src/analysis/teddy-bear.js'
import { describeNotImages } from '../../../src/cli/commands/ingest-command.js'
import { cleanEnv, runCli } from '../../support/cli.js'
import { readRows } from '../../support/sqlite-rows.js'

let dir: string
let input: string

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'imgpipe-ingest-'))
  input = path.join(dir, 'input')
  await mkdir(input)
  const teddy = await renderTeddyBear(350)
  const rotated = sharp(teddy).rotate(90)
  await writeFile(path.join(input, 'a-teddy.jpg'), teddy)
  await writeFile(path.join(input, 'b-truncated.jpg'), teddy.subarray(0, Math.floor(teddy.length / 2)))
  await writeFile(path.join(input, 'c-teddy.png'), await sharp(teddy).png().toBuffer())
  await writeFile(path.join(input, 'd-empty.png'), Buffer.alloc(0))
  await writeFile(path.join(input, 'e-rotated.webp'), await rotated.clone().webp({ quality: 90 }).toBuffer())
  await writeFile(path.join(input, 'f-notes.txt'), 'observing log: clear skies\n')
  await writeFile(path.join(input, 'g-rotated.tiff'), await rotated.clone().tiff().toBuffer())
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

function env(name: string, extra: Record<string, string> = {}): Record<string, string> {
  return cleanEnv({
    IMGPIPE_DATABASE_URL: `sqlite:${path.join(dir, `${name}.db`)}`,
    IMGPIPE_OBJECT_STORE_URL: `file:${path.join(dir, `${name}-objects`)}`,
    ...extra,
  })
}

describe('imgpipe ingest', () => {
  it('processes the good files of a folder, skips the files that are not images, reports the damaged ones, and exits with code 3', async () => {
    const result = await runCli(['ingest', input, '--stream', 'cam'], env('mixed'))
    expect(result.code).toBe(3)
    expect(result.stderr).toContain('rejected b-truncated.jpg')
    for (const name of ['a-teddy.jpg', 'd-empty.png', 'f-notes.txt']) expect(result.stderr).not.toContain(`rejected ${name}`)
    // The text file and the empty one are named once, in one line, and never become images of the stream.
    const skippedLines = result.stderr.split('\n').filter((line) => line.includes('by content'))
    expect(skippedLines).toEqual([
      `imgpipe: skipped 2 files that are not images by content: ${path.join(input, 'd-empty.png')}, ${path.join(input, 'f-notes.txt')} (--strict records them as failed)`,
    ])

    const rows = readRows(path.join(dir, 'mixed.db'))
    const byName = new Map(rows.images.map((image) => [image['image_filename'], image]))
    expect([...byName.keys()]).toEqual(['a-teddy.jpg', 'b-truncated.jpg', 'c-teddy.png', 'e-rotated.webp', 'g-rotated.tiff'])
    for (const good of ['a-teddy.jpg', 'c-teddy.png', 'e-rotated.webp', 'g-rotated.tiff']) {
      expect(byName.get(good)).toMatchObject({ status: 'analyzed', width: 350, height: 350 })
    }
    expect(byName.get('b-truncated.jpg')).toMatchObject({ status: 'failed', error_code: 'IMGPIPE_IMAGE_INVALID' })
    // Each good image is compared with the previous good one; only the rotation is an event.
    expect(byName.get('c-teddy.png')?.['previous_image_id']).toBe(byName.get('a-teddy.jpg')?.['image_id'])
    expect(byName.get('e-rotated.webp')?.['previous_image_id']).toBe(byName.get('c-teddy.png')?.['image_id'])
    expect(rows.events.map((event) => event['image_id'])).toEqual([byName.get('e-rotated.webp')?.['image_id']])
    expect(rows.alerts).toHaveLength(1)

    const again = await runCli(['ingest', input, '--stream', 'cam', '--json'], env('mixed'))
    // The damaged file is still bad: reported again (not recorded again), and the exit code says so.
    expect(again.code).toBe(3)
    const summary = JSON.parse(again.stdout) as { outcomes: unknown; skipped: { path: string; reason: string; detail: string }[] }
    expect(summary.outcomes).toEqual({ received: 0, failed: 0, duplicate: 5 })
    expect(summary.skipped).toEqual([
      { path: path.join(input, 'd-empty.png'), reason: 'not an image', detail: 'empty file' },
      { path: path.join(input, 'f-notes.txt'), reason: 'not an image', detail: 'no image signature' },
    ])
    expect(readRows(path.join(dir, 'mixed.db'))).toEqual(rows)
  })

  it('--strict records the files that are not images as failed images, as before', async () => {
    const result = await runCli(['ingest', input, '--stream', 'cam', '--strict'], env('strict'))
    expect(result.code).toBe(3)
    for (const bad of ['b-truncated.jpg', 'd-empty.png', 'f-notes.txt']) expect(result.stderr).toContain(`rejected ${bad}`)
    expect(result.stderr).not.toContain('not an image by content')
    const rows = readRows(path.join(dir, 'strict.db'))
    const byName = new Map(rows.images.map((image) => [image['image_filename'], image]))
    expect(byName.size).toBe(7)
    for (const bad of ['b-truncated.jpg', 'd-empty.png', 'f-notes.txt']) {
      expect(byName.get(bad)).toMatchObject({ status: 'failed', error_code: 'IMGPIPE_IMAGE_INVALID' })
    }
  })

  it('exits 0 when the only files left out are not images', async () => {
    const clean = path.join(dir, 'clean')
    await mkdir(clean)
    await writeFile(path.join(clean, 'a-teddy.jpg'), await renderTeddyBear(64))
    await writeFile(path.join(clean, 'README.md'), '# night 1\n')
    const result = await runCli(['ingest', clean, '--stream', 'clean'], env('clean'))
    expect(result.code).toBe(0)
    expect(result.stderr).toContain(`skipped 1 file that is not an image by content: ${path.join(clean, 'README.md')}`)
    expect(readRows(path.join(dir, 'clean.db')).images.map((image) => image['image_filename'])).toEqual(['a-teddy.jpg'])
  })

  it('rejects a decompression bomb from its header and a file over the byte limit, without stopping', async () => {
    const bombs = path.join(dir, 'bombs')
    await mkdir(bombs)
    const big = await sharp({ create: { width: 2000, height: 2000, channels: 3, background: '#123456' } })
      .png()
      .toBuffer()
    await writeFile(path.join(bombs, '1-big.png'), big)
    await writeFile(path.join(bombs, '2-small.jpg'), await renderTeddyBear(100))
    await writeFile(path.join(bombs, '3-heavy.jpg'), Buffer.concat([await renderTeddyBear(100), Buffer.alloc(200_000)]))
    const result = await runCli(
      ['ingest', bombs, '--json'],
      env('bombs', { IMGPIPE_MAX_IMAGE_PIXELS: '1000000', IMGPIPE_MAX_IMAGE_BYTES: '100000' }),
    )
    expect(result.code).toBe(3)
    const summary = JSON.parse(result.stdout) as { rejected: { file: string; code: string }[] }
    expect(summary.rejected).toEqual([
      expect.objectContaining({ file: '1-big.png', code: 'IMGPIPE_IMAGE_TOO_LARGE' }),
      expect.objectContaining({ file: '3-heavy.jpg', code: 'IMGPIPE_IMAGE_TOO_LARGE' }),
    ])
    const rows = readRows(path.join(dir, 'bombs.db'))
    expect(rows.images.map((image) => image['status'])).toEqual(['failed', 'analyzed', 'failed'])
  })

  it('explains a missing path in one line with exit code 2', async () => {
    const result = await runCli(['ingest', path.join(dir, 'nope')], env('missing'))
    expect(result.code).toBe(2)
    expect(result.stderr.trim().split('\n')).toHaveLength(1)
    expect(result.stderr).toContain('nope')
  })
})

describe('describeNotImages', () => {
  it('counts and names the files in one line, the first ten only, escaping what a terminal would obey', () => {
    expect(describeNotImages(['in/notes.txt'])).toBe(
      'imgpipe: skipped 1 file that is not an image by content: in/notes.txt (--strict records it as failed)',
    )
    const many = Array.from({ length: 12 }, (_, index) => `f${index}.txt`)
    expect(describeNotImages(many)).toBe(
      `imgpipe: skipped 12 files that are not images by content: ${many.slice(0, 10).join(', ')} and 2 more (--json lists them) (--strict records them as failed)`,
    )
    expect(describeNotImages(['\u001b[2Jx.txt'])).not.toMatch(/\u001b/)
  })
})

import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { renderTeddyBear } from '../../../src/analysis/teddy-bear.js'
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
  it('processes the good files of a folder, records and reports the bad ones, and exits with code 3', async () => {
    const result = await runCli(['ingest', input, '--stream', 'cam'], env('mixed'))
    expect(result.code).toBe(3)
    for (const bad of ['b-truncated.jpg', 'd-empty.png', 'f-notes.txt']) expect(result.stderr).toContain(`rejected ${bad}`)
    expect(result.stderr).not.toContain('rejected a-teddy.jpg')

    const rows = readRows(path.join(dir, 'mixed.db'))
    const byName = new Map(rows.images.map((image) => [image['image_filename'], image]))
    expect([...byName.keys()]).toEqual([
      'a-teddy.jpg',
      'b-truncated.jpg',
      'c-teddy.png',
      'd-empty.png',
      'e-rotated.webp',
      'f-notes.txt',
      'g-rotated.tiff',
    ])
    for (const good of ['a-teddy.jpg', 'c-teddy.png', 'e-rotated.webp', 'g-rotated.tiff']) {
      expect(byName.get(good)).toMatchObject({ status: 'analyzed', width: 350, height: 350 })
    }
    for (const bad of ['b-truncated.jpg', 'd-empty.png', 'f-notes.txt']) {
      expect(byName.get(bad)).toMatchObject({ status: 'failed', error_code: 'IMGPIPE_IMAGE_INVALID' })
    }
    // Each good image is compared with the previous good one; only the rotation is an event.
    expect(byName.get('c-teddy.png')?.['previous_image_id']).toBe(byName.get('a-teddy.jpg')?.['image_id'])
    expect(byName.get('e-rotated.webp')?.['previous_image_id']).toBe(byName.get('c-teddy.png')?.['image_id'])
    expect(rows.events.map((event) => event['image_id'])).toEqual([byName.get('e-rotated.webp')?.['image_id']])
    expect(rows.alerts).toHaveLength(1)

    const again = await runCli(['ingest', input, '--stream', 'cam', '--json'], env('mixed'))
    // The bad files are still bad: reported again (not recorded again), and the exit code says so.
    expect(again.code).toBe(3)
    expect(JSON.parse(again.stdout).outcomes).toEqual({ received: 0, failed: 0, duplicate: 7 })
    expect(readRows(path.join(dir, 'mixed.db'))).toEqual(rows)
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

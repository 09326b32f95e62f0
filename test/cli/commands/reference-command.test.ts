/**
 * `imgpipe reference build|set|list` through the built CLI on SQLite and a directory: a reference built by hand
 * from a stream's latest frames (none built automatically: IMGPIPE_REFERENCE_FRAMES=0), one set from a FITS file as
 * the next version, and one-line failures with a non-zero exit.
 */
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cleanEnv, runCli } from '../../support/cli.js'

let dir: string
let env: Record<string, string>
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'imgpipe-reference-'))
  env = cleanEnv({
    IMGPIPE_DATABASE_URL: `sqlite:${path.join(dir, 'catalog.db')}`,
    IMGPIPE_OBJECT_STORE_URL: `file:${path.join(dir, 'store')}`,
    IMGPIPE_REFERENCE_FRAMES: '0',
  })
  const run = await runCli(['run', '--mock', 'sky', '--count', '4', '--size', '256', '--stream', 'cam'], env, { cwd: dir })
  expect(run.code, run.stderr).toBe(0)
  const sky = await runCli(['sky', 'make', path.join(dir, 'sky'), '--frames', '1', '--size', '256'], env, { cwd: dir })
  expect(sky.code, sky.stderr).toBe(0)
}, 180_000)
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('imgpipe reference', () => {
  it('builds a reference from the latest frames, sets the next version from a file, and lists both', async () => {
    const empty = await runCli(['reference', 'list', '--json'], env, { cwd: dir })
    expect(JSON.parse(empty.stdout)).toEqual([])

    // --reference-frames 2: the latest two of the stream's four frames.
    const built = await runCli(['reference', 'build', '--stream', 'cam', '--reference-frames', '2', '--json'], env, { cwd: dir })
    expect(built.code, built.stderr).toBe(0)
    const [first] = JSON.parse(built.stdout)
    expect(first).toMatchObject({ stream: 'cam', field: 'field-a', filter: 'r', version: 1, status: 'ready', frames: 2 })
    expect(first.imageIds.sort()).toEqual([3, 4])
    expect(first.fwhm).toBeGreaterThan(1)
    expect(first.objectKey).toBe('reference/cam__reference_00001.fits')
    expect((await readdir(path.join(dir, 'store', 'reference'))).sort()).toEqual(['cam__reference_00001.fits'])

    const file = path.join(
      dir,
      'sky',
      (await readdir(path.join(dir, 'sky'))).find((name) => name.endsWith('.fits'))!,
    )
    const set = await runCli(['reference', 'set', '--stream', 'cam', '--field', 'field-a', '--filter', 'r', file], env, { cwd: dir })
    expect(set.code, set.stderr).toBe(0)
    expect(set.stdout).toMatch(/^reference 2 of cam field field-a \(r\) version 2: 1 frame, FWHM [\d.]+ px set from /)

    const list = await runCli(['reference', 'list', '--json'], env, { cwd: dir })
    expect(JSON.parse(list.stdout).map((row: { version: number; frames: number }) => [row.version, row.frames])).toEqual([
      [1, 2],
      [2, 1],
    ])
    const table = await runCli(['reference', 'list'], env, { cwd: dir })
    expect(table.stdout.split('\n')[0]).toMatch(/^id +stream +field +filter +version +status +frames +FWHM px +created$/)
  })

  it('fails with one line and a non-zero exit: no frames, a file without a WCS, images of another stream', async () => {
    const none = await runCli(['reference', 'build', '--stream', 'nowhere'], env, { cwd: dir })
    expect(none.code).not.toBe(0)
    expect(none.stderr.trim().split('\n')).toHaveLength(1)
    expect(none.stderr).toMatch(/no FITS frames with a field, a filter and a WCS in stream nowhere/)

    const plain = path.join(dir, 'plain.fits')
    const card = (text: string): string => text.padEnd(80)
    const header = [card('SIMPLE  =                    T'), card('BITPIX  =                  -32'), card('NAXIS   =                    2')]
      .concat([card('NAXIS1  =                    8'), card('NAXIS2  =                    8'), card('END')])
      .join('')
    await writeFile(plain, Buffer.concat([Buffer.from(header.padEnd(2880)), Buffer.alloc(2880)]))
    const noWcs = await runCli(['reference', 'set', '--stream', 'cam', '--field', 'f', '--filter', 'r', plain], env, { cwd: dir })
    expect(noWcs.code).not.toBe(0)
    expect(noWcs.stderr.trim().split('\n')).toHaveLength(1)
    expect(noWcs.stderr).toMatch(/plain\.fits: its primary HDU has no usable celestial WCS/)

    const other = await runCli(['reference', 'build', '--stream', 'default', '--images', '1'], env, { cwd: dir })
    expect(other.code).not.toBe(0)
    expect(other.stderr).toMatch(/no image 1 in stream default/)
  })
})

import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import sharp from 'sharp'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { cleanEnv, collect, runCli, spawnCli } from '../../support/cli.js'
import { countRows, readRows } from '../../support/sqlite-rows.js'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'imgpipe-run-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

function envFor(name: string): Record<string, string> {
  return cleanEnv({
    IMGPIPE_DATABASE_URL: `sqlite:${path.join(dir, `${name}.db`)}`,
    IMGPIPE_OBJECT_STORE_URL: `file:${path.join(dir, `${name}-objects`)}`,
  })
}

async function filesUnder(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true })
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(root, path.join(entry.parentPath, entry.name)))
    .sort()
}

describe('imgpipe run', () => {
  it('runs the default mock stream: 10 images, events and alerts for images 3 and 7, 350×350 difference images', async () => {
    const result = await runCli(['run'], envFor('a'))
    expect(result.stderr).not.toContain('imgpipe:')
    expect(result.code).toBe(0)
    const rows = readRows(path.join(dir, 'a.db'))
    expect(rows.images).toHaveLength(10)
    expect(rows.images.every((image) => image['status'] === 'analyzed')).toBe(true)
    expect(rows.images.map((image) => image['image_filename'])).toEqual(
      Array.from({ length: 10 }, (_, index) => `image_${String(index + 1).padStart(5, '0')}.jpg`),
    )
    expect(rows.events.map((event) => event['image_num'])).toEqual([3, 7])
    expect(rows.alerts).toHaveLength(2)
    expect(rows.alerts.every((alert) => alert['delivered'] === 1)).toBe(true)

    const differences = (await filesUnder(path.join(dir, 'a-objects'))).filter((key) => key.startsWith('difference_image/'))
    expect(differences).toEqual(['difference_image/image_event_00001.jpg', 'difference_image/image_event_00002.jpg'])
    for (const key of differences) {
      const meta = await sharp(await readFile(path.join(dir, 'a-objects', key))).metadata()
      expect([meta.format, meta.width, meta.height]).toEqual(['jpeg', 350, 350])
    }
    expect(result.stdout).toContain('10 images')
    expect(result.stdout).toContain('2 image events, 2 alerts')
  })

  it('follows the rule for --count 25 --change-every 5 and prints JSON', async () => {
    const result = await runCli(['run', '--count', '25', '--change-every', '5', '--json'], envFor('b'))
    expect(result.code).toBe(0)
    const summary = JSON.parse(result.stdout) as { counts: Record<string, number> }
    expect(summary.counts).toMatchObject({ images: 25, imagesAnalyzed: 25, events: 5, alerts: 5, alertsUndelivered: 0 })
    const rows = readRows(path.join(dir, 'b.db'))
    // n % 5 == 4: images 4, 9, 14, 19 and 24 are rotated, so each differs from its predecessor.
    expect(rows.events.map((event) => event['image_num'])).toEqual([4, 9, 14, 19, 24])
  })

  it('leaves no duplicate when run again on the same data', async () => {
    const env = envFor('c')
    expect((await runCli(['run'], env)).code).toBe(0)
    const first = readRows(path.join(dir, 'c.db'))
    const again = await runCli(['run', '--json'], env)
    expect(again.code).toBe(0)
    expect(JSON.parse(again.stdout).outcomes).toEqual({ received: 0, failed: 0, duplicate: 0 })
    expect(readRows(path.join(dir, 'c.db'))).toEqual(first)
  })

  it('ends with exactly the rows of an uninterrupted run after a SIGKILL half-way and a restart', async () => {
    const args = ['run', '--count', '24', '--streams', '2', '--interval', '15']
    const reference = await runCli(args, envFor('reference'))
    expect(reference.code).toBe(0)
    const expected = readRows(path.join(dir, 'reference.db'))
    expect(expected.images).toHaveLength(48)
    expect(expected.events).toHaveLength(12)

    // Kill at several points: early, in the middle of the stream, near the end.
    for (const killAfter of [3, 20, 36]) {
      const name = `killed-${killAfter}`
      const env = envFor(name)
      const child = spawnCli(args, env)
      const finished = collect(child, 120_000)
      const dbPath = path.join(dir, `${name}.db`)
      for (;;) {
        await new Promise((resolve) => setTimeout(resolve, 5))
        let images: number
        try {
          images = countRows(dbPath, 'image_metadata')
        } catch {
          continue // not created yet
        }
        if (images >= killAfter) break
      }
      child.kill('SIGKILL')
      const killed = await finished
      expect(killed.signal).toBe('SIGKILL')
      // Killed before the run was over (on a loaded machine all 48 images may already be in by then).
      expect(readRows(dbPath)).not.toEqual(expected)

      const resumed = await runCli(args, env)
      expect(resumed.code).toBe(0)
      expect(readRows(dbPath)).toEqual(expected)
    }
  })
})

describe('imgpipe run --mock sky', () => {
  it('receives 6 FITS frames of one mock-sky field per stream, analyses them, and writes the truth table', async () => {
    const truth = path.join(dir, 'truth.csv')
    const args = ['--mock', 'sky', '--count', '6', '--streams', '2', '--size', '128', '--seed', '3']
    const result = await runCli(['run', ...args, '--truth', truth, '--json'], envFor('sky'))
    expect(result.code, result.stderr).toBe(0)
    const rows = readRows(path.join(dir, 'sky.db'))
    const byStream = (stream: string) => rows.images.filter((image) => image['stream'] === stream)
    for (const stream of ['default-1', 'default-2']) {
      expect(byStream(stream).map((image) => [image['image_filename'], image['format'], image['width'], image['height']])).toEqual(
        Array.from({ length: 6 }, (_, index) => [`image_${String(index + 1).padStart(5, '0')}.fits`, 'fits', 128, 128]),
      )
      expect(byStream(stream)[0]!['image_object_key']).toBe(`image/${stream}__image_00001.fits`)
    }
    expect(rows.images.map((image) => [image['image_filename'], image['status'], image['error_code']])).toEqual(
      rows.images.map((image) => [image['image_filename'], 'analyzed', null]),
    )
    // Three injected changes (new source, variable star, moving object) per frame, 12 frames.
    const lines = (await readFile(truth, 'utf8')).trim().split('\n')
    expect(lines[0]).toBe('field,frame,kind,id,ra,dec,x,y,flux,mag')
    expect(lines).toHaveLength(1 + 12 * 3)
    expect(new Set(lines.slice(1).map((line) => line.split(',')[0]))).toEqual(new Set(['field-a', 'field-b']))
    expect(result.stderr).toContain(`truth table of 12 mock-sky frame(s) in ${truth}`)

    // The same seed writes the same bytes (receive alone this time); the same database has them all already.
    const again = await runCli(['receive', ...args, '--json'], envFor('sky-again'))
    expect(again.code, again.stderr).toBe(0)
    const hashes = (images: Record<string, unknown>[]) =>
      images.map((image) => `${String(image['stream'])}:${String(image['content_sha256'])}`)
    expect(hashes(readRows(path.join(dir, 'sky-again.db')).images)).toEqual(hashes(rows.images))
    const rerun = await runCli(['run', ...args], envFor('sky'))
    expect(rerun.code, rerun.stderr).toBe(0)
    expect(rerun.stdout).toContain('--mock sky')
    expect(countRows(path.join(dir, 'sky.db'), 'image_metadata')).toBe(12)
  })

  it('makes 1024-pixel frames unless --size says otherwise, and keeps the teddy bear the default', async () => {
    const sky = await runCli(['receive', '--mock', 'sky', '--count', '1', '--stream', 'cam'], envFor('size'))
    expect(sky.code, sky.stderr).toBe(0)
    const teddy = await runCli(['receive', '--count', '1', '--stream', 'bear'], envFor('size'))
    expect(teddy.code, teddy.stderr).toBe(0)
    expect(readRows(path.join(dir, 'size.db')).images.map((image) => [image['stream'], image['format'], image['width']])).toEqual([
      ['cam', 'fits', 1024],
      ['bear', 'jpeg', 350],
    ])
    const bad = await runCli(['run', '--mock', 'moon'], envFor('size'))
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain('teddy, sky')
  })
})

describe('imgpipe command line', () => {
  it('prints help for the program and every command', async () => {
    const help = await runCli(['--help'], cleanEnv())
    expect(help.code).toBe(0)
    for (const command of ['run', 'receive', 'analyze', 'alert', 'ingest', 'view', 'web', 'db', 'store', 'status']) {
      expect(help.stdout).toContain(command)
      const sub = await runCli([command, '--help'], cleanEnv())
      expect(sub.code).toBe(0)
      expect(sub.stdout).toContain(`Usage: imgpipe ${command}`)
    }
  })

  it('rejects a bad setting with one line naming the variable and exit code 2', async () => {
    const result = await runCli(['run'], cleanEnv({ IMGPIPE_DATABASE_URL: 'oracle://db/x' }))
    expect(result.code).toBe(2)
    expect(result.stderr.trim().split('\n')).toHaveLength(1)
    expect(result.stderr).toContain('IMGPIPE_DATABASE_URL')
  })

  it('never echoes a password put in a URL', async () => {
    const result = await runCli(['run'], cleanEnv({ IMGPIPE_DATABASE_URL: 'mysql://app:hunter2@127.0.0.1/imgpipe' }))
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('IMGPIPE_DATABASE_PASSWORD')
    expect(result.stderr).not.toContain('hunter2')
  })

  it('rejects bad arguments with exit code 2', async () => {
    const result = await runCli(['run', '--count', 'many'], cleanEnv())
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('positive integer')
  })
})

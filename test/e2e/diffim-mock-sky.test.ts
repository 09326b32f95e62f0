/**
 * Difference imaging from end to end through the built CLI, on SQLite and a directory: `imgpipe run --mock sky`
 * receives 8 frames of one field; the analyze stage builds the field's reference once 3 frames are analysed and
 * analyses the later ones against it. Every new, variable or moving source the truth table says should stand at
 * S/N ≥ 10 on the difference image is a detection within 1 px and 0.5″; no static star is one. Then `imgpipe
 * reference list` and `imgpipe report completeness` show what was recorded.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cleanEnv, runCli } from '../support/cli.js'
import { arcsecBetween, expectedChanges, expectedSnr, parseTruthCsv, runSky, staticStars } from '../support/diffim-truth.js'

const RUN = { seed: 3, count: 8, size: 512 }
const REFERENCE_FRAMES = 3

interface Detection {
  image_num: number
  x: number
  y: number
  ra_deg: number
  dec_deg: number
  snr: number
  kind: string
}

let dir: string
let env: Record<string, string>
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'imgpipe-diffim-'))
  env = cleanEnv({
    IMGPIPE_DATABASE_URL: `sqlite:${path.join(dir, 'catalog.db')}`,
    IMGPIPE_OBJECT_STORE_URL: `file:${path.join(dir, 'store')}`,
  })
  const run = await runCli(
    [
      'run',
      '--mock',
      'sky',
      '--count',
      String(RUN.count),
      '--size',
      String(RUN.size),
      '--seed',
      String(RUN.seed),
      '--truth',
      path.join(dir, 'truth.csv'),
      // One image at a time: frame 4 finds frames 1–3 analysed (in parallel, the build waits for a later frame).
      '--consumer-concurrency',
      '1',
      '--json',
    ],
    env,
    { cwd: dir, timeoutMs: 300_000 },
  )
  expect(run.stderr).not.toMatch(/error/i)
  expect(run.code).toBe(0)
}, 320_000)
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

function rows<T>(sql: string): T[] {
  const db = new Database(path.join(dir, 'catalog.db'), { readonly: true })
  try {
    return db.prepare(sql).all() as T[]
  } finally {
    db.close()
  }
}

describe('imgpipe run --mock sky with difference imaging', () => {
  it('builds the reference from frames 1–3 and analyses frames 4–8 against it', () => {
    const references = rows<{ reference_id: number; status: string; frames: number; image_ids: string }>('SELECT * FROM reference_image')
    expect(references).toHaveLength(1)
    expect(references[0]).toMatchObject({ status: 'ready', frames: REFERENCE_FRAMES })
    const frames = rows<{ image_id: number; image_num: number }>('SELECT image_id, image_num FROM image_metadata ORDER BY image_num')
    const ids = (JSON.parse(references[0]!.image_ids) as number[]).sort()
    expect(ids).toEqual(frames.slice(0, 3).map((frame) => frame.image_id))
    const runs = rows<{ image_num: number; reference_id: number }>(
      'SELECT m.image_num, r.reference_id FROM diffim_run r JOIN image_metadata m ON m.image_id = r.image_id ORDER BY m.image_num',
    )
    expect(runs).toEqual([4, 5, 6, 7, 8].map((n) => ({ image_num: n, reference_id: references[0]!.reference_id })))
  })

  it('finds every change of S/N ≥ 10 within 1 px and 0.5″ of the truth', async () => {
    const truth = parseTruthCsv(await readFile(path.join(dir, 'truth.csv'), 'utf8'))
    const sky = runSky(RUN)
    const detections = rows<Detection>(
      'SELECT m.image_num, d.x, d.y, d.ra_deg, d.dec_deg, d.snr, d.kind FROM dia_source d JOIN image_metadata m ON m.image_id = d.image_id',
    )
    const expected = expectedChanges(truth, REFERENCE_FRAMES).filter(
      (row) =>
        expectedSnr(sky, row.change, REFERENCE_FRAMES) >= 10 && row.x > 10 && row.y > 10 && row.x < RUN.size - 10 && row.y < RUN.size - 10,
    )
    expect(expected.length).toBeGreaterThanOrEqual(8) // new source from frame 5, the moving object, the variable's swings
    const missed = expected.filter(
      (row) =>
        !detections.some(
          (d) =>
            d.image_num === row.frame &&
            Math.hypot(d.x - row.x, d.y - row.y) <= 1 &&
            arcsecBetween({ ra: d.ra_deg, dec: d.dec_deg }, row) <= 0.5 &&
            Math.sign(d.snr) === Math.sign(row.change),
        ),
    )
    expect(missed.map((row) => `${row.kind} in frame ${row.frame}`)).toEqual([])
  })

  it('detects no static star (nothing within 2″ of a catalogue star that is not a changing source)', async () => {
    const truth = parseTruthCsv(await readFile(path.join(dir, 'truth.csv'), 'utf8'))
    const detections = rows<Detection>(
      'SELECT m.image_num, d.x, d.y, d.ra_deg, d.dec_deg, d.snr, d.kind FROM dia_source d JOIN image_metadata m ON m.image_id = d.image_id',
    )
    const stars = staticStars(runSky(RUN))
    const onStars = detections.filter((d) => {
      const changing = truth.some((row) => row.frame === d.image_num && arcsecBetween({ ra: d.ra_deg, dec: d.dec_deg }, row) <= 2)
      return !changing && stars.some((star) => arcsecBetween({ ra: d.ra_deg, dec: d.dec_deg }, star) <= 2)
    })
    expect(onStars.map((d) => `frame ${d.image_num} (${d.x.toFixed(1)}, ${d.y.toFixed(1)}) S/N ${d.snr.toFixed(1)}`)).toEqual([])
  })

  it('records stamps with each detection and an event typed by its most significant one', () => {
    const events = rows<{ event_type: string; analyzer: string; n: number }>(
      `SELECT e.event_type, e.analyzer, (SELECT COUNT(*) FROM image_event_derivative_image s
         WHERE s.image_event_id = e.image_event_id AND s.name LIKE 'stamp-%-science.fits' AND s.source_id IS NOT NULL) AS n
       FROM image_event e JOIN image_metadata m ON m.image_id = e.image_id WHERE m.image_num >= 5`,
    )
    expect(events.length).toBeGreaterThanOrEqual(4)
    for (const event of events) {
      expect(event.analyzer).toBe('diffim')
      expect(['new_source', 'brightening', 'fading']).toContain(event.event_type)
      expect(event.n).toBeGreaterThan(0)
    }
  })

  it('lists the reference and reports completeness with its figures', async () => {
    const list = await runCli(['reference', 'list', '--json'], env, { cwd: dir })
    expect(list.code).toBe(0)
    expect(JSON.parse(list.stdout)).toMatchObject([{ stream: 'default', field: 'field-a', filter: 'r', version: 1, status: 'ready' }])

    const report = await runCli(['report', 'completeness', '--json'], env, { cwd: dir })
    expect(report.code).toBe(0)
    const figures = JSON.parse(report.stdout)
    expect(figures).toMatchObject({ images: 5, fakes: 100 })
    expect(figures.recovered).toBeGreaterThan(50)
    expect(figures.snr50).toBeGreaterThan(2)
    expect(figures.snr50).toBeLessThan(10)
    expect(figures.detectionsPerImage.runs).toBe(5)
    const high = figures.snrBins.filter((bin: { lo: number }) => bin.lo >= 10)
    const injected = high.reduce((sum: number, bin: { injected: number }) => sum + bin.injected, 0)
    const recovered = high.reduce((sum: number, bin: { recovered: number }) => sum + bin.recovered, 0)
    expect(recovered / injected).toBeGreaterThanOrEqual(0.9)
  })

  it('exits non-zero with one line when there is nothing to report', async () => {
    const report = await runCli(['report', 'completeness', '--stream', 'nothing-here'], env, { cwd: dir })
    expect(report.code).not.toBe(0)
    expect(report.stderr.trim().split('\n')).toHaveLength(1)
    expect(report.stderr).toMatch(/no fakes recorded in stream nothing-here/)
  })
})

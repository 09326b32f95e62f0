import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { renderTeddyBear } from '../../../src/analysis/teddy-bear.js'
import { cleanEnv, runCli } from '../../support/cli.js'
import { readRows } from '../../support/sqlite-rows.js'

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'imgpipe-reanalyze-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

const env = () =>
  cleanEnv({ IMGPIPE_DATABASE_URL: `sqlite:${path.join(dir, 'db.db')}`, IMGPIPE_OBJECT_STORE_URL: `file:${path.join(dir, 'objects')}` })

async function folder(name: string, bytes: Buffer): Promise<string> {
  const where = path.join(dir, name)
  await mkdir(where)
  await writeFile(path.join(where, `${name}.jpg`), bytes)
  return where
}

describe('imgpipe reanalyze', () => {
  it('brings back images whose analysis failed, reports them in status and ingest, and never duplicates events or alerts', async () => {
    const teddy = await renderTeddyBear(120)
    const rotated = await sharp(teddy).rotate(90).jpeg().toBuffer()
    expect((await runCli(['ingest', await folder('first', teddy), '--stream', 'cam'], env())).code).toBe(0)
    // The first image's object goes missing: comparing the next image with it fails, and the first image (whose own
    // object is bad) is the one marked failed; the second is analysed without a predecessor.
    const firstObject = path.join(dir, 'objects', 'image', 'cam__image_00001.jpg')
    const saved = await readFile(firstObject)
    await rm(firstObject)
    const ingest = await runCli(['ingest', await folder('second', rotated), '--stream', 'cam'], env())
    expect(ingest.code, ingest.stderr).toBe(0)

    const status = await runCli(['status', '--json'], env())
    const report = JSON.parse(status.stdout) as { failedImages: { imageNum: number; filename: string }[] }
    expect(report.failedImages).toEqual([expect.objectContaining({ imageNum: 1, filename: 'first.jpg' })])
    expect((await runCli(['status'], env())).stdout).toContain('imgpipe reanalyze --failed')

    await writeFile(firstObject, saved)
    const again = await runCli(['reanalyze', '--failed', '--stream', 'cam', '--json'], env())
    expect(again.code, again.stderr).toBe(0)
    expect(JSON.parse(again.stdout)).toMatchObject({ reset: 1, processed: { analyzed: 1, failed: 0, events: 0 } })
    // The whole stream again: the second image now meets its predecessor, and the rotation is an event.
    const stream = await runCli(['reanalyze', '--stream', 'cam', '--json'], env())
    expect(JSON.parse(stream.stdout)).toMatchObject({ reset: 2, processed: { analyzed: 2, failed: 0, events: 1 } })
    const rows = readRows(path.join(dir, 'db.db'))
    expect(rows.images.map((image) => image['status'])).toEqual(['analyzed', 'analyzed'])
    expect(rows.events).toHaveLength(1)
    expect(rows.alerts).toHaveLength(1)

    // Everything again, twice: same rows, no second event or alert.
    for (let round = 0; round < 2; round += 1) {
      const all = await runCli(['reanalyze', '--json'], env())
      expect(all.code).toBe(0)
      expect(JSON.parse(all.stdout)).toMatchObject({ reset: 2 })
    }
    const after = readRows(path.join(dir, 'db.db'))
    expect(after.events).toEqual(rows.events)
    expect(after.alerts.map((alert) => alert['image_event_alert_id'])).toEqual(rows.alerts.map((alert) => alert['image_event_alert_id']))
    expect(after.images.map((image) => [image['status'], image['previous_image_id']])).toEqual([
      ['analyzed', null],
      ['analyzed', 1],
    ])
  })
})

/**
 * Difference imaging on the real servers: `imgpipe run --mock sky` on PostgreSQL + Kafka + S3Proxy builds the
 * field's reference after 3 frames, stores it and every event's stamps in S3, records runs, fakes and detections in
 * PostgreSQL, and finds the mock sky's changes as the embedded run does (test/e2e/diffim-mock-sky.test.ts).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { objectLedgerDeps } from '../../src/analysis/association/ledger-deps.js'
import { runCli } from '../support/cli.js'
import { arcsecBetween, expectedChanges, expectedSnr, parseTruthCsv, runSky } from '../support/diffim-truth.js'
import { deploy } from '../support/e2e.js'
import { serviceUrl, TEST_ENV } from '../support/integration.js'

const kafkaUrl = serviceUrl(TEST_ENV.kafkaUrl, 'Kafka')
const postgresUrl = serviceUrl(TEST_ENV.postgresUrl, 'PostgreSQL')
const s3Url = serviceUrl(TEST_ENV.s3Url, 'S3Proxy')
const ready = kafkaUrl !== null && postgresUrl !== null && s3Url !== null
const RUN = { seed: 3, count: 8, size: 512 }

describe.skipIf(!ready)('difference imaging on PostgreSQL + Kafka + S3Proxy', () => {
  it('builds the reference after 3 frames, finds every S/N ≥ 10 change and stores stamps and reference in S3', async () => {
    const deployment = await deploy(kafkaUrl!, 'postgres')
    const dir = await mkdtemp(path.join(tmpdir(), 'imgpipe-diffim-services-'))
    const catalog = deployment.database.openCatalog()
    const store = deployment.store.openStore()
    try {
      const truthFile = path.join(dir, 'truth.csv')
      const run = await runCli(
        ['run', '--mock', 'sky', '--count', String(RUN.count), '--size', String(RUN.size), '--seed', String(RUN.seed)].concat([
          '--truth',
          truthFile,
          '--consumer-concurrency',
          '1',
          '--json',
        ]),
        deployment.env,
        { cwd: dir, timeoutMs: 300_000 },
      )
      expect(run.code, run.stderr).toBe(0)

      const science = catalog.scienceLedger()
      const [reference, ...more] = await science.listReferences('default')
      expect(more).toEqual([])
      expect(reference).toMatchObject({ field: 'field-a', filter: 'r', status: 'ready', frames: 3, version: 1 })
      expect((await store.get(reference!.objectKey!)).subarray(0, 9).toString()).toBe('SIMPLE  =')

      const objects = catalog.objectLedger(objectLedgerDeps)
      const truth = parseTruthCsv(await readFile(truthFile, 'utf8'))
      const sky = runSky(RUN)
      for (let frame = 4; frame <= RUN.count; frame++) {
        const image = (await catalog.findPreviousImage('default', frame + 1))!
        expect(image.imageNum).toBe(frame)
        expect(await science.getDiffimRun(image.imageId)).toMatchObject({ referenceId: reference!.referenceId })
        const detections = await objects.detectionsOfImage(image.imageId)
        const wanted = expectedChanges(truth, 3).filter((row) => row.frame === frame && expectedSnr(sky, row.change, 3) >= 10)
        for (const row of wanted) {
          const found = detections.some((d) => Math.hypot(d.x - row.x, d.y - row.y) <= 1 && arcsecBetween(d, row) <= 0.5)
          expect(found, `${row.kind} in frame ${frame}`).toBe(true)
        }
        if (detections.length === 0) continue
        const event = (await catalog.getEventByImageId(image.imageId))!
        expect(event).toMatchObject({ analyzer: 'diffim' })
        const stamps = (await science.listDerivatives(event.imageEventId)).filter((row) => row.name.endsWith('-difference.fits'))
        expect(stamps.length).toBeGreaterThan(0)
        expect((await store.get(stamps[0]!.objectKey)).subarray(0, 9).toString()).toBe('SIMPLE  =')
      }

      const report = await runCli(['report', 'completeness', '--json'], deployment.env, { cwd: dir })
      expect(report.code, report.stderr).toBe(0)
      expect(JSON.parse(report.stdout)).toMatchObject({ images: 5, fakes: 100, snr50: expect.any(Number) })
    } finally {
      await store.close()
      await catalog.close()
      await deployment.cleanup()
      await rm(dir, { recursive: true, force: true })
    }
  }, 400_000)
})

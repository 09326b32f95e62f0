/**
 * The stages as separate processes through a restart of the shared Kafka broker in the middle of a run.
 * A `.serial` test: vitest runs it alone, after every other suite (see vitest.config.ts).
 */
import { execFile } from 'node:child_process'
import path from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { catalogRows, waitForCounts } from '../support/catalog-rows.js'
import { collect, repoRoot, spawnCli } from '../support/cli.js'
import { deploy, embeddedRows, startStage, stopStage } from '../support/e2e.js'
import { serviceUrl, TEST_ENV } from '../support/integration.js'

const run = promisify(execFile)
const kafkaUrl = serviceUrl(TEST_ENV.kafkaUrl, 'Kafka')
const ready = kafkaUrl !== null && serviceUrl(TEST_ENV.mysqlUrl, 'MariaDB') !== null && serviceUrl(TEST_ENV.s3Url, 'S3Proxy') !== null

describe.skipIf(!ready)('a broker restart in the middle of a run', () => {
  it('loses and duplicates nothing: the stages reconnect and the rows equal the embedded run', async () => {
    const args = ['--streams', '2', '--count', '30', '--change-every', '5']
    const deployment = await deploy(kafkaUrl!, 'mysql')
    const catalog = deployment.database.openCatalog()
    try {
      const alert = startStage('alert', deployment.env)
      const analyze = startStage('analyze', deployment.env)
      await Promise.all([alert.consuming, analyze.consuming])
      // Paced so that the restart lands while images are still arriving.
      const receive = spawnCli(['receive', ...args, '--interval', '60', '--json'], deployment.env)
      const received = collect(receive, 600_000)
      await waitForCounts(catalog, (counts) => counts.images >= 12 && counts.imagesAnalyzed >= 4)

      await run(path.join(repoRoot, 'scripts/services.sh'), ['restart', 'kafka'], { cwd: repoRoot, timeout: 300_000 })

      const receiveResult = await received
      expect(receiveResult.code, receiveResult.stderr.slice(-2000)).toBe(0)
      await waitForCounts(
        catalog,
        (counts) => counts.imagesAnalyzed === 60 && counts.alerts === 12 && counts.alertsUndelivered === 0,
        300_000,
      ).catch((error: unknown) => {
        throw new Error(`${String(error)}\n${analyze.logTail()}\n${alert.logTail()}`)
      })
      const [analyzed] = await Promise.all([stopStage(analyze), stopStage(alert)])
      expect(analyzed.processed['analyzed']).toBeGreaterThanOrEqual(60)
      expect(await catalogRows(catalog)).toEqual(await embeddedRows(args))
    } finally {
      await catalog.close()
      await deployment.cleanup()
    }
  }, 600_000)
})

/**
 * `imgpipe status` reports consumer lag per group, topic and partition: on Kafka, non-zero while the analyze
 * stage is stopped, 0 once it drained the topic; on the in-process bus it says where the lag can be seen.
 */
import { describe, expect, it } from 'vitest'
import type { LagRow } from '../../../src/cli/commands/consumer-lag-report.js'
import { renderConsumerLag } from '../../../src/cli/commands/consumer-lag-report.js'
import { waitForCounts } from '../../support/catalog-rows.js'
import { cleanEnv, runCli } from '../../support/cli.js'
import { deploy, startStage, stopStage } from '../../support/e2e.js'
import { serviceUrl, TEST_ENV } from '../../support/integration.js'

interface StatusJson {
  consumerLag: LagRow[] | null
  consumerLagDetail?: string
}

async function status(env: Record<string, string>): Promise<StatusJson> {
  const result = await runCli(['status', '--json'], env)
  expect(result.code, result.stderr).toBe(0)
  return JSON.parse(result.stdout) as StatusJson
}

const kafkaUrl = serviceUrl(TEST_ENV.kafkaUrl, 'Kafka')
const ready = kafkaUrl !== null && serviceUrl(TEST_ENV.postgresUrl, 'PostgreSQL') !== null && serviceUrl(TEST_ENV.s3Url, 'S3Proxy') !== null

describe('imgpipe status: consumer lag', () => {
  it.skipIf(!ready)('on Kafka: shows the backlog while the analyze stage is stopped, and 0 after it drained', async () => {
    const deployment = await deploy(kafkaUrl!, 'postgres', 2)
    try {
      const received = await runCli(['receive', '--count', '6'], deployment.env)
      expect(received.code, received.stderr).toBe(0)
      const analysis = (rows: LagRow[] | null): LagRow[] => (rows ?? []).filter((row) => row.topic === `${deployment.prefix}image_analysis`)

      const waiting = analysis((await status(deployment.env)).consumerLag)
      expect(waiting.map((row) => [row.group, row.partition])).toEqual([
        [`${deployment.prefix}image_analysis_group`, 0],
        [`${deployment.prefix}image_analysis_group`, 1],
      ])
      expect(waiting.reduce((sum, row) => sum + row.lag, 0)).toBe(6)
      expect(waiting.reduce((sum, row) => sum + row.endOffset, 0)).toBe(6)
      expect(waiting.every((row) => row.committedOffset === null)).toBe(true)
      const text = await runCli(['status'], deployment.env)
      expect(text.stdout).toMatch(/^lag +\d+ messages not yet consumed$/m)
      expect(text.stdout).toMatch(
        new RegExp(`^  ${deployment.prefix}image_analysis_group +${deployment.prefix}image_analysis +0 +- +\\d+ +\\d+$`, 'm'),
      )

      const analyze = startStage('analyze', deployment.env)
      await analyze.consuming
      const catalog = deployment.database.openCatalog()
      try {
        await waitForCounts(catalog, (counts) => counts.imagesAnalyzed === 6)
      } finally {
        await catalog.close()
      }
      await stopStage(analyze)
      const drained = analysis((await status(deployment.env)).consumerLag)
      expect(drained.reduce((sum, row) => sum + row.lag, 0)).toBe(0)
      // One stream: its images share one partition; the other one stays empty and uncommitted.
      for (const row of drained) expect(row.committedOffset ?? 0).toBe(row.endOffset)
      expect(drained.some((row) => row.committedOffset === 6)).toBe(true)
    } finally {
      await deployment.cleanup()
    }
  })

  it('on the in-process bus: no rows, and a reason', async () => {
    const report = await status(cleanEnv({ IMGPIPE_DATABASE_URL: 'sqlite::memory:', IMGPIPE_OBJECT_STORE_URL: 'memory:' }))
    expect(report.consumerLag).toBeNull()
    expect(report.consumerLagDetail).toContain('in-process bus')
  })

  it('renders aligned rows with a total', () => {
    const lines = renderConsumerLag(
      [
        { group: 'g', topic: 'image_analysis', partition: 0, committedOffset: null, endOffset: 12, lag: 12 },
        { group: 'g', topic: 'image_analysis', partition: 10, committedOffset: 3, endOffset: 4, lag: 1 },
      ],
      undefined,
    )
    expect(lines).toEqual([
      'lag            13 messages not yet consumed',
      '  group  topic           partition  committed  end  lag',
      '  g      image_analysis          0          -   12   12',
      '  g      image_analysis         10          3    4    1',
    ])
  })
})

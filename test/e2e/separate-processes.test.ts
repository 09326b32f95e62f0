/**
 * The stages as separate OS processes, like the original's three Kafka clients, on the real servers:
 * Apache Kafka + MariaDB + S3Proxy (and PostgreSQL once). Each run must end with exactly the rows the
 * embedded one-process run (SQLite, directory, in-process bus) gives for the same arguments.
 */
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { catalogRows, waitForCounts } from '../support/catalog-rows.js'
import { runCli } from '../support/cli.js'
import { deploy, embeddedRows, startStage, stopStage } from '../support/e2e.js'
import { serviceUrl, TEST_ENV } from '../support/integration.js'

const run = promisify(execFile)
const kafkaUrl = serviceUrl(TEST_ENV.kafkaUrl, 'Kafka')
const mysqlUrl = serviceUrl(TEST_ENV.mysqlUrl, 'MariaDB')
const s3Url = serviceUrl(TEST_ENV.s3Url, 'S3Proxy')
const ready = kafkaUrl !== null && mysqlUrl !== null && s3Url !== null

describe.skipIf(!ready)('three stages as separate processes on Kafka + MariaDB + S3Proxy', () => {
  it('reproduce the embedded run, started in any order; kcat and the mariadb client see the original shapes', async () => {
    const deployment = await deploy(kafkaUrl!, 'mysql')
    const catalog = deployment.database.openCatalog()
    try {
      // Receive first, with nobody consuming yet; then alert, then analyze.
      const received = await runCli(['receive'], deployment.env)
      expect(received.code, received.stderr).toBe(0)
      const alert = startStage('alert', deployment.env)
      const analyze = startStage('analyze', deployment.env)
      await waitForCounts(catalog, (counts) => counts.imagesAnalyzed === 10 && counts.alerts === 2 && counts.alertsUndelivered === 0)
      await stopStage(analyze)
      await stopStage(alert)
      expect(await catalogRows(catalog)).toEqual(await embeddedRows([]))

      // A client we did not write reads our topics: the documented JSON, keyed by stream.
      const consume = async (topic: string) => {
        const { stdout } = await run('kcat', [
          '-b',
          deployment.brokers.join(','),
          '-C',
          '-t',
          `${deployment.prefix}${topic}`,
          '-o',
          'beginning',
          '-e',
          '-q',
          '-J',
        ])
        return stdout
          .trim()
          .split('\n')
          .map((line) => JSON.parse(line) as { key: string; payload: string })
      }
      const analysis = await consume('image_analysis')
      expect(analysis).toHaveLength(10)
      expect(analysis.every((message) => message.key === 'default')).toBe(true)
      expect(JSON.parse(analysis[2]!.payload)).toMatchObject({
        schema_version: 1,
        image_num: 3,
        image_filename: 'image_00003.jpg',
        stream: 'default',
        image_object_key: 'image/image_00003.jpg',
      })
      const alerts = await consume('image_event_alert')
      expect(alerts.map((message) => JSON.parse(message.payload).image_num)).toEqual([3, 7])
      expect(alerts.every((message) => typeof JSON.parse(message.payload).image_event_id === 'number')).toBe(true)

      // The mariadb client shows the original's tables and rows.
      const config = deployment.database.config
      if (config.kind !== 'mysql') throw new Error('expected MariaDB')
      const { stdout } = await run(
        'mariadb',
        [
          '--protocol=TCP',
          '-h',
          config.host,
          '-P',
          String(config.port),
          '-u',
          config.user,
          '--batch',
          config.database,
          '-e',
          'SELECT image_id, image_filename, image_object_key FROM image_metadata ORDER BY image_id; SELECT image_event_id, image_id, difference_image_object_key FROM image_event ORDER BY image_id; SELECT COUNT(*) AS alerts FROM image_event_alert',
        ],
        { env: { ...process.env, MYSQL_PWD: deployment.database.password ?? '' } },
      )
      expect(stdout).toContain('image_id\timage_filename\timage_object_key\n1\timage_00001.jpg\timage/image_00001.jpg\n')
      expect(stdout).toContain('3\tdifference_image/image_event_00001.jpg')
      expect(stdout).toContain('7\tdifference_image/image_event_00002.jpg')
      expect(stdout).toMatch(/alerts\n2\n/)
    } finally {
      await catalog.close()
      await deployment.cleanup()
    }
  })

  it('share the work between two analyzers: 3 streams × 50 images, exact rows, no duplicate', async () => {
    // 6 partitions: the streams' keys land on partitions 0, 2 and 5, so either assignor gives both analyzers work.
    const deployment = await deploy(kafkaUrl!, 'mysql', 6)
    const catalog = deployment.database.openCatalog()
    try {
      const alert = startStage('alert', deployment.env)
      const analyzers = [startStage('analyze', deployment.env), startStage('analyze', deployment.env)]
      await Promise.all([alert.consuming, ...analyzers.map((stage) => stage.consuming)])
      const received = await runCli(['receive', '--streams', '3', '--count', '50', '--interval', '10'], deployment.env)
      expect(received.code, received.stderr).toBe(0)
      const counts = await waitForCounts(
        catalog,
        (counts) => counts.imagesAnalyzed === 150 && counts.alerts === 36 && counts.alertsUndelivered === 0,
      )
      expect(counts).toMatchObject({ images: 150, imagesFailed: 0, events: 36 })
      const summaries = await Promise.all(analyzers.map(stopStage))
      await stopStage(alert)

      // catalogRows shows each difference image key as named after its own event id (which analyzer came first decides the id).
      const rows = await catalogRows(catalog)
      expect(rows).toEqual(await embeddedRows(['--streams', '3', '--count', '50']))
      expect(
        rows.events.every((event) =>
          /^difference_image\/default-[123]__image_event_<own id>\.jpg$/.test(String(event.difference_image_object_key)),
        ),
      ).toBe(true)
      const expectedEvents = ['default-1', 'default-2', 'default-3'].flatMap((stream) =>
        [3, 7, 11, 15, 19, 23, 27, 31, 35, 39, 43, 47].map((n) => `${stream}#${n}`),
      )
      expect(rows.events.map((event) => event.image).sort()).toEqual(expectedEvents.sort())
      // Both analyzers did part of the work; together at least every image once.
      const analysed = summaries.map((summary) => summary.processed['analyzed'] ?? 0)
      expect(analysed.every((count) => count > 0)).toBe(true)
      expect(analysed[0]! + analysed[1]!).toBeGreaterThanOrEqual(150)
    } finally {
      await catalog.close()
      await deployment.cleanup()
    }
  })

  it('runs all stages in one process on Kafka + PostgreSQL + S3Proxy with the same rows', async () => {
    if (serviceUrl(TEST_ENV.postgresUrl, 'PostgreSQL') === null) return
    const deployment = await deploy(kafkaUrl!, 'postgres')
    const catalog = deployment.database.openCatalog()
    try {
      const result = await runCli(['run', '--count', '12', '--change-every', '3', '--json'], deployment.env)
      expect(result.code, result.stderr).toBe(0)
      expect(await catalogRows(catalog)).toEqual(await embeddedRows(['--count', '12', '--change-every', '3']))
    } finally {
      await catalog.close()
      await deployment.cleanup()
    }
  })
})

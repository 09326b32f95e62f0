/**
 * Drop-in compatibility with the original pipeline's clients (issue 8), on Kafka + MariaDB + S3Proxy:
 * - its receiving client's exact rows and messages (two columns per row; unkeyed messages spread over
 *   partitions and out of order) are analysed and alerted by imgpipe's analyze and alert processes;
 * - its analysis client's SQL (INSERT with only image_id, upload, UPDATE) gets an alert from imgpipe;
 * - its viewer's keys (`image/image_%05d.jpg` of image_id and image_id − 1, the event's difference key)
 *   name JPEGs in the bucket after a default `imgpipe run`.
 */
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import { KafkaBus } from '../../src/adapters/kafka/kafka-bus.js'
import { silentLogger } from '../../src/core/logger.js'
import { mockSource } from '../../src/stages/receive/mock-source.js'
import { waitForCounts } from '../support/catalog-rows.js'
import { runCli } from '../support/cli.js'
import { deploy, startStage, stopStage } from '../support/e2e.js'
import { serviceUrl, TEST_ENV } from '../support/integration.js'

const run = promisify(execFile)
const kafkaUrl = serviceUrl(TEST_ENV.kafkaUrl, 'Kafka')
const mysqlUrl = serviceUrl(TEST_ENV.mysqlUrl, 'MariaDB')
const s3Url = serviceUrl(TEST_ENV.s3Url, 'S3Proxy')
const ready = kafkaUrl !== null && mysqlUrl !== null && s3Url !== null

const name = (num: number) => `image_${String(num).padStart(5, '0')}.jpg`

/** The original's producer: kcat, no key, an explicit partition, the exact bytes of its json.dumps. */
async function produce(brokers: string[], topic: string, partition: number, value: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const child = execFile('kcat', ['-b', brokers.join(','), '-P', '-t', topic, '-p', String(partition)], (error) =>
      error === null ? resolve() : reject(error),
    )
    child.stdin?.end(`${value}\n`)
  })
}

describe.skipIf(!ready)("the original's clients on imgpipe's Kafka + MariaDB + S3Proxy", () => {
  it("analyses and alerts its receiving client's rows and messages (unkeyed, any partition, out of order)", async () => {
    const deployment = await deploy(kafkaUrl!, 'mysql', 3)
    const catalog = deployment.database.openCatalog()
    const store = deployment.store.openStore()
    const bus = new KafkaBus({
      brokers: deployment.brokers,
      clientId: `${deployment.prefix}setup`,
      defaultPartitions: 3,
      logger: silentLogger,
    })
    try {
      expect((await runCli(['db', 'create'], deployment.env)).code).toBe(0)
      const topic = `${deployment.prefix}image_analysis`
      await bus.ensureTopics([
        { name: topic, partitions: 3 },
        { name: `${deployment.prefix}image_event_alert`, partitions: 3 },
      ])
      // Its receiving client: the teddy bear stream (rotated at 3 and 7), upload, then the two-column INSERT.
      const ids = new Map<number, number>()
      for await (const image of mockSource({ streams: ['default'], count: 10, changeEvery: 4 })) {
        await store.put(`image/${name(image.imageNum!)}`, image.bytes!)
        await catalog.executeSql(
          `INSERT INTO image_metadata (image_filename, image_object_key) VALUES ('${name(image.imageNum!)}', 'image/${name(image.imageNum!)}')`,
        )
        const rows = await catalog.executeSql(`SELECT image_id FROM image_metadata WHERE image_filename = '${name(image.imageNum!)}'`)
        ids.set(image.imageNum!, Number(rows[0]!['image_id']))
      }
      const order = [7, 3, 10, 1, 5, 2, 8, 4, 9, 6]
      for (const [position, num] of order.entries()) {
        const value = `{"image_num": ${num}, "image_id": ${ids.get(num)}, "image_filename": "${name(num)}", "image_analysis_path": "image_analysis/${name(num)}"}`
        await produce(deployment.brokers, topic, position % 3, value)
      }
      const alert = startStage('alert', deployment.env)
      const analyze = startStage('analyze', deployment.env)
      await waitForCounts(catalog, (counts) => counts.imagesAnalyzed === 10 && counts.alerts === 2 && counts.alertsUndelivered === 0)

      const views = (await catalog.listAlertViews({ limit: 10 })).sort((a, b) => (a.image.imageNum ?? 0) - (b.image.imageNum ?? 0))
      expect(views.map((view) => view.image.imageNum)).toEqual([3, 7])
      expect(views.map((view) => view.previousImage?.imageNum)).toEqual([2, 6])
      for (const view of views) {
        expect(view.event.differenceImageObjectKey).toBe(
          `difference_image/image_event_${String(view.event.imageEventId).padStart(5, '0')}.jpg`,
        )
        expect((await sharp(await store.get(view.event.differenceImageObjectKey!)).metadata()).format).toBe('jpeg')
      }

      // Its analysis client's way of writing an event: INSERT (image_id) only, upload by event id, UPDATE.
      await catalog.executeSql(`INSERT INTO image_event (image_id) VALUES (${ids.get(9)})`)
      const eventId = Number((await catalog.executeSql('SELECT max(image_event_id) AS id FROM image_event'))[0]!['id'])
      const key = `difference_image/image_event_${String(eventId).padStart(5, '0')}.jpg`
      await store.put(key, await store.get('image/image_00009.jpg'))
      await catalog.executeSql(`UPDATE image_event SET difference_image_object_key = '${key}' WHERE image_event_id = ${eventId}`)
      await produce(deployment.brokers, `${deployment.prefix}image_event_alert`, 1, `{"image_event_id": ${eventId}}`)
      await waitForCounts(catalog, (counts) => counts.alerts === 3 && counts.alertsUndelivered === 0)
      expect((await catalog.listAlertViews({ limit: 1 }))[0]).toMatchObject({
        event: { imageEventId: eventId, differenceImageObjectKey: key },
      })

      await stopStage(analyze)
      await stopStage(alert)
    } finally {
      await bus.close()
      await store.close()
      await catalog.close()
      await deployment.cleanup()
    }
  }, 300_000)

  it("after a default imgpipe run, the original viewer's keys for alerts 1 and 2 name JPEGs in the bucket", async () => {
    const deployment = await deploy(kafkaUrl!, 'mysql', 3)
    const store = deployment.store.openStore()
    try {
      const result = await runCli(['run'], deployment.env)
      expect(result.code, result.stderr).toBe(0)
      // The viewer's SQL, through the mariadb client: alert -> event -> image.
      const config = deployment.database.config
      if (config.kind !== 'mysql') throw new Error('expected MariaDB')
      const query = async (alert: number) => {
        const sqlText = `SELECT m.image_id, m.image_object_key, e.difference_image_object_key FROM image_event_alert a
          JOIN image_event e ON e.image_event_id = a.image_event_id JOIN image_metadata m ON m.image_id = e.image_id
          WHERE a.image_event_alert_id = ${alert}`
        const { stdout } = await run(
          'mariadb',
          ['--protocol=TCP', '-h', config.host, '-P', String(config.port), '-u', config.user, '-N', '-B', '-e', sqlText, config.database],
          { env: { ...process.env, MYSQL_PWD: config.password ?? '' } },
        )
        const [imageId, imageKey, differenceKey] = stdout.trim().split('\t')
        // The viewer builds the previous image's key itself from image_id - 1.
        return [`image/${name(Number(imageId) - 1)}`, imageKey!, differenceKey!]
      }
      const keys = [...(await query(1)), ...(await query(2))]
      expect(keys).toEqual([
        'image/image_00002.jpg',
        'image/image_00003.jpg',
        'difference_image/image_event_00001.jpg',
        'image/image_00006.jpg',
        'image/image_00007.jpg',
        'difference_image/image_event_00002.jpg',
      ])
      for (const key of keys) {
        // The one segment after the folder is what the viewer's /image/<name> and /difference_image/<name> routes take.
        expect(key.split('/')).toHaveLength(2)
        const bytes = await store.get(key) // GetObject over HTTP from S3Proxy
        expect(bytes.subarray(0, 3).toString('hex')).toBe('ffd8ff')
        expect((await sharp(bytes).metadata()).format).toBe('jpeg')
      }
    } finally {
      await store.close()
      await deployment.cleanup()
    }
  }, 300_000)
})

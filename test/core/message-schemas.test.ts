/**
 * The published JSON Schemas (schemas/*.json) against the messages the stages really produce, and the
 * messages of the original's clients, byte for byte, through both consumers.
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { Ajv2020 } from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'
import sharp from 'sharp'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { renderTeddyBear } from '../../src/analysis/teddy-bear.js'
import { AlertStage } from '../../src/stages/alert/alert-stage.js'
import { AnalyzeStage } from '../../src/stages/analyze/analyze-stage.js'
import { ReceiveStage } from '../../src/stages/receive/receive-stage.js'
import { repoRoot } from '../support/cli.js'
import { drainTopic, memoryContext, message, type TestContext } from '../support/memory-context.js'
import { RecordingChannel } from '../support/recording-channel.js'

const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false, strictTypes: false })
addFormats.default(ajv)
const schema = (name: string) => ajv.compile(JSON.parse(readFileSync(path.join(repoRoot, 'schemas', `${name}.schema.json`), 'utf8')))
const analysisSchema = schema('image_analysis')
const alertSchema = schema('image_event_alert')

/** Exactly what the original's Python clients send (json.dumps: ", " and ": " separators, this key order). */
const ORIGINAL_ANALYSIS = (num: number, id: number) => {
  const name = `image_${String(num).padStart(5, '0')}.jpg`
  return `{"image_num": ${num}, "image_id": ${id}, "image_filename": "${name}", "image_analysis_path": "image_analysis/${name}"}`
}
const ORIGINAL_ALERT = (eventId: number) => `{"image_event_id": ${eventId}}`

let context: TestContext
let teddy: Buffer
let rotated: Buffer
beforeEach(async () => {
  context = await memoryContext()
  teddy ??= await renderTeddyBear(64)
  rotated ??= await sharp(teddy).rotate(90).jpeg().toBuffer()
})
afterEach(async () => {
  await context.close()
})

describe('JSON Schemas of the two topics', () => {
  it('validate every message the receive and analyze stages publish', async () => {
    const receive = new ReceiveStage({ ...context, analysis: { ...context.analysis, analysisDir: '/tmp/imgpipe-analysis' } })
    for (const [num, bytes] of [teddy, rotated].entries()) {
      await receive.receive({ stream: 'default', imageNum: num + 1, filename: `image_0000${num + 1}.jpg`, bytes, byteSize: bytes.length })
    }
    const analysis = await drainTopic(context.bus, 'image_analysis')
    expect(analysis).toHaveLength(2)
    const analyze = new AnalyzeStage(context)
    for (const entry of analysis) {
      expect(analysisSchema(JSON.parse(entry.value)), JSON.stringify(analysisSchema.errors)).toBe(true)
      await analyze.handle(entry)
    }
    const alerts = await drainTopic(context.bus, 'image_event_alert')
    expect(alerts).toHaveLength(1)
    expect(alertSchema(JSON.parse(alerts[0]!.value)), JSON.stringify(alertSchema.errors)).toBe(true)
  })

  it("accept the original's messages and refuse broken ones", () => {
    expect(analysisSchema(JSON.parse(ORIGINAL_ANALYSIS(3, 3)))).toBe(true)
    expect(alertSchema(JSON.parse(ORIGINAL_ALERT(1)))).toBe(true)
    expect(analysisSchema({ image_id: 0 })).toBe(false)
    expect(analysisSchema({ schema_version: 1, image_id: 3 })).toBe(false) // a versioned message carries every field
    expect(alertSchema({ image_event_id: 'one' })).toBe(false)
    // A newer producer's message with fields we do not know is still valid.
    expect(alertSchema({ ...JSON.parse(ORIGINAL_ALERT(1)), severity: 'high' })).toBe(true)
  })
})

describe("the original's messages, byte for byte, through both consumers", () => {
  it("analyses the original's image_analysis messages and alerts its image_event_alert message", async () => {
    const ids: number[] = []
    for (const [index, bytes] of [teddy, teddy, rotated].entries()) {
      const name = `image_0000${index + 1}.jpg`
      await context.store.put(`image/${name}`, bytes)
      const rows = await context.catalog.executeSql(
        `INSERT INTO image_metadata (image_filename, image_object_key) VALUES ('${name}', 'image/${name}') RETURNING image_id`,
      )
      ids.push(Number(rows[0]!['image_id']))
    }
    const analyze = new AnalyzeStage(context)
    for (const index of [2, 0, 1]) await analyze.handle(message('image_analysis', ORIGINAL_ANALYSIS(index + 1, ids[index]!), ''))
    expect((await context.catalog.counts()).imagesAnalyzed).toBe(3)
    const ours = await drainTopic(context.bus, 'image_event_alert')
    expect(ours.map((entry) => JSON.parse(entry.value).image_num)).toEqual([3])

    // The original's analysis client writes an event its own way, then sends its bare message.
    await context.catalog.executeSql(`INSERT INTO image_event (image_id) VALUES (${ids[1]})`)
    const eventId = Number((await context.catalog.executeSql('SELECT max(image_event_id) AS id FROM image_event'))[0]!['id'])
    const key = `difference_image/image_event_${String(eventId).padStart(5, '0')}.jpg`
    await context.store.put(key, rotated)
    await context.catalog.executeSql(`UPDATE image_event SET difference_image_object_key = '${key}' WHERE image_event_id = ${eventId}`)

    const channel = new RecordingChannel()
    const alert = new AlertStage(context, [channel])
    for (const entry of ours) await alert.handle(entry)
    await alert.handle(message('image_event_alert', ORIGINAL_ALERT(eventId), ''))
    const views = await Promise.all(channel.alerts.map((item) => context.catalog.getAlertView(item.alertNum)))
    expect(views.map((view) => view?.event.differenceImageObjectKey)).toEqual(['difference_image/image_event_00001.jpg', key])
  })
})

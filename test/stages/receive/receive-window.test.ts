import sharp from 'sharp'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { renderTeddyBear } from '../../../src/analysis/teddy-bear.js'
import { InvalidImageError } from '../../../src/core/errors.js'
import type { NewImage } from '../../../src/core/types.js'
import type { IncomingImage } from '../../../src/stages/receive/image-source.js'
import { ReceiveStage } from '../../../src/stages/receive/receive-stage.js'
import { ensurePipelineTopics } from '../../../src/stages/run-pipeline.js'
import { drainTopic, memoryContext, type TestContext } from '../../support/memory-context.js'

let context: TestContext
let teddy: Buffer
let png: Buffer
beforeEach(async () => {
  context = await memoryContext()
  await ensurePipelineTopics(context, 1)
  teddy ??= await renderTeddyBear(64)
  png ??= await sharp(teddy).png().toBuffer()
})
afterEach(async () => {
  await context.close()
})

function file(stream: string, filename: string, bytes: Buffer): IncomingImage {
  return { stream, filename, bytes, byteSize: bytes.length }
}

function unreadable(stream: string, filename: string): IncomingImage {
  return { stream, filename, bytes: null, byteSize: 10, readError: new InvalidImageError(`${filename}: cannot read the file (EACCES)`) }
}

describe('ReceiveStage.receiveWindow', () => {
  it('numbers a window per stream in its order, recognises repeats inside it, and publishes once in order', async () => {
    const stage = new ReceiveStage(context)
    const bad = Buffer.from('not an image')
    const outcomes = await stage.receiveWindow([
      file('cam', 'a.jpg', teddy),
      file('sky', 'a.jpg', teddy),
      file('cam', 'b.png', png),
      file('cam', 'a.jpg', teddy), // the same file again, in the same window
      unreadable('cam', 'locked.jpg'),
      unreadable('cam', 'locked.jpg'),
      file('cam', 'bad.jpg', bad),
    ])
    expect(outcomes.map((outcome) => [outcome.kind, outcome.image.stream, outcome.image.imageNum])).toEqual([
      ['received', 'cam', 1],
      ['received', 'sky', 1],
      ['received', 'cam', 2],
      ['duplicate', 'cam', 1],
      ['failed', 'cam', 3],
      ['duplicate', 'cam', 3],
      ['failed', 'cam', 4],
    ])
    expect(outcomes[3]!.image.imageId).toBe(outcomes[0]!.image.imageId)
    expect((await context.catalog.counts()).images).toBe(5)
    expect(Buffer.compare(await context.store.get('image/cam__image_00002.png'), png)).toBe(0)
    expect(Buffer.compare(await context.store.get('image/cam__image_00004.jpg'), bad)).toBe(0)
    const messages = await drainTopic(context.bus, 'image_analysis')
    expect(messages.map((message) => (JSON.parse(message.value) as { image_id: number }).image_id)).toEqual(
      outcomes.slice(0, 3).map((outcome) => outcome.image.imageId),
    )

    // The whole window again: nothing new.
    const again = await stage.receiveWindow([file('cam', 'b.png', png), unreadable('cam', 'locked.jpg'), file('sky', 'a.jpg', teddy)])
    expect(again.map((outcome) => outcome.kind)).toEqual(['duplicate', 'duplicate', 'duplicate'])
    expect((await context.catalog.counts()).images).toBe(5)
  })

  it('gives a number another writer took meanwhile up, and stores that image under the next free one', async () => {
    const stage = new ReceiveStage(context)
    const { catalog } = context
    const insertImages = catalog.insertImages.bind(catalog)
    // Another ingest claims number 2 between this window's numbering and its insert.
    catalog.insertImages = async (rows: readonly NewImage[]) => {
      catalog.insertImages = insertImages
      await insertImages([{ ...rows[1]!, imageFilename: 'theirs.jpg', contentSha256: 'f'.repeat(64), status: 'received' }])
      return insertImages(rows)
    }
    const outcomes = await stage.receiveWindow([file('cam', 'a.jpg', teddy), file('cam', 'b.png', png), file('cam', 'c.jpg', teddy)])
    expect(outcomes.map((outcome) => [outcome.kind, outcome.image.imageFilename, outcome.image.imageNum])).toEqual([
      ['received', 'a.jpg', 1],
      ['received', 'b.png', 4],
      ['received', 'c.jpg', 3],
    ])
    // The other writer's object name was never written to; b.png's bytes are under its own number.
    await expect(context.store.get('image/cam__image_00002.png')).rejects.toThrow()
    expect(Buffer.compare(await context.store.get('image/cam__image_00004.png'), png)).toBe(0)
  })
})

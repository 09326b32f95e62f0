import { createHash } from 'node:crypto'
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import sharp from 'sharp'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { renderTeddyBear } from '../../../src/analysis/teddy-bear.js'
import { ReceiveStage } from '../../../src/stages/receive/receive-stage.js'
import { ensurePipelineTopics } from '../../../src/stages/run-pipeline.js'
import { drainTopic, memoryContext, type TestContext } from '../../support/memory-context.js'
import { insertOneImage } from '../../support/catalog-writes.js'

let context: TestContext
let teddy: Buffer
beforeEach(async () => {
  context = await memoryContext()
  teddy ??= await renderTeddyBear(64)
})
afterEach(async () => {
  await context.close()
})

describe('ReceiveStage', () => {
  it('stores the bytes, records the row and publishes the original fields keyed by stream', async () => {
    const stage = new ReceiveStage(context)
    await ensurePipelineTopics(context, 1)
    const outcome = await stage.receive({ stream: 'mock', imageNum: 1, filename: 'image_00001.jpg', bytes: teddy, byteSize: teddy.length })
    expect(outcome.kind).toBe('received')
    const image = outcome.image
    expect(image).toMatchObject({
      stream: 'mock',
      imageNum: 1,
      imageObjectKey: 'image/mock__image_00001.jpg',
      status: 'received',
      width: 64,
      height: 64,
      format: 'jpeg',
    })
    expect(Buffer.compare(await context.store.get(image.imageObjectKey), teddy)).toBe(0)

    const messages = await drainTopic(context.bus, 'image_analysis')
    expect(messages).toHaveLength(1)
    expect(messages[0]!.key).toBe('mock')
    expect(JSON.parse(messages[0]!.value)).toMatchObject({
      schema_version: 1,
      image_id: image.imageId,
      image_num: 1,
      image_filename: 'image_00001.jpg',
      stream: 'mock',
      image_object_key: 'image/mock__image_00001.jpg',
    })
  })

  it('receives the same numbered image twice as one row and one message', async () => {
    const stage = new ReceiveStage(context)
    const incoming = { stream: 'mock', imageNum: 1, filename: 'image_00001.jpg', bytes: teddy, byteSize: teddy.length }
    expect((await stage.receive(incoming)).kind).toBe('received')
    expect((await stage.receive(incoming)).kind).toBe('duplicate')
    expect((await context.catalog.counts()).images).toBe(1)
    expect(await drainTopic(context.bus, 'image_analysis')).toHaveLength(1)
  })

  it('numbers files in arrival order and recognises a file ingested again', async () => {
    const stage = new ReceiveStage(context)
    const png = await sharp(teddy).png().toBuffer()
    const a = await stage.receive({ stream: 'cam', filename: 'a.jpg', bytes: teddy, byteSize: teddy.length })
    const b = await stage.receive({ stream: 'cam', filename: 'b.png', bytes: png, byteSize: png.length })
    const again = await stage.receive({ stream: 'cam', filename: 'a.jpg', bytes: teddy, byteSize: teddy.length })
    expect([a.image.imageNum, b.image.imageNum]).toEqual([1, 2])
    expect(b.image.imageObjectKey).toBe('image/cam__image_00002.png')
    expect(again).toMatchObject({ kind: 'duplicate', image: { imageId: a.image.imageId } })
  })

  it('records bad bytes as a failed image, keeps the bytes, and publishes nothing', async () => {
    const stage = new ReceiveStage(context)
    const bad = Buffer.from('not an image at all')
    const outcome = await stage.receive({ stream: 'cam', filename: 'notes.txt', bytes: bad, byteSize: bad.length })
    expect(outcome.kind).toBe('failed')
    expect(outcome.image).toMatchObject({
      status: 'failed',
      errorCode: 'IMGPIPE_IMAGE_INVALID',
      imageObjectKey: 'image/cam__image_00001.txt',
    })
    expect(outcome.image.errorMessage).toBeTruthy()
    expect((await context.store.get('image/cam__image_00001.txt')).toString()).toBe('not an image at all')
    expect(await drainTopic(context.bus, 'image_analysis')).toHaveLength(0)
  })

  it('rejects an unsafe stream name before writing anything', async () => {
    const stage = new ReceiveStage(context)
    await expect(
      stage.receive({ stream: '../etc', imageNum: 1, filename: 'x.jpg', bytes: teddy, byteSize: teddy.length }),
    ).rejects.toMatchObject({
      code: 'IMGPIPE_USAGE',
    })
    expect((await context.catalog.counts()).images).toBe(0)
  })

  it('republishes images recorded but never analysed when it starts (crash between insert and publish)', async () => {
    const { image } = await insertOneImage(context.catalog, {
      stream: 'mock',
      imageNum: 1,
      imageFilename: 'image_00001.jpg',
      imageObjectKey: 'image/mock__image_00001.jpg',
      contentSha256: null,
      byteSize: 1,
      width: null,
      height: null,
      format: null,
      status: 'received',
    })
    const stage = new ReceiveStage(context)
    await ensurePipelineTopics(context, 1)
    expect(await stage.recover()).toBe(1)
    const messages = await drainTopic(context.bus, 'image_analysis')
    expect(messages.map((entry) => JSON.parse(entry.value).image_id)).toEqual([image.imageId])
  })

  it('claims the row (storing) before the bytes: a crash before the put is finished by the re-run of the same file', async () => {
    const stage = new ReceiveStage(context)
    const sha = createHash('sha256').update(teddy).digest('hex')
    // What a crash right after the claim leaves: a storing row, no object, no message.
    await insertOneImage(context.catalog, {
      stream: 'cam',
      imageNum: 1,
      imageFilename: 'a.jpg',
      imageObjectKey: 'image/cam__image_00001.jpg',
      contentSha256: sha,
      byteSize: teddy.length,
      width: 64,
      height: 64,
      format: 'jpeg',
      status: 'storing',
    })
    expect(await stage.recover()).toBe(0) // no object yet: recovery leaves it to the re-run
    const again = await stage.receive({ stream: 'cam', filename: 'a.jpg', bytes: teddy, byteSize: teddy.length })
    expect(again).toMatchObject({ kind: 'received', image: { imageNum: 1, status: 'received' } })
    expect(Buffer.compare(await context.store.get('image/cam__image_00001.jpg'), teddy)).toBe(0)
    expect(await drainTopic(context.bus, 'image_analysis')).toHaveLength(1)
  })

  it('recovery finishes a storing row whose object was completely written (crash between put and status)', async () => {
    const sha = createHash('sha256').update(teddy).digest('hex')
    const { image } = await insertOneImage(context.catalog, {
      stream: 'cam',
      imageNum: 1,
      imageFilename: 'a.jpg',
      imageObjectKey: 'image/cam__image_00001.jpg',
      contentSha256: sha,
      byteSize: teddy.length,
      width: 64,
      height: 64,
      format: 'jpeg',
      status: 'storing',
    })
    await context.store.put(image.imageObjectKey, teddy)
    expect(await new ReceiveStage(context).recover()).toBe(1)
    expect(await context.catalog.getImage(image.imageId)).toMatchObject({ status: 'received' })
    expect((await drainTopic(context.bus, 'image_analysis')).map((entry) => JSON.parse(entry.value).image_id)).toEqual([image.imageId])
  })

  it('never writes bytes under a number another writer holds (it takes the next number)', async () => {
    const other = Buffer.from('someone else')
    await insertOneImage(context.catalog, {
      stream: 'cam',
      imageNum: 1,
      imageFilename: 'theirs.jpg',
      imageObjectKey: 'image/cam__image_00001.jpg',
      contentSha256: createHash('sha256').update(other).digest('hex'),
      byteSize: other.length,
      width: null,
      height: null,
      format: null,
      status: 'storing',
    })
    await context.store.put('image/cam__image_00001.jpg', other)
    // A numbering that raced: it reads 1 as the next number although 1 is taken.
    const stage = new ReceiveStage(context)
    const real = context.catalog.nextImageNum.bind(context.catalog)
    let calls = 0
    context.catalog.nextImageNum = async (stream) => (++calls === 1 ? 1 : real(stream))
    const outcome = await stage.receive({ stream: 'cam', filename: 'mine.jpg', bytes: teddy, byteSize: teddy.length })
    expect(outcome.image).toMatchObject({ imageNum: 2, imageObjectKey: 'image/cam__image_00002.jpg' })
    expect((await context.store.get('image/cam__image_00001.jpg')).toString()).toBe('someone else')
  })

  it('with IMGPIPE_ANALYSIS_DIR writes default-stream images there and names them in image_analysis_path', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'imgpipe-analysis-'))
    try {
      const stage = new ReceiveStage({ ...context, analysis: { ...context.analysis, analysisDir: dir } })
      await stage.receive({ stream: 'default', imageNum: 3, filename: 'image_00003.jpg', bytes: teddy, byteSize: teddy.length })
      await stage.receive({ stream: 'cam', imageNum: 1, filename: 'x.jpg', bytes: teddy, byteSize: teddy.length })
      const messages = (await drainTopic(context.bus, 'image_analysis')).map((entry) => JSON.parse(entry.value))
      expect(messages[0]).toMatchObject({ image_num: 3, image_analysis_path: path.join(dir, 'image_00003.jpg') })
      expect(messages[1]).not.toHaveProperty('image_analysis_path')
      expect(Buffer.compare(await readFile(path.join(dir, 'image_00003.jpg')), teddy)).toBe(0)
      expect(await readdir(dir)).toEqual(['image_00003.jpg'])
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})

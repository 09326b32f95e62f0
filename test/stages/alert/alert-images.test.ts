import sharp from 'sharp'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { MemoryObjectStore } from '../../../src/adapters/memory/memory-object-store.js'
import { SmtpChannel } from '../../../src/adapters/smtp/smtp-channel.js'
import { silentLogger } from '../../../src/core/logger.js'
import type { DeliveryChannel } from '../../../src/core/ports/delivery-channel.js'
import { readAlertImages } from '../../../src/stages/alert/alert-images.js'
import { loadConfig } from '../../../src/config/load-config.js'
import { DeliveryWorker } from '../../../src/stages/alert/delivery-worker.js'
import { imageRecord, sampleView } from '../../cli/viewer/support/sample-view.js'
import { MailSink } from '../../support/mail-sink.js'
import { memoryContext, runMockPipeline, type TestContext } from '../../support/memory-context.js'

describe('readAlertImages', () => {
  it('names and types each image from its object key, and leaves out missing and oversized ones', async () => {
    const store = new MemoryObjectStore()
    const view = sampleView({
      // An upload named without an extension, stored under its format's: the name gets the stored extension.
      image: imageRecord(3, { imageFilename: 'upload', imageObjectKey: 'image/mock/image_00003.png' }),
      event: { ...sampleView().event, differenceImageObjectKey: 'difference_image/mock__image_event_00005.jpg' },
    })
    await store.put('image/mock/image_00002.jpg', Buffer.from('previous'))
    await store.put('image/mock/image_00003.png', Buffer.from('image'))
    await store.put('difference_image/mock__image_event_00005.jpg', Buffer.from('difference'))
    const images = await readAlertImages(store, [view], silentLogger)
    expect(images.map(({ role, filename, contentType }) => [role, filename, contentType])).toEqual([
      ['previous', 'previous-1-image_00002.jpg', 'image/jpeg'],
      ['image', 'image-1-upload.png', 'image/png'],
      ['difference', 'difference-1.jpg', 'image/jpeg'],
    ])
    expect(images.map((image) => image.bytes.toString())).toEqual(['previous', 'image', 'difference'])

    await store.put('image/mock/image_00002.jpg', Buffer.alloc(1024 * 1024 + 1))
    await store.delete(['image/mock/image_00003.png'])
    expect((await readAlertImages(store, [view], silentLogger)).map((image) => image.role)).toEqual(['difference'])
  })

  it('leaves FITS images to the links (no mail client shows them inline) and attaches their JPEG difference image', async () => {
    const store = new MemoryObjectStore()
    const fits = (num: number) =>
      imageRecord(num, { imageFilename: `frame_${num}.fits`, imageObjectKey: `image/sky/image_0000${num}.fits`, format: 'fits' })
    const view = sampleView({ previousImage: fits(2), image: fits(3) })
    for (const key of ['image/sky/image_00002.fits', 'image/sky/image_00003.fits', view.event.differenceImageObjectKey!]) {
      await store.put(key, Buffer.from(key))
    }
    const images = await readAlertImages(store, [view], silentLogger)
    expect(images.map(({ role, filename, contentType }) => [role, filename, contentType])).toEqual([
      ['difference', 'difference-1.jpg', 'image/jpeg'],
    ])
  })
})

describe('alert images through the SMTP channel', () => {
  let context: TestContext
  let sink: MailSink
  let smtp: SmtpChannel

  beforeEach(async () => {
    context = await memoryContext()
    sink = new MailSink(null)
    smtp = new SmtpChannel({ url: await sink.listen(), from: 'imgpipe@example.org', timeoutMs: 5_000, timeZone: 'UTC' })
  })
  afterEach(async () => {
    await smtp.close()
    await sink.close()
    await context.close()
  })

  it('attaches the JPEG difference image that analyze wrote as image/jpeg with a .jpg name', async () => {
    // The real pipeline: the mock source's fourth image is rotated, so analyze writes a difference JPEG for it.
    await runMockPipeline(context, { streams: ['cam-mail'], count: 4, changeEvery: 4 })
    expect((await context.catalog.counts()).alerts).toBe(1)
    const view = (await context.catalog.getAlertView(1))!
    const key = view.event.differenceImageObjectKey!
    const stored = await context.store.get(key)
    expect((await sharp(stored).metadata()).format).toBe('jpeg')

    const subscriber = await context.catalog.subscriptions.addSubscriber({ name: 'mail', contact: null })
    const subscription = await context.catalog.subscriptions.addSubscription({
      subscriberId: subscriber.subscriberId,
      name: 'mail-ops',
      channel: 'smtp',
      target: 'ops@example.org',
      secret: null,
      filter: {},
    })
    const channels = new Map<string, DeliveryChannel>([['smtp', smtp]])
    const worker = new DeliveryWorker(
      context.catalog,
      context.catalog.subscriptions,
      channels,
      loadConfig({}, {}, '/').delivery,
      silentLogger,
      context.store,
    )
    await worker.sendTo(subscription, 'delivery-jpeg', [view], 1)

    expect(sink.mails).toHaveLength(1)
    const attachments = sink.mails[0]!.parsed.attachments
    const number = view.alert.imageEventAlertId
    const difference = attachments.find((attachment) => attachment.contentId === `<difference-${number}@imgpipe>`)
    expect(difference).toMatchObject({ filename: `difference-${number}.jpg`, contentType: 'image/jpeg' })
    expect(Buffer.compare(difference!.content, stored)).toBe(0)
    // No attachment is named or typed apart from what its bytes are.
    for (const attachment of attachments) {
      const format = (await sharp(attachment.content).metadata()).format
      expect(attachment.contentType).toBe(`image/${format}`)
      expect(attachment.filename).toMatch(format === 'jpeg' ? /\.jpe?g$/i : new RegExp(`\\.${format}$`, 'i'))
    }
  })
})

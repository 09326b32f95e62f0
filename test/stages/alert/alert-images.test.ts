import sharp from 'sharp'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { SmtpChannel } from '../../../src/adapters/smtp/smtp-channel.js'
import { silentLogger } from '../../../src/core/logger.js'
import type { DeliveryChannel } from '../../../src/core/ports/delivery-channel.js'
import { attachmentName } from '../../../src/stages/alert/alert-images.js'
import { loadConfig } from '../../../src/config/load-config.js'
import { DeliveryWorker } from '../../../src/stages/alert/delivery-worker.js'
import { MailSink } from '../../support/mail-sink.js'
import { memoryContext, runMockPipeline, type TestContext } from '../../support/memory-context.js'

describe('attachmentName', () => {
  it('names the difference image by its alert with the stored object’s extension', () => {
    expect(attachmentName('difference', 7, 'difference_image/cam__image_event_00007.jpg', null)).toBe('difference-7.jpg')
  })

  it('keeps an image’s file name, and adds the stored extension when the name says another type or none', () => {
    expect(attachmentName('image', 7, 'image/cam/image_00007.jpg', 'image_00007.jpg')).toBe('image-7-image_00007.jpg')
    expect(attachmentName('previous', 7, 'image/cam/image_00006.jpg', 'IMG_1.JPEG')).toBe('previous-7-IMG_1.JPEG')
    expect(attachmentName('image', 7, 'image/cam/image_00007.png', 'upload')).toBe('image-7-upload.png')
    expect(attachmentName('image', 7, 'image/cam/image_00007.png', 'photo.jpg')).toBe('image-7-photo.jpg.png')
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

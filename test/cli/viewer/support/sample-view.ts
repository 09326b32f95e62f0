import type { RawImage } from '../../../../src/analysis/decode-image.js'
import type { AlertView, ImageRecord } from '../../../../src/core/types.js'

/** An image row as the catalog returns it for an analysed mock image. */
export function imageRecord(imageNum: number, extra: Partial<ImageRecord> = {}): ImageRecord {
  const name = `image_${String(imageNum).padStart(5, '0')}.jpg`
  return {
    imageId: imageNum,
    imageFilename: name,
    imageObjectKey: `image/mock/${name}`,
    stream: 'mock',
    imageNum,
    contentSha256: 'ab'.repeat(32),
    byteSize: 12_345,
    width: 350,
    height: 350,
    format: 'jpeg',
    status: 'analyzed',
    errorCode: null,
    errorMessage: null,
    receivedAt: new Date('2026-03-01T10:00:03.250Z'),
    analyzedAt: new Date('2026-03-01T10:00:04Z'),
    previousImageId: imageNum - 1,
    l2Norm: 12_000.5,
    changedFraction: 0.23456,
    maxAbsDifference: 251,
    observation: null,
    ...extra,
  }
}

/** Alert 1 for image 3 of stream `mock`, compared with image 2. */
export function sampleView(extra: Partial<AlertView> = {}): AlertView {
  return {
    alert: {
      imageEventAlertId: 1,
      imageEventId: 5,
      createdAt: new Date('2026-03-01T10:00:06Z'),
      deliveredAt: new Date('2026-03-01T10:00:07Z'),
      deliveryChannels: 'log',
    },
    event: {
      imageEventId: 5,
      imageId: 3,
      differenceImageObjectKey: 'difference_image/mock/image_00003.jpg',
      eventType: 'changed',
      detectedAt: new Date('2026-03-01T10:00:05Z'),
      analyzer: 'pixel-compare',
      analyzerVersion: '1',
    },
    image: imageRecord(3),
    previousImage: imageRecord(2, { changedFraction: 0 }),
    ...extra,
  }
}

/** A width×height image of one colour. */
export function solidImage(width: number, height: number, rgb: [number, number, number]): RawImage {
  const data = new Uint8Array(width * height * 3)
  for (let index = 0; index < width * height; index += 1) data.set(rgb, index * 3)
  return { width, height, channels: 3, data }
}

import { createHash } from 'node:crypto'
import type { NewImage } from '../../src/core/types.js'

/** Rows the catalog contract suites write. */

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex')
}

export function newImage(stream: string, imageNum: number, overrides: Partial<NewImage> = {}): NewImage {
  const filename = `image_${String(imageNum).padStart(5, '0')}.jpg`
  return {
    stream,
    imageNum,
    imageFilename: filename,
    imageObjectKey: `image/${stream}/${filename}`,
    contentSha256: sha256(`${stream}/${imageNum}`),
    byteSize: 1000 + imageNum,
    width: 640,
    height: 480,
    format: 'jpeg',
    status: 'received',
    ...overrides,
  }
}

import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import { analyzePair } from '../../src/analysis/analyze-pair.js'
import { decodeImage } from '../../src/analysis/decode-image.js'
import { DEFAULTS } from '../../src/config.js'

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures')
const OPTIONS = {
  maxImagePixels: DEFAULTS.maxImagePixels,
  maxImageBytes: DEFAULTS.maxImageBytes,
  pixelTolerance: DEFAULTS.pixelTolerance,
  eventThreshold: DEFAULTS.eventThreshold,
}

async function decoded(name: string): Promise<Awaited<ReturnType<typeof decodeImage>>> {
  return decodeImage(await readFile(path.join(FIXTURES, name)), OPTIONS)
}

// F16 (issue 9): the same picture as RGB and as CMYK without an ICC profile must not be an event.
describe('one picture in two colour spaces', () => {
  for (const cmyk of ['teddy-96-cmyk-imagemagick.jpg', 'teddy-96-cmyk-imagemagick.tif']) {
    it(`is no event: RGB JPEG against ${cmyk} (ImageMagick, no ICC profile)`, async () => {
      const meta = await sharp(await readFile(path.join(FIXTURES, cmyk))).metadata()
      expect([meta.space, meta.icc]).toEqual(['cmyk', undefined])
      const pair = await analyzePair(await decoded('teddy-96-rgb-imagemagick.jpg'), await decoded(cmyk), OPTIONS)
      expect(pair.event).toBeNull()
      expect(pair.metrics.changedFraction).toBeLessThan(0.001)
    })
  }
})

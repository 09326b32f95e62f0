import { describe, expect, it } from 'vitest'
import { REAL_BOGUS_THRESHOLD } from '../../../src/analysis/diffim/real-bogus.js'
import { loadConfig } from '../../../src/config/load-config.js'
import { DEFAULT_REAL_BOGUS_MIN } from '../../../src/core/science-options.js'

describe('the difference-imaging settings', () => {
  it('default to a reference after 3 frames, 20 fakes per image, 5σ and the real-bogus module’s cut', () => {
    expect(loadConfig({}).analysis.science).toEqual({
      referenceFrames: 3,
      fakesPerImage: 20,
      detectionSnr: 5,
      realBogusMin: REAL_BOGUS_THRESHOLD,
    })
    expect(DEFAULT_REAL_BOGUS_MIN).toBe(REAL_BOGUS_THRESHOLD)
  })

  it('take given values from variables and flags', () => {
    const env = { IMGPIPE_REFERENCE_FRAMES: '0', IMGPIPE_FAKES_PER_IMAGE: '7', IMGPIPE_DETECTION_SNR: '4.5' }
    expect(loadConfig(env, { realBogusMin: '0.8' }).analysis.science).toEqual({
      referenceFrames: 0,
      fakesPerImage: 7,
      detectionSnr: 4.5,
      realBogusMin: 0.8,
    })
  })

  it('refuse bad values naming the variable', () => {
    expect(() => loadConfig({ IMGPIPE_REFERENCE_FRAMES: '-1' })).toThrow(/IMGPIPE_REFERENCE_FRAMES/)
    expect(() => loadConfig({ IMGPIPE_FAKES_PER_IMAGE: 'many' })).toThrow(/IMGPIPE_FAKES_PER_IMAGE/)
    expect(() => loadConfig({ IMGPIPE_DETECTION_SNR: '0' })).toThrow(/IMGPIPE_DETECTION_SNR/)
    expect(() => loadConfig({ IMGPIPE_REAL_BOGUS_MIN: '1.5' })).toThrow(/IMGPIPE_REAL_BOGUS_MIN/)
  })
})

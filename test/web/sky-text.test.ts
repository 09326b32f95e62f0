import { describe, expect, it } from 'vitest'
import { formatDecDms, formatDegrees, formatMjd, formatRaHms } from '../../src/web/sky-text.js'

describe('sky positions as the viewer prints them', () => {
  it('gives right ascension in hours, minutes and seconds to a millisecond of time', () => {
    expect(formatRaHms(150.1)).toBe('10h00m24.000s')
    expect(formatRaHms(0)).toBe('00h00m00.000s')
    expect(formatRaHms(-15)).toBe('23h00m00.000s')
    expect(formatRaHms(83.63308)).toBe('05h34m31.939s')
  })

  it('rounds before it splits, so a value just under a boundary carries instead of printing 60', () => {
    // 59.9999 s of time short of 1h.
    expect(formatRaHms(15 - 0.0001 / 240)).toBe('01h00m00.000s')
    expect(formatRaHms(360 - 1e-9)).toBe('00h00m00.000s')
    expect(formatDecDms(2 - 1e-9)).toBe('+02°00′00.00″')
  })

  it('gives declination signed, in degrees, arcminutes and arcseconds to 10 mas', () => {
    expect(formatDecDms(2.2)).toBe('+02°12′00.00″')
    expect(formatDecDms(-0.5)).toBe('-00°30′00.00″')
    expect(formatDecDms(-89.99999)).toBe('-89°59′59.96″')
  })

  it('prints a dash for what is not a number', () => {
    expect(formatRaHms(Number.NaN)).toBe('—')
    expect(formatDecDms(Number.POSITIVE_INFINITY)).toBe('—')
    expect(formatDegrees(Number.NaN)).toBe('—')
    expect(formatMjd(61000.25)).toBe('61000.250000')
  })
})

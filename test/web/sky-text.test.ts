import { describe, expect, it } from 'vitest'
import { formatDecDms, formatDegrees, formatMjd, formatRaHms } from '../../src/web/sky-text.js'

describe('sky positions as the viewer and db show print them', () => {
  it('gives right ascension in hours, minutes and seconds to a millisecond of time', () => {
    expect(formatRaHms(150.1)).toBe('10h00m24.000s')
    expect(formatRaHms(0)).toBe('00h00m00.000s')
    expect(formatRaHms(-15)).toBe('23h00m00.000s')
    expect(formatRaHms(83.63308)).toBe('05h34m31.939s') // the Crab Nebula
  })

  it('rounds before it splits, so a value just under a boundary carries instead of printing 60', () => {
    expect(formatRaHms(15 - 0.0001 / 240)).toBe('01h00m00.000s')
    expect(formatRaHms(360 - 1e-9)).toBe('00h00m00.000s')
    expect(formatDecDms(2 - 1e-9)).toBe('+02°00′00.00″')
    expect(formatDecDms(-89.999_999_99)).toBe('-90°00′00.00″')
  })

  it('gives declination signed, in degrees, arcminutes and arcseconds to 10 mas, without a negative zero', () => {
    expect(formatDecDms(2.2)).toBe('+02°12′00.00″')
    expect(formatDecDms(-0.5)).toBe('-00°30′00.00″')
    expect(formatDecDms(-2.205_833_333_333_333)).toBe('-02°12′21.00″')
    expect(formatDecDms(-0.000_001)).toBe('+00°00′00.00″')
  })

  it('gives degrees to 6 decimals and MJD to a microday, and a dash for what is not a number', () => {
    expect(formatDegrees(150.1)).toBe('150.100000°')
    expect(formatMjd(61000.25)).toBe('61000.250000')
    expect(formatRaHms(Number.NaN)).toBe('—')
    expect(formatDecDms(Number.POSITIVE_INFINITY)).toBe('—')
    expect(formatDegrees(Number.NaN)).toBe('—')
  })
})

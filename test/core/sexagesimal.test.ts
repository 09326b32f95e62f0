import { describe, expect, it } from 'vitest'
import { formatDecDms, formatRaHms } from '../../src/core/sexagesimal.js'

describe('sexagesimal sky positions', () => {
  it('prints right ascension in hours, minutes and seconds of time', () => {
    expect(formatRaHms(150.119_166_666_666_67)).toBe('10h00m28.600s')
    expect(formatRaHms(0)).toBe('00h00m00.000s')
    expect(formatRaHms(83.633_08)).toBe('05h34m31.939s') // the Crab Nebula
  })

  it('wraps RA into one turn and never prints 60 seconds or 24 hours', () => {
    expect(formatRaHms(359.999_999_9)).toBe('00h00m00.000s')
    expect(formatRaHms(-15)).toBe('23h00m00.000s')
    expect(formatRaHms(15 * (59.9999 / 3600))).toBe('00h01m00.000s')
  })

  it('prints declination signed, in degrees, arcminutes and arcseconds', () => {
    expect(formatDecDms(-2.205_833_333_333_333)).toBe('-02°12′21.00″')
    expect(formatDecDms(22.014_47)).toBe('+22°00′52.09″')
    expect(formatDecDms(-0.000_001)).toBe('+00°00′00.00″') // rounds to zero: no negative zero
    expect(formatDecDms(-89.999_999_99)).toBe('-90°00′00.00″')
    expect(formatDecDms(-0.5)).toBe('-00°30′00.00″')
  })
})

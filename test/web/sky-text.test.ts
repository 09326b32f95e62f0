import { describe, expect, it } from 'vitest'
import { formatDecDms, formatDegrees, formatMjd, formatRaHms } from '../../src/web/sky-text.js'

describe('sky positions as the viewer prints them', () => {
  it('gives RA and Dec in the sexagesimal form of imgpipe db show', () => {
    expect(formatRaHms(150.1)).toBe('10:00:24.000')
    expect(formatRaHms(15 - 0.0001 / 240)).toBe('01:00:00.000')
    expect(formatDecDms(2.2)).toBe('+02:12:00.00')
    expect(formatDecDms(-0.000_001)).toBe('+00:00:00.00')
  })

  it('gives degrees to 6 decimals and MJD to a microday', () => {
    expect(formatDegrees(150.1)).toBe('150.100000°')
    expect(formatMjd(61000.25)).toBe('61000.250000')
  })

  it('prints a dash for what is not a number', () => {
    expect(formatRaHms(Number.NaN)).toBe('—')
    expect(formatDecDms(Number.POSITIVE_INFINITY)).toBe('—')
    expect(formatDegrees(Number.NaN)).toBe('—')
    expect(formatMjd(Number.NaN)).toBe('—')
  })
})

import { describe, expect, it } from 'vitest'
import {
  formatBytes,
  formatChannelDifference,
  formatDecimal,
  formatEventType,
  formatPercent,
  imageLabel,
  percentOf,
} from '../../src/core/alert-text.js'

describe('alert text', () => {
  it('writes metrics readably, and a dash when missing', () => {
    expect(formatDecimal(12345.678)).toBe('12,345.7')
    expect(formatPercent(0.1234)).toBe('12.34%')
    expect(formatPercent(0.5)).toBe('50.0%')
    expect(formatChannelDifference(183)).toBe('183 / 255')
    for (const format of [formatDecimal, formatPercent, formatChannelDifference, formatBytes]) expect(format(null)).toBe('—')
  })

  it('writes sizes in binary units and event types in words', () => {
    expect(formatBytes(512, '\u00a0')).toBe('512\u00a0B')
    expect(formatBytes(34_567, '\u00a0')).toBe('33.8\u00a0KiB')
    expect(formatBytes(5 * 1024 ** 3, '\u00a0')).toBe('5.0\u00a0GiB')
    expect(formatEventType('size_changed')).toBe('size changed')
  })

  it('reads like people count bytes', () => {
    expect(formatBytes(0)).toBe('0 B')
    expect(formatBytes(1023)).toBe('1023 B')
    expect(formatBytes(1024)).toBe('1.0 KiB')
    expect(formatBytes(223050)).toBe('217.8 KiB')
    expect(formatBytes(5 * 1024 ** 3)).toBe('5.0 GiB')
  })

  it('labels an image by its number, adding the database id only when it differs', () => {
    expect(imageLabel({ imageNum: 7, imageId: 7 })).toBe('7')
    expect(imageLabel({ imageNum: 7, imageId: 12 })).toBe('7 (id 12)')
    expect(imageLabel({ imageNum: null, imageId: 42 })).toBe('id 42')
  })

  it('gives structured output the percentage that the text shows', () => {
    expect(percentOf(0.1234)).toBe(12.34)
    expect(formatPercent(0.1234)).toBe('12.34%')
    expect(percentOf(0.45678)).toBe(45.68)
    expect(formatPercent(0.45678)).toBe('45.68%')
    expect(percentOf(null)).toBeNull()
  })
})

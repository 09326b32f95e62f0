import { describe, expect, it } from 'vitest'
import {
  formatBytes,
  formatChannelDifference,
  formatDecimal,
  formatEventType,
  formatPercent,
  formatTime,
  timeElement,
} from '../../src/web/format.js'

describe('format', () => {
  it('writes times in UTC with the zone spelled out', () => {
    const at = new Date('2025-06-01T12:34:56.789Z')
    expect(formatTime(at)).toBe('2025-06-01 12:34:56 UTC')
    expect(timeElement(at, 'when').toString()).toBe('<time class="when" datetime="2025-06-01T12:34:56.789Z">2025-06-01 12:34:56 UTC</time>')
    expect(timeElement(null).toString()).toBe('<span class="none">—</span>')
  })

  it('writes metrics readably, and a dash when missing', () => {
    expect(formatDecimal(12345.678)).toBe('12,345.7')
    expect(formatPercent(0.1234)).toBe('12.34%')
    expect(formatPercent(0.5)).toBe('50.0%')
    expect(formatChannelDifference(183)).toBe('183 / 255')
    for (const format of [formatDecimal, formatPercent, formatChannelDifference, formatBytes]) expect(format(null)).toBe('—')
  })

  it('writes sizes in binary units and event types in words', () => {
    expect(formatBytes(512)).toBe('512\u00a0B')
    expect(formatBytes(34_567)).toBe('33.8\u00a0KiB')
    expect(formatBytes(5 * 1024 ** 3)).toBe('5\u00a0GiB')
    expect(formatEventType('size_changed')).toBe('size changed')
  })
})

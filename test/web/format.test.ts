import { describe, expect, it } from 'vitest'
import { formatTime } from '../../src/core/alert-text.js'
import { timeElement } from '../../src/web/format.js'

describe('format', () => {
  it('writes times in UTC with the zone spelled out', () => {
    const at = new Date('2025-06-01T12:34:56.789Z')
    expect(formatTime(at)).toBe('2025-06-01 12:34:56 UTC')
    expect(timeElement(at, 'when').toString()).toBe('<time class="when" datetime="2025-06-01T12:34:56.789Z">2025-06-01 12:34:56 UTC</time>')
    expect(timeElement(null).toString()).toBe('<span class="none">—</span>')
  })
})

import { describe, expect, it, vi } from 'vitest'
import { CountProgress } from '../../src/cli/count-progress.js'

describe('CountProgress', () => {
  it('counts what is done and writes nothing when disabled (not a terminal)', () => {
    const write = vi.spyOn(process.stderr, 'write')
    try {
      const progress = new CountProgress({ label: 'deleting', unit: 'objects', total: 2500, enabled: false })
      expect(progress.active).toBe(false)
      progress.increment(1000)
      progress.increment(1000)
      progress.increment(500)
      progress.stop()
      progress.stop()
      expect(progress.done).toBe(2500)
      expect(write).not.toHaveBeenCalled()
    } finally {
      write.mockRestore()
    }
  })

  it('is disabled by default when stderr is not a terminal', () => {
    const progress = new CountProgress({ label: 'listing', unit: 'objects', total: null })
    expect(progress.active).toBe(process.stderr.isTTY === true)
    progress.increment()
    expect(progress.done).toBe(1)
    progress.stop()
  })
})

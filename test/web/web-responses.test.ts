import { describe, expect, it } from 'vitest'
import { CatalogConflictError, CatalogUnavailableError, ClosedError } from '../../src/core/errors.js'
import { contentDisposition, CONTENT_SECURITY_POLICY, isUnavailable, wantsDownload } from '../../src/web/web-responses.js'

describe('web responses', () => {
  it('allows nothing but this origin, and no inline code', () => {
    expect(CONTENT_SECURITY_POLICY).toContain("default-src 'none'")
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self'")
    expect(CONTENT_SECURITY_POLICY).not.toContain('unsafe-inline')
    expect(CONTENT_SECURITY_POLICY).toContain("frame-ancestors 'none'")
  })

  it('builds safe attachment headers from any file name', () => {
    expect(contentDisposition('image_00003.jpg')).toBe(`attachment; filename="image_00003.jpg"; filename*=UTF-8''image_00003.jpg`)
    expect(contentDisposition('a"b\\c/d\r\nX-Injected: 1.jpg')).toBe(
      `attachment; filename="a_b_c_d__X-Injected_ 1.jpg"; filename*=UTF-8''a%22b_c_d__X-Injected%3A%201.jpg`,
    )
    expect(contentDisposition("nuit d'été.jpg")).toBe(
      `attachment; filename="nuit d__t_.jpg"; filename*=UTF-8''nuit%20d%27%C3%A9t%C3%A9.jpg`,
    )
    expect(contentDisposition('')).toBe(`attachment; filename="download"; filename*=UTF-8''download`)
  })

  it('reads ?download and tells transient failures from others', () => {
    expect(['1', 'true', 'YES'].map(wantsDownload)).toEqual([true, true, true])
    expect(['0', '', undefined, ['1']].map(wantsDownload)).toEqual([false, false, false, false])
    expect(isUnavailable(new CatalogUnavailableError('down'))).toBe(true)
    expect(isUnavailable(new ClosedError('catalog'))).toBe(true)
    expect(isUnavailable(new CatalogConflictError('bad'))).toBe(false)
    expect(isUnavailable(new Error('bug'))).toBe(false)
  })
})

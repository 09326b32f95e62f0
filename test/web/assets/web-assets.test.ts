import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { FAVICON_SVG, PAGES_CSS, PICTURES_CSS, VIEWER_CSS, VIEWER_JS } from '../../../src/web/assets/web-assets.js'

const FILES = {
  'viewer.css': VIEWER_CSS,
  'pictures.css': PICTURES_CSS,
  'pages.css': PAGES_CSS,
  'viewer.js': VIEWER_JS,
  'favicon.svg': FAVICON_SVG,
}

function fileText(folder: string, name: string): string {
  return readFileSync(new URL(`../../../${folder}/web/assets/${name}`, import.meta.url), 'utf8')
}

describe('viewer assets', () => {
  it('are the real files beside the module, read whole', () => {
    for (const [name, text] of Object.entries(FILES)) expect(text).toBe(fileText('src', name))
    expect(VIEWER_CSS).toContain('.pager a:only-child')
    expect(VIEWER_JS).toContain("new EventSource('events?after='")
    expect(FAVICON_SVG).toMatch(/^<svg [^>]*>[\s\S]*<\/svg>\n$/)
  })

  it('are copied unchanged into dist/ by the build, where the CLI reads them', () => {
    for (const name of Object.keys(FILES)) expect(fileText('dist', name)).toBe(fileText('src', name))
  })
})

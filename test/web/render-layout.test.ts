import { describe, expect, it } from 'vitest'
import { html } from '../../src/web/html.js'
import { renderDocument, renderErrorDocument, renderMessage, rootFor } from '../../src/web/render-layout.js'

const assets = { css: 'c1', js: 'j1', icon: 'i1' }

describe('rootFor', () => {
  it('leads back to the viewer root from any depth', () => {
    expect(rootFor('/')).toBe('./')
    expect(rootFor('/health')).toBe('./')
    expect(rootFor('/images/3')).toBe('../')
    expect(rootFor('/a/b/c')).toBe('../../')
  })
})

describe('renderDocument', () => {
  it('links assets relatively with their versions, and has no inline script or style', () => {
    const page = renderDocument({
      title: 'T <x>',
      root: '../',
      assets,
      typed: '"><script>',
      main: html`<p>main</p>`,
      aside: 'side <b>',
    }).toString()
    expect(page).toContain('<title>T &lt;x&gt;</title>')
    expect(page).toContain('<link rel="stylesheet" href="../assets/viewer.css?v=c1">')
    expect(page).toContain('<script src="../assets/viewer.js?v=j1" defer></script>')
    expect(page).toContain('value="&quot;&gt;&lt;script&gt;"')
    expect(page).toContain('<aside>\nside &lt;b&gt;\n</aside>')
    expect(page.match(/<script/g)).toHaveLength(1)
    expect(page).not.toMatch(/<style|style=|\son[a-z]+=/)
  })

  it('renders messages and error pages with the text escaped', () => {
    expect(renderMessage('notice', 'a<b').toString()).toBe('<div class="message notice" role="status" data-message="notice">a&lt;b</div>')
    const page = renderErrorDocument({ root: './', assets, title: 'Not Found', message: 'no image <1>' }).toString()
    expect(page).toContain('<p>no image &lt;1&gt;</p>')
    expect(page).toContain('<a href="./">Back to the image event viewer</a>')
  })
})

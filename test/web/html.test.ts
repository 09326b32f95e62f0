import { describe, expect, it } from 'vitest'
import { escapeHtml } from '../../src/core/alert-text.js'
import { html, SafeHtml } from '../../src/web/html.js'

describe('escapeHtml', () => {
  it('escapes the characters that matter in content and quoted attributes', () => {
    expect(escapeHtml(`<script>alert("x")</script> & 'y'`)).toBe('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;')
    expect(escapeHtml('plain text, ünïcödé ✓')).toBe('plain text, ünïcödé ✓')
    expect(escapeHtml('&amp;')).toBe('&amp;amp;')
  })
})

describe('html', () => {
  it('escapes every interpolated value by default', () => {
    const typed = '<img src=x onerror=alert(1)>'
    expect(html`<p title="${typed}">${typed}</p>`.toString()).toBe(
      '<p title="&lt;img src=x onerror=alert(1)&gt;">&lt;img src=x onerror=alert(1)&gt;</p>',
    )
  })

  it('passes nested fragments through, and escapes lists item by item', () => {
    const items = ['<a>', 'b&c'].map((item) => html`<li>${item}</li>`)
    expect(html`<ul>${items}</ul>`.toString()).toBe('<ul><li>&lt;a&gt;</li><li>b&amp;c</li></ul>')
    expect(html`${['<', html`<br>`]}`.toString()).toBe('&lt;<br>')
  })

  it('renders nothing for null, undefined and false, and numbers and true as text', () => {
    expect(html`[${null}${undefined}${false}]`.toString()).toBe('[]')
    expect(html`${0} ${1.5} ${true}`.toString()).toBe('0 1.5 true')
  })

  it('trusts only what it made itself', () => {
    expect(html`<b>x</b>`).toBeInstanceOf(SafeHtml)
    expect(html`${html`<b>x</b>`}`.toString()).toBe('<b>x</b>')
    // A look-alike object is just a value: it gets stringified and escaped.
    expect(html`${{ toString: () => '<b>' } as unknown as string}`.toString()).toBe('&lt;b&gt;')
  })
})

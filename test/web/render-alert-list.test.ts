import { describe, expect, it } from 'vitest'
import { renderAlertList } from '../../src/web/render-alert-list.js'
import { fakeView } from './web-fixture.js'

const views = [9, 8, 7].map(fakeView)

describe('renderAlertList', () => {
  it('makes the newest page live, starting after its newest alert, and marks the current alert', () => {
    const list = renderAlertList({ views, before: undefined, hasOlder: true, current: 8, alertNum: '8' }).toString()
    expect(list).toContain('<ol class="alert-list" id="alert-list" data-live="true" data-after="9" data-current="8">')
    expect(list).toContain('<span class="live offline" data-live-status hidden>connecting</span>')
    expect([...list.matchAll(/<li data-alert="(\d+)">/g)].map((match) => match[1])).toEqual(['9', '8', '7'])
    expect(list).toContain(
      '<a href="?alert_num=8" aria-current="page"><span class="num">#8</span><img class="thumb" src="thumbnails/8" alt="" width="96" height="72" loading="lazy" decoding="async"><span class="what">s · image 8</span><span class="when">changed · <time datetime="1970-01-01T00:00:00.000Z">1970-01-01 00:00:00 UTC</time></span></a>',
    )
    expect(list).toContain(
      '<nav class="pager" aria-label="Alert pages"><a href="?alert_num=8&amp;before=7" data-page="older">Older →</a></nav>',
    )
    expect(list).toContain('<p class="empty" data-empty hidden>')
  })

  it('makes older pages static, with a way back to the newest', () => {
    const list = renderAlertList({ views, before: 10, hasOlder: false, current: null, alertNum: null }).toString()
    expect(list).toContain('data-live="false"')
    expect(list).not.toContain('data-live-status')
    expect(list).toContain('<a href="./" data-page="newest">← Newest</a>')
    expect(list).not.toContain('data-page="older"')
  })

  it('says when there is nothing to list', () => {
    const list = renderAlertList({ views: [], before: undefined, hasOlder: false, current: null, alertNum: null }).toString()
    expect(list).toContain('data-after="0"')
    expect(list).toContain('<p class="empty" data-empty>No alerts yet.')
    expect(list).not.toContain('class="pager"')
  })
})

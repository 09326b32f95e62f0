/**
 * The stream page and alert page fixes of issue 16 (item 10): failed images explained, whole image numbers
 * and round percentages on the chart's axes, alerts in a table, a legend for the difference image, and one
 * percent format on every page.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { StreamPoint } from '../../src/core/ports/catalog.js'
import { formatPercent } from '../../src/web/format.js'
import { imageTicks, renderChangeChart } from '../../src/web/render-chart.js'
import { webFixture, type WebFixture } from './web-fixture.js'
import { insertOneImage, recordOneAnalysis } from '../support/catalog-writes.js'

function point(imageNum: number, overrides: Partial<StreamPoint> = {}): StreamPoint {
  return {
    imageId: imageNum,
    imageNum,
    status: 'analyzed',
    changedFraction: 0.003,
    l2Norm: 120,
    receivedAt: new Date(0),
    alertNumber: null,
    errorCode: null,
    errorMessage: null,
    ...overrides,
  }
}

function tickTexts(svg: string, kind: string): string[] {
  return [...svg.matchAll(new RegExp(`<text data-${kind}[^>]*>([^<]*)</text>`, 'g'))].map((match) => match[1] ?? '')
}

describe('formatPercent', () => {
  it('writes every percentage with one decimal, and never rounds a change to nothing or to everything', () => {
    expect([0, 0.5, 0.1234, 0.00126, 1, 0.0004, 0.99996, null].map(formatPercent)).toEqual([
      '0.0%',
      '50.0%',
      '12.3%',
      '0.1%',
      '100.0%',
      '<0.1%',
      '>99.9%',
      '—',
    ])
  })
})

describe('the change chart', () => {
  it('puts one image alone on its own whole-number tick, with round percentages on the left axis', () => {
    const svg = renderChangeChart([point(1)], '../').toString()
    expect(tickTexts(svg, 'x-tick')).toEqual(['1'])
    expect(tickTexts(svg, 'y-tick="changed"')).toEqual(['0.0%', '0.2%', '0.4%', '0.6%', '0.8%', '1.0%'])
    // One point is no line: it is drawn as a dot.
    expect(svg).toContain('<title>Image 1: 0.3% changed</title>')
  })

  it('ticks whole image numbers at a round step', () => {
    expect(imageTicks(1, 1)).toEqual([1])
    expect(imageTicks(1, 8)).toEqual([1, 2, 3, 4, 5, 6, 7, 8])
    expect(imageTicks(1, 20)).toEqual([1, 5, 10, 15, 20])
    expect(imageTicks(3, 720)).toEqual([3, 100, 200, 300, 400, 500, 600, 700])
    for (const [first, last] of [
      [1, 2],
      [7, 9],
      [1, 33],
      [250, 1000],
    ] as const) {
      const ticks = imageTicks(first, last)
      expect(ticks.every((tick) => Number.isInteger(tick) && tick >= first && tick <= last)).toBe(true)
      expect(ticks.length).toBeLessThanOrEqual(9)
    }
  })

  it('labels a larger change on round steps and marks a failed image with its reason', () => {
    const svg = renderChangeChart(
      [
        point(1, { changedFraction: 0.3 }),
        point(2, {
          status: 'failed',
          changedFraction: null,
          l2Norm: null,
          errorCode: 'IMGPIPE_DECODE_FAILED',
          errorMessage: 'not a <JPEG>',
        }),
        point(3),
      ],
      '../',
    ).toString()
    expect(tickTexts(svg, 'y-tick="changed"')).toEqual(['0.0%', '10.0%', '20.0%', '30.0%', '40.0%', '50.0%'])
    expect(tickTexts(svg, 'x-tick')).toEqual(['1', '2', '3'])
    expect(svg).toContain('<g data-failed="2"><title>Image 2 failed: IMGPIPE_DECODE_FAILED: not a &lt;JPEG&gt;</title>')
  })
})

describe('pages of a stream with a failed image', () => {
  let fixture: WebFixture
  beforeAll(async () => {
    fixture = await webFixture()
    const { catalog } = fixture.context
    for (const imageNum of [1, 2, 3]) {
      const failed = imageNum === 2
      const { image } = await insertOneImage(catalog, {
        stream: 'broken',
        imageNum,
        imageFilename: `f${imageNum}.jpg`,
        imageObjectKey: `image/broken/f${imageNum}.jpg`,
        contentSha256: null,
        byteSize: 1,
        width: 1,
        height: 1,
        format: 'jpeg',
        status: failed ? 'failed' : 'received',
        ...(failed ? { errorCode: 'IMGPIPE_DECODE_FAILED', errorMessage: 'the bytes are not an image' } : {}),
      })
      if (!failed) {
        await recordOneAnalysis(
          catalog,
          image.imageId,
          { previousImageId: null, l2Norm: 10, changedFraction: 0.0004, maxAbsDifference: 3, analyzedAt: new Date() },
          null,
        )
      }
    }
  })
  afterAll(async () => {
    await fixture.close()
  })

  function get(url: string) {
    return fixture.app.inject({ url, headers: { accept: 'text/html' } })
  }

  it('explains the failed image in the legend, in its tooltip and in a table of reasons', async () => {
    const page = (await get('/streams/broken')).body
    expect(page).toContain('<span class="key failed" data-legend="failed">×</span>failed image: not analysed, no change measured')
    expect(page).toContain('<title>Image 2 failed: IMGPIPE_DECODE_FAILED: the bytes are not an image</title>')
    expect(page).toMatch(
      /<tr data-failed-image="\d+"><td class="number">2<\/td><td>IMGPIPE_DECODE_FAILED: the bytes are not an image<\/td>/,
    )
    expect(page).toContain('1 failed')
    expect(tickTexts(page, 'x-tick')).toEqual(['1', '2', '3'])
    // A stream without failures has no such legend entry.
    expect((await get('/streams/a')).body).not.toContain('data-legend="failed"')
  })

  it('lists the alerts in this range as a table, not a numbered list', async () => {
    const page = (await get('/streams/a')).body
    expect(page).not.toContain('<ol class="stream-alerts">')
    const views = (await fixture.context.catalog.listAlertViews({ limit: 20 })).filter((view) => view.image.stream === 'a')
    const rows = [
      ...page.matchAll(/<tr data-alert="(\d+)"><td><a href="\.\.\/\?alert_num=\d+">Alert \d+<\/a><\/td><td class="number">(\d+)<\/td>/g),
    ]
    expect(rows.map((row) => Number(row[1])).sort()).toEqual(views.map((view) => view.alert.imageEventAlertId).sort())
    expect(rows.map((row) => Number(row[2])).sort()).toEqual([3, 7])
  })

  it('shows an alert’s change with the same percentage on the alert page, the stream page and /alerts', async () => {
    const [view] = await fixture.context.catalog.listAlertViews({ limit: 1 })
    if (view === undefined) throw new Error('no alert in the fixture')
    const text = formatPercent(view.image.changedFraction)
    expect(text).toMatch(/^\d+\.\d%$/)
    const number = view.alert.imageEventAlertId
    expect((await get(`/?alert_num=${number}`)).body).toContain(`<span class="value" data-metric="changed">${text}</span>`)
    expect((await get(`/streams/${view.image.stream}`)).body).toMatch(
      new RegExp(`<tr data-alert="${number}">.*?<td class="number">${text.replace('.', '\\.')}</td>`),
    )
    expect((await get('/alerts')).body).toMatch(
      new RegExp(`<tr data-alert-row="${number}">.*?<td class="number">${text.replace('.', '\\.')}</td>`),
    )
  })

  it('explains the grey difference image with a legend', async () => {
    const page = (await get('/?alert_num=1')).body
    const legend = /<dl class="difference-legend" data-difference-legend>([\s\S]*?)<\/dl>/.exec(page)?.[1] ?? ''
    expect(
      legend
        .replace(/<[^>]+>/g, '')
        .replace(/\s+/g, ' ')
        .trim(),
    ).toBe(
      'Greyno change (the even tone of the background) Lighter, up to whitebrighter than in the previous image Darker, up to blackdarker than in the previous image Colour tintone colour channel changed more than the others',
    )
  })
})

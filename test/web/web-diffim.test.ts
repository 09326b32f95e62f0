/**
 * The viewer's difference-imaging pages over real HTTP (fastify inject) on the memory ledgers: an alert with
 * detections shows its stamps (served through their derivative rows only), measurements and circles at the
 * detections' pixels; the field page shows the reference with the field's detections placed through its WCS;
 * hostile field names are escaped everywhere.
 */
import type { FastifyInstance } from 'fastify'
import sharp from 'sharp'
import { afterEach, describe, expect, it } from 'vitest'
import { headerLookup } from '../../src/analysis/fits/header-card.js'
import { readWcs } from '../../src/analysis/wcs/wcs.js'
import { formatDecDms, formatRaHms } from '../../src/core/sexagesimal.js'
import { renderMarks } from '../../src/web/render-detections.js'
import { buildWebApp } from '../../src/web/web-app.js'
import { memoryContext, type TestContext } from '../support/memory-context.js'
import { DIFFIM_DETECTIONS, insertDiffimAlert, type DiffimFixture } from './diffim-fixture.js'

let context: TestContext | undefined
let app: FastifyInstance | undefined

afterEach(async () => {
  await app?.close()
  await context?.close()
  app = undefined
  context = undefined
})

async function setUp(options: { field?: string; ledgers?: 'memory' | 'sql' } = {}): Promise<DiffimFixture & { app: FastifyInstance }> {
  context = await memoryContext()
  const fixture = await insertDiffimAlert(context, options)
  app = await buildWebApp({ catalog: fixture.catalog, store: context.store, science: fixture.science })
  return { ...fixture, app }
}

/** The `<figure data-role="role">` of a page. */
function figure(body: string, role: string): string {
  const start = body.indexOf(`<figure data-role="${role}">`)
  expect(start).toBeGreaterThanOrEqual(0)
  return body.slice(start, body.indexOf('</figure>', start))
}

/** Each circle of an SVG overlay: its label and centre. */
function circles(markup: string): { label: string; cx: number; cy: number; r: number }[] {
  return [...markup.matchAll(/<g class="mark [a-z]+" data-mark="(\d+)"><circle cx="([\d.-]+)" cy="([\d.-]+)" r="([\d.]+)">/g)].map((m) => ({
    label: m[1]!,
    cx: Number(m[2]),
    cy: Number(m[3]),
    r: Number(m[4]),
  }))
}

describe('alert page of a difference-imaging event', () => {
  it('lists each detection with its three stamps and its measurement, sky position in sexagesimal', async () => {
    const { app, alertNumber, detections } = await setUp()
    const response = await app.inject({ url: `/?alert_num=${alertNumber}` })
    expect(response.statusCode).toBe(200)
    const body = response.body
    expect(body).toContain(`<section class="detections" data-detections="3">`)
    expect(body).toContain('Detections (3)')
    expect(body).toMatch(/PSF gaussian-kernel, FWHM 2\.60 px \(image\) \/ 2\.45 px \(reference\) · 5 candidates, 3 passed real-bogus/)
    for (const [index, detection] of detections.entries()) {
      const start = body.indexOf(`data-detection="${detection.sourceId}"`)
      const item = body.slice(start, body.indexOf('</li>', start))
      const truth = DIFFIM_DETECTIONS[index]!
      for (const kind of ['science', 'reference', 'difference']) {
        expect(item).toContain(`src="derivatives/${detection.imageEventId}/stamp-${index}-${kind}.png" width="63" height="63"`)
      }
      expect(item).toContain(`${formatRaHms(detection.ra)} ${formatDecDms(detection.dec)}`)
      expect(item).toContain(`<dd data-m="flux">${truth.psfFlux.toFixed(1)} ± ${truth.psfFluxErr.toFixed(1)}</dd>`)
      expect(item).toContain(`<dd data-m="snr">${truth.snr.toFixed(1)}</dd>`)
      expect(item).toContain(`<span data-m="kind">${truth.kind}</span>`)
      expect(item).toContain(`<dd data-m="rb">${truth.realBogus.toFixed(2)}</dd>`)
      expect(item).toContain(`<dd data-m="fwhm">${truth.fwhm.toFixed(2)} px</dd>`)
      expect(item).toContain(`<dd data-m="elongation">${truth.elongation.toFixed(2)}</dd>`)
      expect(item).toContain(`href="objects/${detection.objectId}"`)
    }
  })

  it('circles each detection at its pixel on the image preview and on the difference preview', async () => {
    const { app, alertNumber, detections, rows } = await setUp()
    const body = (await app.inject({ url: `/?alert_num=${alertNumber}` })).body
    const { width, height } = rows[1]!.frame.image
    expect([width, height]).toEqual([320, 240])
    for (const role of ['image', 'difference']) {
      const markup = figure(body, role)
      expect(markup).toContain(`viewBox="0 0 320 240"`)
      const found = circles(markup)
      expect(found.map((circle) => circle.label)).toEqual(['1', '2', '3'])
      for (const [index, detection] of detections.entries()) {
        // Pixel centres: x + 0.5 from the left, FITS row 1 at the bottom.
        expect(found[index]!.cx).toBeCloseTo(detection.x + 0.5, 2)
        expect(found[index]!.cy).toBeCloseTo(240 - detection.y - 0.5, 2)
      }
    }
    expect(figure(body, 'difference')).toContain(`src="derivatives/${detections[0]!.imageEventId}/difference.fits/preview"`)
    // Whole-image products are downloads; stamps are only in the card.
    expect([...body.matchAll(/<a href="([^"]+)" download data-derivative>/g)].map((m) => m[1])).toEqual([
      `derivatives/${detections[0]!.imageEventId}/difference.fits?download=1`,
    ])
  })

  it('serves the stamps and the FITS derivatives through their rows, byte for byte', async () => {
    const { app, alertNumber, objectsByName, view } = await setUp()
    const body = (await app.inject({ url: `/?alert_num=${alertNumber}` })).body
    const stampUrls = [...body.matchAll(/src="(derivatives\/\d+\/stamp-\d+-[a-z]+\.png)"/g)].map((m) => m[1]!)
    expect(stampUrls).toHaveLength(9)
    for (const url of stampUrls) {
      const response = await app.inject({ url: `/${url}` })
      expect(response.statusCode).toBe(200)
      expect(response.headers['content-type']).toBe('image/png')
      expect(response.rawPayload.equals(objectsByName.get(url.slice(url.lastIndexOf('/') + 1))!)).toBe(true)
      const meta = await sharp(response.rawPayload).metadata()
      expect([meta.width, meta.height]).toEqual([63, 63])
    }
    const fits = await app.inject({ url: `/derivatives/${view.event.imageEventId}/stamp-0-difference.fits` })
    expect(fits.statusCode).toBe(200)
    expect(fits.rawPayload.equals(objectsByName.get('stamp-0-difference.fits')!)).toBe(true)
    const preview = await app.inject({ url: `/derivatives/${view.event.imageEventId}/difference.fits/preview` })
    expect(preview.statusCode).toBe(200)
    expect(preview.headers['content-type']).toBe('image/png')
    const meta = await sharp(preview.rawPayload).metadata()
    expect([meta.width, meta.height]).toEqual([320, 240])
  })

  it('answers 404 for a derivative no row of that event names, even when the object exists', async () => {
    const { app, view, rows } = await setUp()
    const eventId = view.event.imageEventId
    // An object in the store under the derivatives' prefix but without a row: not served.
    await context!.store.put(`derivative/deep/${eventId}/secret.png`, Buffer.from('not for you'))
    for (const url of [
      `/derivatives/${eventId}/secret.png`,
      `/derivatives/${eventId}/stamp-99-science.png`,
      `/derivatives/${eventId + 1}/stamp-0-science.png`,
      `/derivatives/${eventId}/${encodeURIComponent(`../../image/deep/frame_1.fits`)}`,
      `/derivatives/${eventId}/${encodeURIComponent(`derivative/deep/${eventId}/stamp-0-science.png`)}`,
      `/derivatives/${eventId}/stamp-0-science.png/preview`,
    ]) {
      const response = await app.inject({ url })
      expect(response.statusCode, url).toBe(404)
      expect(response.rawPayload.includes(Buffer.from('not for you'))).toBe(false)
    }
    expect(rows).toHaveLength(3)
    expect((await app.inject({ url: `/derivatives/x/stamp-0-science.png` })).statusCode).toBe(400)
  })

  it('reads the same from the SQLite catalog’s own ledgers (migration 0006)', async () => {
    const { app, alertNumber, detections, objectsByName } = await setUp({ ledgers: 'sql' })
    const body = (await app.inject({ url: `/?alert_num=${alertNumber}` })).body
    expect(body).toContain('Detections (3)')
    expect(circles(figure(body, 'image')).map((circle) => circle.cx)).toEqual(
      detections.map((detection) => Math.round((detection.x + 0.5) * 100) / 100),
    )
    expect(body).toContain(`<dd data-m="fwhm">2.61 px</dd>`)
    const stamp = await app.inject({ url: `/derivatives/${detections[0]!.imageEventId}/stamp-1-reference.png` })
    expect(stamp.statusCode).toBe(200)
    expect(stamp.rawPayload.equals(objectsByName.get('stamp-1-reference.png')!)).toBe(true)
    expect((await app.inject({ url: `/objects/${detections[1]!.objectId}` })).statusCode).toBe(200)
  })

  it('shows a camera alert as before: no detections card, no science routes without the ledgers', async () => {
    context = await memoryContext()
    const fixture = await insertDiffimAlert(context)
    app = await buildWebApp({ catalog: fixture.catalog, store: context.store })
    const body = (await app.inject({ url: `/?alert_num=${fixture.alertNumber}` })).body
    expect(body).not.toContain('data-detections')
    expect(body).not.toContain('<svg class="marks"')
    expect((await app.inject({ url: `/derivatives/${fixture.view.event.imageEventId}/stamp-0-science.png` })).statusCode).toBe(404)
    expect((await app.inject({ url: `/fields/deep/${encodeURIComponent(fixture.field)}` })).statusCode).toBe(404)
  })
})

describe('field page', () => {
  it('shows the latest reference with its version, frames and FWHM, and the detections placed through its WCS', async () => {
    const { app, field, reference, detections, rows, alertNumber } = await setUp()
    const response = await app.inject({ url: `/fields/deep/${encodeURIComponent(field)}` })
    expect(response.statusCode).toBe(200)
    const body = response.body
    expect(body).toContain(`<h1>Field ${field} of stream deep</h1>`)
    expect(body).toContain(`<dd data-ref="version">1</dd>`)
    expect(body).toContain(`<dd data-ref="frames">1</dd>`)
    expect(body).toContain(`<dd data-ref="fwhm">2.45 px</dd>`)
    expect(body).toContain(`src="../../references/${reference.referenceId}/preview"`)
    expect(body).toContain(`data-reference-row="${reference.referenceId}"`)
    expect(body).toContain(`href="../../?alert_num=${alertNumber}"`)
    // The reference is frame 1: each detection goes where frame 1's WCS puts its sky position.
    const wcs = readWcs(headerLookup(rows[0]!.frame.cards))
    const found = circles(figure(body, 'reference'))
    expect(found).toHaveLength(detections.length)
    for (const [index, detection] of detections.entries()) {
      const at = wcs.skyToPixel(detection.ra, detection.dec)
      expect(found[index]!.cx).toBeCloseTo(at.x + 0.5, 1)
      expect(found[index]!.cy).toBeCloseTo(240 - at.y - 0.5, 1)
    }
    const preview = await app.inject({ url: `/references/${reference.referenceId}/preview` })
    expect(preview.statusCode).toBe(200)
    const meta = await sharp(preview.rawPayload).metadata()
    expect([meta.width, meta.height]).toEqual([320, 240])
    expect((await app.inject({ url: '/references/999/preview' })).statusCode).toBe(404)
  })

  it('is linked from the FITS image page and the alert page', async () => {
    const { app, field, rows, alertNumber } = await setUp()
    const page = (await app.inject({ url: `/images/${rows[1]!.imageId}/view` })).body
    expect(page).toContain(`href="../../fields/deep/${encodeURIComponent(field)}" data-field-link`)
    const alert = (await app.inject({ url: `/?alert_num=${alertNumber}` })).body
    expect(alert).toContain(`href="fields/deep/${encodeURIComponent(field)}" data-field-link`)
  })

  it('escapes a hostile field name on the alert, image and field pages, and refuses a stream that is no stream name', async () => {
    const hostile = `<script>alert("x")</script>&'`
    const { app, rows, alertNumber } = await setUp({ field: hostile })
    const escaped = '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;'
    const field = await app.inject({ url: `/fields/deep/${encodeURIComponent(hostile)}` })
    expect(field.statusCode).toBe(200)
    const alert = (await app.inject({ url: `/?alert_num=${alertNumber}` })).body
    const image = (await app.inject({ url: `/images/${rows[1]!.imageId}/view` })).body
    for (const body of [field.body, alert, image]) {
      expect(body).not.toContain('<script>alert')
      expect(body).toContain(escaped)
    }
    for (const body of [alert, image]) expect(body).toContain(`fields/deep/${encodeURIComponent(hostile).replaceAll("'", '&#39;')}`)
    const stream = await app.inject({ url: `/fields/${encodeURIComponent('<b>x</b>')}/f`, headers: { accept: 'text/html' } })
    expect(stream.statusCode).toBe(400)
    expect(stream.body).not.toContain('<b>x</b>')
    expect((await app.inject({ url: `/fields/deep/nowhere` })).statusCode).toBe(404)
  })
})

describe('object page', () => {
  it('lists the detections of the object a detection links to', async () => {
    const { app, detections } = await setUp()
    const detection = detections[0]!
    const response = await app.inject({ url: `/objects/${detection.objectId}` })
    expect(response.statusCode).toBe(200)
    expect(response.body).toContain(`<h1>Object ${detection.objectId}</h1>`)
    expect(response.body).toContain(`<tr data-source="${detection.sourceId}">`)
    expect(response.body).toContain(formatRaHms(detection.ra))
    expect((await app.inject({ url: '/objects/9999' })).statusCode).toBe(404)
  })
})

describe('renderMarks', () => {
  it('maps pixel centres onto a shrunk preview whose last block is partial, row 1 at the bottom', () => {
    // 1601 px: shrunk 2× to 801 preview pixels, which cover 1602 image pixels.
    const markup = renderMarks(1601, 1000, [
      { x: 0, y: 0, label: '1', kind: 'new_source' },
      { x: 1600, y: 999, label: '2', kind: 'fading' },
    ]).toString()
    expect(markup).toContain('viewBox="0 0 1602 1000"')
    expect(circles(markup)).toEqual([
      { label: '1', cx: 0.5, cy: 999.5, r: 40 },
      { label: '2', cx: 1600.5, cy: 0.5, r: 40 },
    ])
    expect(markup).toContain('<g class="mark negative" data-mark="2">')
  })
})

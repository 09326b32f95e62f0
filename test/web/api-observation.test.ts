/**
 * The JSON API's images carry what a FITS header says (issue 17): the observation fields, the header's card count
 * and a link to the header as text, which /api/images/{id}/header serves; pictures have `observation: null`.
 */
import type { AddressInfo } from 'node:net'
import { Validator } from '@seriousme/openapi-schema-validator'
import { Ajv2020 } from 'ajv/dist/2020.js'
import addFormatsModule from 'ajv-formats'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ImageJson } from '../../src/web/api-routes.js'
import { newImage } from '../contracts/catalog-fixtures.js'
import { scienceObservation } from '../contracts/catalog-observation-contract.js'
import { webFixture, type WebFixture } from './web-fixture.js'
import { insertOneAlert, insertOneImage, recordOneAnalysis } from '../support/catalog-writes.js'

const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv2020) => Ajv2020

const observation = scienceObservation()
let fixture: WebFixture
let alertNumber: number
let fitsImageId: number
let pictureImageId: number

beforeAll(async () => {
  fixture = await webFixture({ empty: true })
  const { catalog } = fixture.context
  // Image 1 of `sky` is a picture (the previous image), image 2 a FITS frame with an alert.
  pictureImageId = (await insertOneImage(catalog, newImage('sky', 1))).image.imageId
  fitsImageId = (await insertOneImage(catalog, newImage('sky', 2, { imageFilename: 'frame.fits', format: 'fits', observation }))).image
    .imageId
  const analysis = { previousImageId: pictureImageId, l2Norm: 1, changedFraction: 0.1, maxAbsDifference: 9, analyzedAt: new Date() }
  const { event } = await recordOneAnalysis(catalog, fitsImageId, analysis, {
    imageId: fitsImageId,
    differenceImageObjectKey: 'difference_image/sky/2.fits',
    eventType: 'changed',
    analyzer: 'test',
    analyzerVersion: '0',
  })
  alertNumber = (await insertOneAlert(catalog, event!.imageEventId)).alert.imageEventAlertId
})
afterAll(async () => {
  await fixture.close()
})

function get(url: string) {
  return fixture.app.inject({ method: 'GET', url })
}

const { header, ...fields } = observation

describe('observation in the JSON API', () => {
  it("gives a FITS image's observation fields in full, with the header's card count and link instead of its text", async () => {
    const url = `/api/alerts/${alertNumber}`
    const response = await get(url)
    expect(response.statusCode).toBe(200)
    const body = response.json<{ image: ImageJson; previousImage: ImageJson }>()
    expect(body.image.observation).toEqual({ ...fields, headerCards: 300, headerUrl: `../../api/images/${fitsImageId}/header` })
    expect(response.body).not.toContain('SIMPLE  =')
    expect(body.previousImage.observation).toBeNull()

    const listed = (await get('/api/alerts')).json<{ alerts: { image: ImageJson }[] }>()
    expect(listed.alerts[0]?.image.observation).toMatchObject({ filter: 'ZTF_r', headerUrl: `../api/images/${fitsImageId}/header` })

    const headerLink = new URL(body.image.observation!.headerUrl, `http://viewer.test${url}`).pathname
    const text = await get(headerLink)
    expect(text.statusCode).toBe(200)
    expect(text.headers['content-type']).toBe('text/plain; charset=utf-8')
    expect(text.body).toBe(`${header}\n`)
    expect(
      text.body
        .split('\n')
        .slice(0, -1)
        .every((card) => card.length === 80),
    ).toBe(true)
  })

  it('pushes the same observation, header linked, on the alert event stream', async () => {
    await fixture.app.listen({ host: '127.0.0.1', port: 0 })
    const { port } = fixture.app.server.address() as AddressInfo
    const abort = new AbortController()
    const response = await fetch(`http://127.0.0.1:${port}/events?after=0`, { signal: abort.signal })
    let text = ''
    const decoder = new TextDecoder()
    try {
      for await (const chunk of response.body!) {
        text += decoder.decode(chunk as Uint8Array, { stream: true })
        if (/event: alert\ndata: .*\n\n/.test(text)) break
      }
    } finally {
      abort.abort()
    }
    const data = /event: alert\ndata: (.*)\n\n/.exec(text)?.[1]
    const pushed = JSON.parse(data ?? 'null') as { image: ImageJson }
    expect(pushed.image.observation).toEqual({ ...fields, headerCards: 300, headerUrl: `api/images/${fitsImageId}/header` })
    expect(text).not.toContain('SIMPLE  =')
  })

  it('answers 404 for the header of a picture or of no image, 400 for a non-id', async () => {
    const picture = await get(`/api/images/${pictureImageId}/header`)
    expect(picture.statusCode).toBe(404)
    expect(picture.json()).toMatchObject({ message: `image ${pictureImageId} is no FITS image: it has no header` })
    expect((await get('/api/images/999/header')).statusCode).toBe(404)
    const bad = await get('/api/images/x/header')
    expect(bad.statusCode).toBe(400)
    expect(bad.json()).toMatchObject({ message: 'an image id is a whole number of 1 or more' })
  })

  it('is described by the OpenAPI document, and the answer with an observation conforms to it', async () => {
    const document = (await get('/api/openapi.json')).json<Record<string, unknown>>()
    const result = await new Validator().validate(document)
    expect(result.errors ?? []).toEqual([])
    const ajv = addFormats(new Ajv2020({ strict: false, allErrors: true }))
    ajv.addSchema({ ...document, $id: 'openapi.json' })
    const check = ajv.compile({ $ref: 'openapi.json#/paths/~1api~1alerts~1{number}/get/responses/200/content/application~1json/schema' })
    const body = (await get(`/api/alerts/${alertNumber}`)).json<Record<string, unknown>>()
    expect(check(body) ? [] : check.errors).toEqual([])
    const image = body['image'] as { observation: Record<string, unknown> }
    expect(check({ ...body, image: { ...image, observation: { ...image.observation, footprint: [[1, 2, 3]] } } })).toBe(false)
  })
})

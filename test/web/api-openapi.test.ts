/**
 * The OpenAPI 3.1 document of the JSON API (issue 12): valid as OpenAPI 3.1, and real answers of the API
 * (through `inject`) conform to the response schemas it states, errors included.
 */
import { Validator } from '@seriousme/openapi-schema-validator'
import { Ajv2020 } from 'ajv/dist/2020.js'
import addFormatsModule from 'ajv-formats'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { webFixture, type WebFixture } from './web-fixture.js'

// ajv-formats is CommonJS: its default export arrives wrapped under ESM.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv2020) => Ajv2020

let fixture: WebFixture
let document: Record<string, unknown>
beforeAll(async () => {
  fixture = await webFixture()
  const response = await fixture.app.inject({ url: '/api/openapi.json' })
  expect(response.statusCode).toBe(200)
  document = response.json()
})
afterAll(async () => {
  await fixture.close()
})

/** The JSON schema the document gives for one answer, resolvable against the document's components. */
function checkerFor(path: string, status: number) {
  const ajv = addFormats(new Ajv2020({ strict: false, allErrors: true }))
  ajv.addSchema({ ...document, $id: 'openapi.json' })
  const pointer = `openapi.json#/paths/${path.replaceAll('~', '~0').replaceAll('/', '~1')}/get/responses/${status}/content/application~1json/schema`
  return ajv.compile({ $ref: pointer })
}

describe('GET /api/openapi.json', () => {
  it('is a valid OpenAPI 3.1 document of the /api routes only', async () => {
    expect(document.openapi).toBe('3.1.0')
    const result = await new Validator().validate(document)
    expect(result.errors ?? []).toEqual([])
    expect(result.valid).toBe(true)
    expect(Object.keys(document.paths as object).sort()).toEqual(['/api/alerts', '/api/alerts/{number}', '/api/images/{imageId}/header'])
    expect(Object.keys((document.components as { schemas: object }).schemas).sort()).toEqual(['Alert', 'Error'])
  })

  it('describes the real answers: pages, one alert, and the errors', async () => {
    const cases: [url: string, path: string, status: number][] = [
      ['/api/alerts', '/api/alerts', 200],
      ['/api/alerts?limit=1', '/api/alerts', 200],
      ['/api/alerts?limit=2&before=4', '/api/alerts', 200],
      ['/api/alerts?limit=abc', '/api/alerts', 400],
      ['/api/alerts/1', '/api/alerts/{number}', 200],
      ['/api/alerts/999', '/api/alerts/{number}', 404],
      ['/api/alerts/0', '/api/alerts/{number}', 400],
    ]
    for (const [url, path, status] of cases) {
      const response = await fixture.app.inject({ url })
      expect(response.statusCode, url).toBe(status)
      const check = checkerFor(path, status)
      expect(check(response.json()) ? [] : check.errors, url).toEqual([])
    }
  })

  it('would notice an answer that does not conform', () => {
    const check = checkerFor('/api/alerts/{number}', 200)
    expect(check({ number: 'one' })).toBe(false)
    expect(checkerFor('/api/alerts', 400)({ statusCode: 400 })).toBe(false)
  })

  it('keeps the clear 400 messages of the hand-written checks, now from the schemas', async () => {
    const messages: Record<string, string> = {
      '/api/alerts?limit=abc': 'limit must be a whole number from 1 (at most 100 are returned)',
      '/api/alerts?limit=1e3': 'limit must be a whole number from 1 (at most 100 are returned)',
      '/api/alerts?before=0x10': 'before must be an alert number (a whole number of 1 or more)',
      '/api/alerts?before=1&before=2': 'before must be an alert number (a whole number of 1 or more)',
      '/api/alerts/-1': 'an alert number is a whole number of 1 or more',
    }
    for (const [url, message] of Object.entries(messages)) {
      const response = await fixture.app.inject({ url })
      expect(response.json(), url).toEqual({ statusCode: 400, error: 'Bad Request', message })
    }
  })
})

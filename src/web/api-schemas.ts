import type { FastifySchema } from 'fastify'
import { MAX_PAGE_SIZE } from './web-params.js'

/**
 * JSON Schemas of the JSON API (`/api/*`): Fastify validates parameters with them, serializes responses
 * with them, and @fastify/swagger publishes them as the OpenAPI 3.1 document at `/api/openapi.json`.
 * Objects allow additional properties, so a field added to an alert is served (and documented as it comes).
 */

/** A positive integer of at most 16 digits, as text: stricter than number coercion, which takes `1e3` or `0x10`. */
const POSITIVE_ID_PATTERN = '^0*[1-9][0-9]{0,15}$'

const positiveId = (description: string) => ({ type: 'string', pattern: POSITIVE_ID_PATTERN, description }) as const

const nullable = (type: 'string' | 'integer' | 'number') => ({ type: [type, 'null'] }) as const
const dateTime = { type: 'string', format: 'date-time' } as const

/** What a FITS image's header says (migration 0005); the header text itself is one request away (`headerUrl`). */
const observationSchema = {
  type: 'object',
  additionalProperties: true,
  description: "What a science (FITS) image's header says; null for 8-bit pictures",
  required: ['hdu', 'obsMjd', 'obsTime', 'filter', 'centerRa', 'centerDec', 'headerCards', 'headerUrl'],
  properties: {
    hdu: { type: 'integer', description: 'The HDU the pixels were read from (0: the primary HDU)' },
    obsMjd: { ...nullable('number'), description: 'Start of the exposure, MJD (UTC)' },
    obsTime: { type: ['string', 'null'], format: 'date-time', description: 'The same, ISO 8601 UTC' },
    exposureS: { ...nullable('number'), description: 'Exposure time, seconds' },
    filter: nullable('string'),
    field: { ...nullable('string'), description: 'Field or object name' },
    centerRa: { ...nullable('number'), description: 'Right ascension of the image centre, degrees (ICRS)' },
    centerDec: { ...nullable('number'), description: 'Declination of the image centre, degrees (ICRS)' },
    pixelScaleArcsec: { ...nullable('number'), description: 'Arcseconds per pixel' },
    footprint: {
      type: ['array', 'null'],
      description: 'The corners on the sky, [ra, dec] in degrees',
      items: { type: 'array', items: { type: 'number' }, minItems: 2, maxItems: 2 },
    },
    headerCards: { type: 'integer', description: 'Cards in the header' },
    headerUrl: { type: 'string', description: 'The header as text (80-character cards, one a line), relative to the document' },
  },
} as const

const imageSchema = {
  type: 'object',
  additionalProperties: true,
  required: ['imageId', 'imageFilename', 'imageObjectKey', 'stream', 'status', 'receivedAt'],
  properties: {
    imageId: { type: 'integer' },
    imageFilename: { type: 'string' },
    imageObjectKey: { type: 'string' },
    stream: { type: 'string' },
    imageNum: nullable('integer'),
    contentSha256: nullable('string'),
    byteSize: nullable('integer'),
    width: nullable('integer'),
    height: nullable('integer'),
    format: nullable('string'),
    status: { type: 'string', enum: ['received', 'analyzed', 'failed'] },
    errorCode: nullable('string'),
    errorMessage: nullable('string'),
    receivedAt: dateTime,
    analyzedAt: { type: ['string', 'null'], format: 'date-time' },
    previousImageId: nullable('integer'),
    l2Norm: nullable('number'),
    changedFraction: nullable('number'),
    maxAbsDifference: nullable('number'),
    observation: { anyOf: [observationSchema, { type: 'null' }] },
  },
} as const

const alertSchema = {
  $id: 'Alert',
  type: 'object',
  description:
    'One image event alert: the alert, its event, its image, the previous image of the stream, and links relative to the document',
  additionalProperties: true,
  required: ['number', 'alert', 'event', 'image', 'previousImage', 'urls'],
  properties: {
    number: { type: 'integer', description: 'The alert number (image_event_alert_id)' },
    alert: {
      type: 'object',
      additionalProperties: true,
      required: ['imageEventAlertId', 'imageEventId', 'createdAt'],
      properties: {
        imageEventAlertId: { type: 'integer' },
        imageEventId: { type: 'integer' },
        createdAt: dateTime,
        deliveredAt: { type: ['string', 'null'], format: 'date-time' },
        deliveryChannels: nullable('string'),
      },
    },
    event: {
      type: 'object',
      additionalProperties: true,
      required: ['imageEventId', 'imageId', 'eventType', 'detectedAt'],
      properties: {
        imageEventId: { type: 'integer' },
        imageId: { type: 'integer' },
        differenceImageObjectKey: { ...nullable('string'), description: 'Null while the difference image is not made yet' },
        eventType: { type: 'string' },
        detectedAt: dateTime,
        analyzer: nullable('string'),
        analyzerVersion: nullable('string'),
      },
    },
    image: imageSchema,
    previousImage: { anyOf: [imageSchema, { type: 'null' }] },
    urls: {
      type: 'object',
      additionalProperties: true,
      properties: {
        page: { type: 'string' },
        image: { type: 'string' },
        imageDownload: { type: 'string' },
        previousImage: nullable('string'),
        previousImageDownload: nullable('string'),
        difference: nullable('string'),
        differenceDownload: nullable('string'),
      },
    },
  },
} as const

const errorSchema = {
  $id: 'Error',
  type: 'object',
  required: ['statusCode', 'error', 'message'],
  properties: { statusCode: { type: 'integer' }, error: { type: 'string' }, message: { type: 'string' } },
} as const

/** Shared schemas, added to the app once and referenced by `$ref` (they appear under `components.schemas`). */
export const SHARED_SCHEMAS = [alertSchema, errorSchema] as const

const errors = {
  400: { description: 'A parameter is invalid', $ref: 'Error#' },
  503: { description: 'The catalog does not answer', $ref: 'Error#' },
} as const

export const LIST_ALERTS_SCHEMA = {
  summary: 'The newest alerts, a page at a time',
  tags: ['alerts'],
  querystring: {
    type: 'object',
    properties: {
      limit: positiveId(`Alerts per page (default 20; at most ${MAX_PAGE_SIZE} are returned)`),
      before: positiveId('Only alerts numbered below this (the previous page’s nextBefore)'),
    },
  },
  response: {
    200: {
      description: 'A page of alerts, newest first',
      type: 'object',
      required: ['alerts', 'limit', 'nextBefore', 'next'],
      properties: {
        alerts: { type: 'array', items: { $ref: 'Alert#' } },
        limit: { type: 'integer' },
        nextBefore: { ...nullable('integer'), description: 'The `before` of the next older page, null on the last page' },
        next: { ...nullable('string'), description: 'The next older page, relative to this document' },
      },
    },
    ...errors,
  },
} satisfies FastifySchema

export const GET_ALERT_SCHEMA = {
  summary: 'One alert by number',
  tags: ['alerts'],
  params: { type: 'object', required: ['number'], properties: { number: positiveId('The alert number') } },
  response: {
    200: { description: 'The alert', $ref: 'Alert#' },
    404: { description: 'No alert has this number', $ref: 'Error#' },
    ...errors,
  },
} satisfies FastifySchema

export const GET_IMAGE_HEADER_SCHEMA = {
  summary: "A FITS image's header, as text: its 80-character cards, one a line",
  tags: ['images'],
  params: { type: 'object', required: ['imageId'], properties: { imageId: positiveId('The image id (imageId)') } },
  response: {
    404: { description: 'No image has this id, or it is no FITS image', $ref: 'Error#' },
    ...errors,
  },
} satisfies FastifySchema

/** The messages of the hand-written checks these schemas replace, by parameter. */
const MESSAGES: Readonly<Record<string, string>> = {
  limit: `limit must be a whole number from 1 (at most ${MAX_PAGE_SIZE} are returned)`,
  before: 'before must be an alert number (a whole number of 1 or more)',
  number: 'an alert number is a whole number of 1 or more',
  imageId: 'an image id is a whole number of 1 or more',
}

/** Turns the first schema error into the API's one-line message (Fastify answers it with 400). */
export function apiSchemaErrorFormatter(errors: readonly { instancePath: string; message?: string }[], dataVar: string): Error {
  const name = errors[0]?.instancePath.replace(/^\//, '') ?? ''
  return new Error(MESSAGES[name] ?? `${dataVar}${errors[0]?.instancePath ?? ''} ${errors[0]?.message ?? 'is invalid'}`)
}

import { describe, it, expect } from 'vitest'
import { MessageInvalidError } from '../../src/core/errors.js'
import {
  encodeMessage,
  GROUPS,
  parseImageAnalysisMessage,
  parseImageEventAlertMessage,
  SCHEMA_VERSION,
  TOPICS,
  type ImageAnalysisMessage,
  type ImageEventAlertMessage,
} from '../../src/core/messages.js'

const analysisMessage: ImageAnalysisMessage = {
  schema_version: SCHEMA_VERSION,
  image_id: 12,
  image_num: 3,
  image_filename: 'image_00003.jpg',
  stream: 'mock',
  image_object_key: 'image/mock/image_00003.jpg',
  received_at: '2024-05-01T12:00:00.000Z',
}

const alertMessage: ImageEventAlertMessage = {
  schema_version: SCHEMA_VERSION,
  image_event_id: 5,
  image_id: 12,
  stream: 'mock',
  image_num: 3,
  difference_image_object_key: 'difference_image/mock/image_00003.jpg',
  event_type: 'change',
  detected_at: '2024-05-01T12:00:01.000Z',
}

function invalid(parse: (text: string) => unknown, text: string): MessageInvalidError {
  try {
    parse(text)
  } catch (error) {
    expect(error).toBeInstanceOf(MessageInvalidError)
    return error as MessageInvalidError
  }
  throw new Error(`expected ${JSON.stringify(text)} to be rejected`)
}

describe('names', () => {
  it('keeps the original topic and group names', () => {
    expect(TOPICS).toEqual({ imageAnalysis: 'image_analysis', imageEventAlert: 'image_event_alert' })
    expect(GROUPS).toEqual({ imageAnalysis: 'image_analysis_group', imageEventAlert: 'image_event_alert_group' })
    expect(SCHEMA_VERSION).toBe(1)
  })
})

describe('encodeMessage', () => {
  it('round-trips through JSON', () => {
    expect(JSON.parse(encodeMessage(analysisMessage))).toEqual(analysisMessage)
    expect(JSON.parse(encodeMessage(alertMessage))).toEqual(alertMessage)
  })
})

describe('parseImageAnalysisMessage', () => {
  it('parses the full message we publish', () => {
    expect(parseImageAnalysisMessage(encodeMessage(analysisMessage))).toEqual({ imageId: 12, imageNum: analysisMessage.image_num })
  })

  it('accepts a message with image_num null and extra fields, taking the number from an image_NNNNN file name', () => {
    const text = JSON.stringify({ ...analysisMessage, image_num: null, image_filename: 'image_00004.png', future_field: { x: 1 } })
    expect(parseImageAnalysisMessage(text)).toEqual({ imageId: 12, imageNum: 4 })
    const noNumber = JSON.stringify({ ...analysisMessage, image_num: null, image_filename: 'bear.jpg' })
    expect(parseImageAnalysisMessage(noNumber)).toEqual({ imageId: 12, imageNum: null })
  })

  it('accepts a higher schema_version when the fields it needs are there (a newer producer)', () => {
    const text = JSON.stringify({ ...analysisMessage, schema_version: 7, renamed_later: true })
    expect(parseImageAnalysisMessage(text)).toEqual({ imageId: 12, imageNum: analysisMessage.image_num })
    expect(parseImageEventAlertMessage(JSON.stringify({ ...alertMessage, schema_version: 2 }))).toEqual({ imageEventId: 5 })
  })

  it.each([
    ['{"image_id": 3}', 3],
    ['3', 3],
    ['"3"', 3],
    [' 3 \n', 3],
    ['{"image_id": "3"}', 3],
    ['{"image_num": 1, "image_id": 3, "image_filename": "image_00001.jpg"}', 3],
    [String(Number.MAX_SAFE_INTEGER), Number.MAX_SAFE_INTEGER],
    [JSON.stringify(String(Number.MAX_SAFE_INTEGER)), Number.MAX_SAFE_INTEGER],
  ])('accepts the bare shape %s', (text, imageId) => {
    expect(parseImageAnalysisMessage(text).imageId).toEqual(imageId)
  })

  it.each([
    ['not JSON', 'hello'],
    ['empty', ''],
    ['truncated JSON', '{"image_id": 3'],
    ['zero', '0'],
    ['"0"', '"0"'],
    ['negative', '-3'],
    ['negative string', '"-3"'],
    ['a float', '3.5'],
    ['a float string', '"3.5"'],
    ['a float field', '{"image_id": 3.5}'],
    ['huge', '1e300'],
    ['unsafe integer', String(Number.MAX_SAFE_INTEGER + 2)],
    ['unsafe integer string', '"9999999999999999"'],
    ['leading-zero string', '"03"'],
    ['an array', '[3]'],
    ['an array of objects', '[{"image_id": 3}]'],
    ['null', 'null'],
    ['true', 'true'],
    ['an empty object', '{}'],
    ['a missing field', '{"image_num": 3}'],
    ['the alert field instead', '{"image_event_id": 3}'],
    ['a zero field', '{"image_id": 0}'],
    ['a null field', '{"image_id": null}'],
    ['a nested field', '{"image_id": {"id": 3}}'],
    ['schema_version 0', '{"schema_version": 0, "image_id": 3}'],
    ['schema_version as a float', '{"schema_version": 1.5, "image_id": 3}'],
    ['schema_version as a string', '{"schema_version": "1", "image_id": 3}'],
    ['schema_version null', '{"schema_version": null, "image_id": 3}'],
  ])('rejects %s with a MessageInvalidError naming the topic', (_label, text) => {
    const error = invalid(parseImageAnalysisMessage, text)
    expect(error.code).toBe('IMGPIPE_MESSAGE_INVALID')
    expect(error.canRetry).toBe(false)
    expect(error.message).toContain('image_analysis')
    expect(error.message).not.toContain('image_event_alert')
  })

  it('says why: not JSON keeps the parse error as cause; a bad shape names the field', () => {
    const notJson = invalid(parseImageAnalysisMessage, 'hello')
    expect(notJson.message).toMatch(/not JSON/)
    expect(notJson.cause).toBeInstanceOf(SyntaxError)
    expect(invalid(parseImageAnalysisMessage, '{"x": 1}').message).toContain('"image_id"')
    expect(invalid(parseImageAnalysisMessage, '{"schema_version": 0, "image_id": 3}').message).toMatch(/schema_version 0/)
  })
})

describe('parseImageEventAlertMessage', () => {
  it('parses the full message we publish', () => {
    expect(parseImageEventAlertMessage(encodeMessage(alertMessage))).toEqual({ imageEventId: 5 })
  })

  it.each([
    ['{"image_event_id": 1}', 1],
    ['1', 1],
    ['"1"', 1],
    ['{"schema_version": 1, "image_event_id": 77}', 77],
  ])('accepts the bare shape %s', (text, imageEventId) => {
    expect(parseImageEventAlertMessage(text)).toEqual({ imageEventId })
  })

  it.each([
    ['not JSON', '{image_event_id: 1}'],
    ['zero', '0'],
    ['negative', '-1'],
    ['a float', '1.25'],
    ['huge', '123456789012345678901234567890'],
    ['an array', '[1, 2]'],
    ['a missing field', '{"image_id": 12}'],
    ['a negative schema_version', '{"schema_version": -1, "image_event_id": 1}'],
  ])('rejects %s with a MessageInvalidError naming the topic', (_label, text) => {
    const error = invalid(parseImageEventAlertMessage, text)
    expect(error.code).toBe('IMGPIPE_MESSAGE_INVALID')
    expect(error.message).toContain('image_event_alert')
  })

  it('does not take image_id from a full analysis message as an event id', () => {
    const error = invalid(parseImageEventAlertMessage, encodeMessage(analysisMessage))
    expect(error.message).toContain('"image_event_id"')
  })
})

describe('error text stays short', () => {
  const parsers = [parseImageAnalysisMessage, parseImageEventAlertMessage]
  const garbage: Array<[string, string]> = [
    ['long non-JSON text', 'Z'.repeat(100_000)],
    ['a long JSON object without the field', JSON.stringify({ padding: 'p'.repeat(100_000) })],
    ['a long JSON string', JSON.stringify('s'.repeat(100_000))],
    ['long control characters', '\u0001'.repeat(10_000)],
    ['long non-JSON unicode', '😀'.repeat(10_000)],
    ['a long schema_version', JSON.stringify({ schema_version: 'v'.repeat(100_000), image_id: 3 })],
    ['a large schema_version object', JSON.stringify({ schema_version: { a: 'w'.repeat(100_000) }, image_id: 3 })],
  ]

  for (const parse of parsers) {
    for (const [label, text] of garbage) {
      it(`${parse.name}: ${label} is truncated in the message`, () => {
        const error = invalid(parse, text)
        // The topic, the reason and at most ~100 characters of the payload.
        expect(error.message.length).toBeLessThan(200)
        expect(error.message).not.toContain('\n')
      })
    }
  }

  it('shows the start of the payload and marks the cut', () => {
    const error = invalid(parseImageAnalysisMessage, `garbage-start ${'x'.repeat(500)}`)
    expect(error.message).toContain('garbage-start')
    expect(error.message).toContain('…')
  })

  it('shows a short payload whole', () => {
    expect(invalid(parseImageAnalysisMessage, '{"image_num": 3}').message).toContain('{\\"image_num\\": 3}')
  })
})

import { describe, expect, it } from 'vitest'
import {
  DEFAULT_PAGE_SIZE,
  echoText,
  MAX_PAGE_SIZE,
  parseAlertNumber,
  parseLimit,
  parseOptionalId,
  parsePositiveId,
} from '../../src/web/web-params.js'

describe('parsePositiveId', () => {
  it('accepts plain positive integers that a number holds exactly', () => {
    expect(parsePositiveId('1')).toBe(1)
    expect(parsePositiveId('007')).toBe(7)
    expect(parsePositiveId(String(Number.MAX_SAFE_INTEGER))).toBe(Number.MAX_SAFE_INTEGER)
  })

  it.each(['', '0', '-1', '+1', '1.5', '1e3', '0x10', ' 1', '1 ', '١', '9007199254740993', '99999999999999999'])('rejects %j', (text) => {
    expect(parsePositiveId(text)).toBeNull()
  })
})

describe('parseAlertNumber', () => {
  it('tells absent, valid and invalid input apart, keeping the typed text', () => {
    expect(parseAlertNumber(undefined)).toEqual({ kind: 'absent' })
    expect(parseAlertNumber('3')).toEqual({ kind: 'valid', number: 3 })
    expect(parseAlertNumber(' 3 ')).toEqual({ kind: 'valid', number: 3 })
    expect(parseAlertNumber('')).toEqual({ kind: 'invalid', text: '', reason: 'enter an alert number' })
    expect(parseAlertNumber('<script>')).toMatchObject({ kind: 'invalid', text: '<script>' })
    expect(parseAlertNumber(['1', '2'])).toEqual({ kind: 'invalid', text: '1, 2', reason: 'give a single alert number' })
  })
})

describe('echoText', () => {
  it('keeps short text and cuts long text by characters, not UTF-16 units', () => {
    expect(echoText('abc')).toBe('abc')
    expect(echoText('😀'.repeat(81))).toBe(`${'😀'.repeat(80)}…`)
  })
})

describe('parseOptionalId and parseLimit', () => {
  it('read optional ids and cap the page size', () => {
    expect(parseOptionalId(undefined)).toBeUndefined()
    expect(parseOptionalId('')).toBeUndefined()
    expect(parseOptionalId('5')).toBe(5)
    expect(parseOptionalId('x')).toBeNull()
    expect(parseOptionalId(['1', '2'])).toBeNull()
    expect(parseLimit(undefined)).toBe(DEFAULT_PAGE_SIZE)
    expect(parseLimit('7')).toBe(7)
    expect(parseLimit('100000')).toBe(MAX_PAGE_SIZE)
    expect(parseLimit('0')).toBeNull()
  })
})

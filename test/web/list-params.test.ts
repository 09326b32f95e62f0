import { describe, expect, it } from 'vitest'
import { listHref, parseListQuery, parseTimeField } from '../../src/web/list-params.js'

describe('parseTimeField', () => {
  it('reads dates and times as UTC unless a zone is given, a date alone ending after its whole day', () => {
    expect(parseTimeField('2026-12-07', false)).toEqual(new Date('2026-12-07T00:00:00Z'))
    expect(parseTimeField('2026-12-07', true)).toEqual(new Date('2026-12-08T00:00:00Z'))
    expect(parseTimeField('2026-12-07T14:30', true)).toEqual(new Date('2026-12-07T14:30:00Z'))
    expect(parseTimeField('2026-12-07 14:30:15', false)).toEqual(new Date('2026-12-07T14:30:15Z'))
    expect(parseTimeField('2026-12-07T14:30:15.250Z', false)).toEqual(new Date('2026-12-07T14:30:15.250Z'))
    expect(parseTimeField('2026-12-07T14:30+01:00', false)).toEqual(new Date('2026-12-07T13:30:00Z'))
    expect(parseTimeField('2026-12-07T14:30-05:30', false)).toEqual(new Date('2026-12-07T20:00:00Z'))
  })

  it.each(['yesterday', '07.12.2026', '2026-12-7', '2026-12-07T14', '', '2026-12-07T14:30:00+0100'])(
    'refuses %j with the accepted form',
    (text) => {
      expect(parseTimeField(text, false)).toMatch(/^write a time as 2026-12-07 or 2026-12-07T14:30/)
    },
  )

  it.each(['2026-02-29', '2026-04-31', '2026-00-10', '2026-12-07T24:00', '2026-12-07T12:60'])(
    'refuses %j, which does not exist',
    (text) => {
      expect(parseTimeField(text, false)).toBe('no such date or time')
    },
  )
})

describe('parseListQuery', () => {
  it('keeps what the page asked for and links the next page with the same filter', () => {
    const result = parseListQuery(
      { stream: ' cam ', from: '2026-12-01', to: '2026-12-02', before: '40' },
      { streamMatch: 'exact', cursor: 'before' },
    )
    expect(result).toEqual({
      ok: true,
      query: {
        form: { stream: 'cam', from: '2026-12-01', to: '2026-12-02' },
        stream: 'cam',
        since: new Date('2026-12-01T00:00:00Z'),
        until: new Date('2026-12-03T00:00:00Z'),
        before: 40,
      },
    })
    if (!result.ok) throw new Error('expected a query')
    expect(listHref(result.query, { name: 'before', value: '17' })).toBe('?stream=cam&from=2026-12-01&to=2026-12-02&before=17')
    expect(listHref({ form: { stream: '', from: '', to: '' } })).toBe('')
  })

  it('takes a name prefix on /streams but only a whole stream name on /alerts', () => {
    expect(parseListQuery({ stream: '.cam' }, { streamMatch: 'prefix', cursor: 'after' })).toMatchObject({
      ok: true,
      query: { stream: '.cam' },
    })
    expect(parseListQuery({ stream: '.cam' }, { streamMatch: 'exact', cursor: 'before' })).toMatchObject({
      ok: false,
      reason: expect.stringContaining('not a stream name'),
    })
    expect(parseListQuery({ stream: ['a', 'b'] }, { streamMatch: 'exact', cursor: 'before' })).toMatchObject({
      ok: false,
      reason: 'give stream once',
    })
    expect(parseListQuery({ after: ['a', 'b'] }, { streamMatch: 'prefix', cursor: 'after' })).toMatchObject({
      ok: false,
      reason: 'give after once',
    })
  })
})

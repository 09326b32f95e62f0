import { describe, expect, it } from 'vitest'
import { MAX_FITS_HEADER_CHARS, storedHeader, toObservationValues } from '../../../src/adapters/sql/observation-columns.js'
import { headerOfCards, scienceObservation } from '../../contracts/catalog-observation-contract.js'

describe('observation → columns', () => {
  it('keeps a header as it is, and blanks NUL characters, which PostgreSQL text cannot hold', () => {
    const header = headerOfCards(10)
    expect(storedHeader(header)).toBe(header)
    expect(storedHeader(`SIMPLE\u0000 =`)).toBe('SIMPLE  =')
  })

  it('cuts a header over the limit after its last whole card', () => {
    const cards = Math.ceil(MAX_FITS_HEADER_CHARS / 81) + 10
    const stored = storedHeader(headerOfCards(cards))
    expect(stored.length).toBeLessThanOrEqual(MAX_FITS_HEADER_CHARS)
    expect(stored.split('\n').every((card) => card.length === 80)).toBe(true)
    expect(stored.split('\n').length).toBe(Math.floor((MAX_FITS_HEADER_CHARS + 1) / 81))
  })

  it('writes all-NULL columns for a picture, and the time as the dialect binds it', () => {
    expect(Object.values(toObservationValues('postgres', null)).every((value) => value === null)).toBe(true)
    const observation = scienceObservation()
    expect(toObservationValues('sqlite', observation).obs_time).toBe('2024-01-02T02:57:46.666Z')
    expect(toObservationValues('mysql', observation).obs_time).toEqual(new Date('2024-01-02T02:57:46.666Z'))
    expect(toObservationValues('sqlite', scienceObservation({ obsTime: 'yesterday' })).obs_time).toBeNull()
    expect(JSON.parse(toObservationValues('sqlite', observation).footprint!)).toEqual(observation.footprint)
    expect(toObservationValues('sqlite', scienceObservation({ footprint: [] })).footprint).toBeNull()
  })
})

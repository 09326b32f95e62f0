import { describe, expect, it } from 'vitest'
import type { AlertFacts, AlertFilter } from '../../../src/core/ports/subscriptions.js'
import { globToRegExp, matchesFilter } from '../../../src/stages/alert/alert-filter.js'

const facts = (stream: string, eventType = 'changed', changedFraction: number | null = 0.3): AlertFacts => ({
  stream,
  eventType,
  changedFraction,
})

describe('matchesFilter', () => {
  // [filter, facts, wanted]
  const matrix: Array<[string, AlertFilter, AlertFacts, boolean]> = [
    ['empty filter takes everything', {}, facts('any'), true],
    ['exact stream', { streams: ['cam-a'] }, facts('cam-a'), true],
    ['exact stream, other stream', { streams: ['cam-a'] }, facts('cam-ab'), false],
    ['glob *', { streams: ['cam-*'] }, facts('cam-north'), true],
    ['glob * needs the prefix', { streams: ['cam-*'] }, facts('camera'), false],
    ['glob ?', { streams: ['cam-?'] }, facts('cam-b'), true],
    ['glob ? is one character', { streams: ['cam-?'] }, facts('cam-bb'), false],
    ['dots are literal', { streams: ['a.b'] }, facts('axb'), false],
    ['any of several globs', { streams: ['x', 'cam-*'] }, facts('cam-1'), true],
    ['empty stream list takes nothing', { streams: [] }, facts('cam-1'), false],
    ['event type', { eventTypes: ['size_changed'] }, facts('s', 'size_changed'), true],
    ['other event type', { eventTypes: ['size_changed'] }, facts('s', 'changed'), false],
    ['threshold met', { minChangedFraction: 0.3 }, facts('s', 'changed', 0.3), true],
    ['threshold missed', { minChangedFraction: 0.31 }, facts('s', 'changed', 0.3), false],
    ['unknown fraction misses a threshold', { minChangedFraction: 0.01 }, facts('s', 'changed', null), false],
    ['all criteria together', { streams: ['cam-*'], eventTypes: ['changed'], minChangedFraction: 0.2 }, facts('cam-1'), true],
    ['all criteria, one fails', { streams: ['cam-*'], eventTypes: ['changed'], minChangedFraction: 0.5 }, facts('cam-1'), false],
    ['a digest interval does not filter', { digestSeconds: 60 }, facts('s'), true],
  ]
  it.each(matrix)('%s', (_name, filter, given, wanted) => {
    expect(matchesFilter(filter, given)).toBe(wanted)
  })

  it('escapes regular-expression characters in globs', () => {
    expect(globToRegExp('a+(b)').test('a+(b)')).toBe(true)
    expect(globToRegExp('a+(b)').test('aa(b)')).toBe(false)
  })
})

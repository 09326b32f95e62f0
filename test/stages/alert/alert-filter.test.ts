import { describe, expect, it } from 'vitest'
import type { AlertFacts, AlertFilter, DetectionFacts } from '../../../src/core/ports/subscriptions.js'
import { globToRegExp, matchesFilter } from '../../../src/stages/alert/alert-filter.js'

const facts = (stream: string, eventType = 'changed', changedFraction: number | null = 0.3): AlertFacts => ({
  stream,
  eventType,
  changedFraction,
})

const detection = (given: Partial<DetectionFacts>): DetectionFacts => ({
  snr: 10,
  psfFlux: 1000,
  realBogus: 0.9,
  mag: 18.5,
  priorDetections: 0,
  watchlists: [],
  ...given,
})
const withDetections = (...given: Partial<DetectionFacts>[]): AlertFacts => ({
  ...facts('s', 'new_source'),
  detections: given.map(detection),
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
    ['a detection criterion fails without detections', { minSnr: 0 }, facts('s'), false],
    ['a detection criterion fails on an event with none', { minSnr: 0 }, { ...facts('s'), detections: [] }, false],
    ['|S/N| of a fading detection', { minSnr: 5 }, withDetections({ snr: -6 }), true],
    ['|S/N| below', { minSnr: 5 }, withDetections({ snr: 4.9 }), false],
    ['|flux| of a fading detection', { minFlux: 500 }, withDetections({ psfFlux: -600 }), true],
    ['magnitude brighter than the limit', { maxMag: 19 }, withDetections({ mag: 18.9 }), true],
    ['magnitude fainter than the limit', { maxMag: 19 }, withDetections({ mag: 19.1 }), false],
    ['unknown magnitude misses a limit', { maxMag: 30 }, withDetections({ mag: null }), false],
    ['real-bogus', { minRealBogus: 0.5 }, withDetections({ realBogus: 0.4 }), false],
    ['earlier detections', { minDetections: 2 }, withDetections({ priorDetections: 2 }), true],
    ['earlier detections unknown', { minDetections: 0 }, withDetections({ priorDetections: null }), false],
    ['watchlist', { watchlists: ['a', 'b'] }, withDetections({ watchlists: ['b'] }), true],
    ['other watchlist', { watchlists: ['a'] }, withDetections({ watchlists: ['b'] }), false],
    ['criteria met by one detection', { minSnr: 5, minRealBogus: 0.5 }, withDetections({ snr: 9 }, { snr: 2 }), true],
    [
      'criteria split over two detections',
      { minSnr: 5, minRealBogus: 0.5 },
      withDetections({ snr: 9, realBogus: 0.1 }, { snr: 2, realBogus: 0.9 }),
      false,
    ],
  ]
  it.each(matrix)('%s', (_name, filter, given, wanted) => {
    expect(matchesFilter(filter, given)).toBe(wanted)
  })

  it('escapes regular-expression characters in globs', () => {
    expect(globToRegExp('a+(b)').test('a+(b)')).toBe(true)
    expect(globToRegExp('a+(b)').test('aa(b)')).toBe(false)
  })
})

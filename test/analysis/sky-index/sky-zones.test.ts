import { describe, expect, it } from 'vitest'
import { ConeMatcher } from '../../../src/analysis/sky-index/cone-matcher.js'
import { angularDistance, coneRanges, inRanges, RA_CELLS, skyKey, ZONE_COUNT } from '../../../src/analysis/sky-index/sky-zones.js'
import { mulberry32 } from '../../../src/analysis/sensor-noise.js'

/** A seeded generator, so a failure can be replayed. */
/** Points scattered around a centre within `spread` degrees (crossing RA 0 or the pole when the centre is near one). */
function pointsAround(random: () => number, ra: number, dec: number, spread: number, count: number): [number, number][] {
  return Array.from({ length: count }, () => {
    let d = dec + (random() * 2 - 1) * spread
    let r = ra + ((random() * 2 - 1) * spread) / Math.max(0.01, Math.cos((Math.min(89.99, Math.abs(dec)) * Math.PI) / 180))
    if (d > 90) [d, r] = [180 - d, r + 180]
    if (d < -90) [d, r] = [-180 - d, r + 180]
    return [((r % 360) + 360) % 360, d]
  })
}

describe('sky zones', () => {
  it('fits every key in a 32-bit signed integer', () => {
    expect(ZONE_COUNT * RA_CELLS).toBeLessThan(2 ** 31)
    expect(skyKey(359.9999999, 90)).toBe(ZONE_COUNT * RA_CELLS - 1)
    expect(skyKey(0, -90)).toBe(0)
    expect(skyKey(-0.5, 0)).toBe(skyKey(359.5, 0))
  })

  it('measures milliarcsecond, wrapped, polar and antipodal separations (Vincenty)', () => {
    expect(angularDistance(10, 20, 10, 20 + 1e-3 / 3600) * 3600).toBeCloseTo(1e-3, 10)
    expect(angularDistance(359.9999, 0, 0.0001, 0) * 3600).toBeCloseTo(0.72, 9)
    expect(angularDistance(0, 0, 180, 0)).toBeCloseTo(180, 12)
    expect(angularDistance(0, 89.9999, 180, 89.9999) * 3600).toBeCloseTo(0.72, 6)
  })

  // Against brute force: every point within the radius must fall in the cone's ranges (none lost), and the ranges
  // must stay small (a handful of cells beyond the cone).
  for (const [label, ra, dec, radiusArcsec] of [
    ['the equator', 150, 2, 1],
    ['RA 0/360', 0.0001, -10, 5],
    ['RA 360 from below', 359.9998, 40, 3],
    ['the north pole', 45, 89.9995, 3],
    ['the south pole', 300, -89.9999, 2],
    ['a high declination', 10, 88.5, 60],
    ['a wide cone', 359.9, 0, 1800],
  ] as const) {
    it(`covers every point of a cone at ${label} (brute force over random points)`, () => {
      const random = mulberry32(Math.round(ra * 1000 + dec * 7 + radiusArcsec))
      const radius = radiusArcsec / 3600
      const ranges = coneRanges(ra, dec, radius)
      let inside = 0
      for (const [pra, pdec] of pointsAround(random, ra, dec, radius * 2, 5000)) {
        if (angularDistance(ra, dec, pra, pdec) > radius) continue
        inside += 1
        expect(inRanges(ranges, skyKey(pra, pdec)), `(${pra}, ${pdec}) lost`).toBe(true)
      }
      expect(inside).toBeGreaterThan(500)
    })
  }

  it('needs at most two ranges of at most two cells each for a 1″ cone away from the poles', () => {
    const random = mulberry32(7)
    for (let i = 0; i < 2000; i++) {
      const ranges = coneRanges(random() * 360, random() * 160 - 80, 1 / 3600)
      expect(ranges.length).toBeLessThanOrEqual(4)
      for (const range of ranges) expect(range.hi - range.lo).toBeLessThanOrEqual(1)
    }
  })

  it('matches points to cones exactly as brute force does, across RA 0 and the poles', () => {
    const random = mulberry32(11)
    const cones = [
      ...Array.from({ length: 1000 }, (_, i) => ({
        id: i,
        ra: random() * 360,
        dec: Math.asin(random() * 2 - 1) * (180 / Math.PI),
        radiusArcsec: 1 + random() * 120,
      })),
      { id: -1, ra: 359.999, dec: 5, radiusArcsec: 30 },
      { id: -2, ra: 0, dec: 89.99, radiusArcsec: 90 },
      { id: -3, ra: 200, dec: -90, radiusArcsec: 10 },
    ]
    const matcher = new ConeMatcher(cones)
    const points: [number, number][] = [
      ...pointsAround(random, 0, 5, 0.02, 1000),
      ...pointsAround(random, 0, 89.99, 0.05, 1000),
      ...pointsAround(random, 0, -89.999, 0.01, 500),
      ...cones.slice(0, 1000).flatMap((cone) => pointsAround(random, cone.ra, cone.dec, (cone.radiusArcsec * 1.2) / 3600, 1)),
    ]
    let matched = 0
    for (const [ra, dec] of points) {
      const expected = cones.filter((cone) => angularDistance(cone.ra, cone.dec, ra, dec) * 3600 <= cone.radiusArcsec).map((c) => c.id)
      const found = matcher.match(ra, dec).map((cone) => cone.id)
      expect(found.sort((a, b) => a - b)).toEqual(expected.sort((a, b) => a - b))
      matched += found.length
    }
    expect(matched).toBeGreaterThan(500)
  })
})

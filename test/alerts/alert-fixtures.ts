/**
 * Alert packets for the Avro tests: ids above 2^53 (a `number` would round them), float fields that float32
 * holds exactly (Avro `float` is 32-bit), and FITS stamps of 63×63 float32 pixels like ZTF's.
 */
import { gzipSync } from 'node:zlib'
import type { AlertPacket, DiaSource } from '../../src/alerts/avro/alert-packet.js'

/** Above Number.MAX_SAFE_INTEGER: 2^53 + 1 cannot be a JS number. */
export const BIG_ID = 2n ** 53n + 1n
export const MAX_LONG = 2n ** 63n - 1n

function fitsCard(key: string, value: string): string {
  return `${key.padEnd(8)}= ${value.padStart(20)}`.padEnd(80)
}

/** A FITS file: a primary HDU of `size`×`size` float32 pixels (big-endian) whose values follow `seed`. */
export function fitsStamp(seed: number, size = 63): Buffer {
  const cards = [
    fitsCard('SIMPLE', 'T'),
    fitsCard('BITPIX', '-32'),
    fitsCard('NAXIS', '2'),
    fitsCard('NAXIS1', String(size)),
    fitsCard('NAXIS2', String(size)),
    'END'.padEnd(80),
  ]
  const header = Buffer.from(cards.join('').padEnd(2880), 'ascii')
  const dataBytes = size * size * 4
  const data = Buffer.alloc(Math.ceil(dataBytes / 2880) * 2880)
  for (let i = 0; i < size * size; i++) data.writeFloatBE(Math.sin(seed + i * 0.01) * 1000 + seed, i * 4)
  return Buffer.concat([header, data])
}

export function diaSource(index: number, overrides: Partial<DiaSource> = {}): DiaSource {
  return {
    diaSourceId: BIG_ID + BigInt(index) * 2n,
    diaObjectId: MAX_LONG - 7n,
    imageId: 9_007_199_254_740_993n + BigInt(index),
    midpointMjdTai: 60_000.123_456_789_01 + index,
    ra: 150.000_000_123_4 + index * 1e-9,
    raErr: Math.fround(2.5e-5),
    dec: -30.123_456_789,
    decErr: null,
    x: Math.fround(1023.25),
    y: Math.fround(17.5 + index),
    psfFlux: Math.fround(-1234.5 * (index + 1)),
    psfFluxErr: Math.fround(12.25),
    apFlux: index % 2 === 0 ? Math.fround(1200.125) : null,
    apFluxErr: Math.fround(15.5),
    snr: Math.fround(42.75),
    fwhm: Math.fround(3.125),
    elongation: Math.fround(1.0625),
    realBogus: Math.fround(0.875),
    isNegative: true,
    eventType: 'variable',
    band: index % 2 === 0 ? 'g' : 'r',
    ...overrides,
  }
}

/** A packet with `previous` earlier detections and three stamps of 16+ KB each (63×63 float32 FITS). */
export function samplePacket(previous = 3, options: { gzipTemplate?: boolean } = {}): AlertPacket {
  const template = fitsStamp(2)
  return {
    alertId: MAX_LONG,
    imageId: BIG_ID + 100n,
    eventId: -(2n ** 62n) - 3n,
    stream: 'imgpipe-test.α-stream',
    diaSource: diaSource(previous),
    prvDiaSources: previous === 0 ? null : Array.from({ length: previous }, (_, i) => diaSource(i)),
    diaObject: {
      diaObjectId: MAX_LONG - 7n,
      ra: 150.000_000_1,
      raErr: Math.fround(1e-5),
      dec: -30.123_456_7,
      decErr: Math.fround(1.5e-5),
      nDiaSources: previous + 1,
      firstDiaSourceMjdTai: 60_000.123_456_789_01,
      lastDiaSourceMjdTai: 60_000.123_456_789_01 + previous,
      fluxStats: {
        g: { psfFluxMean: Math.fround(-1500.5), psfFluxMeanErr: Math.fround(7.25), psfFluxSigma: null, psfFluxNdata: 2 },
        r: { psfFluxMean: Math.fround(-2500.25), psfFluxMeanErr: null, psfFluxSigma: Math.fround(3.5), psfFluxNdata: 2 },
      },
    },
    cutoutScience: fitsStamp(1),
    cutoutTemplate: options.gzipTemplate === true ? gzipSync(template) : template,
    cutoutDifference: fitsStamp(3),
  }
}
